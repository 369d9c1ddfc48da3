/**
 * The benchmarks' real processes, from the shared harness (test/support/processes.ts and
 * wrangler-dev.ts, also used by the e2e tests and the soak scripts): `wrangler dev` serving bench/wrangler.bench.toml on a free
 * loopback port with its own state directory, SDK worker processes, any other child (redis-server),
 * and a clean-up registry that stops them all at the end of a suite (`cleanup()` in a finally),
 * on SIGINT/SIGTERM and at exit.
 */
import { DEV_KEY } from "../../test/support/processes.ts";
import { WranglerDev } from "../../test/support/wrangler-dev.ts";

export { Child, cleanup, freePort, pool, sleep } from "../../test/support/processes.ts";

export const BENCH_CONFIG = "bench/wrangler.bench.toml";

/** The bench's `wrangler dev`; its state goes under BENCH_STATE_ROOT when set (e.g. /dev/shm for tmpfs). */
export const Platform = {
  prepare: (suite: string) => WranglerDev.prepare({ prefix: `bench-${suite}`, config: BENCH_CONFIG, root: process.env.BENCH_STATE_ROOT }),
};

/** JSON over HTTP with the development key; throws on a non-2xx status unless `allow` lists it. */
export async function api(base: string, method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!r.ok && !allow.includes(r.status)) throw new Error(`${method} ${path} -> ${r.status}: ${text.slice(0, 500)}`);
  return { status: r.status, body: parsed };
}
