/**
 * Benchmark-only Worker entry (bench/wrangler.bench.toml: `main = "bench-entry.ts"`). It serves
 * Sundial exactly as src/index.ts does — the same Hono app and the same three Durable Object
 * classes, re-exported unchanged — and adds the peer of `npm run bench -- workflows`: a Cloudflare
 * Workflows class (`BenchWorkflow`, 1 or 3 `step.do` steps doing the same trivial work as the
 * Sundial bench activities) with two routes that exist only here:
 *
 * - `POST /bench/cf/start {steps, id?}` creates one instance (`env.BENCH_WF.create`) and returns its id;
 * - `POST /bench/cf/status {ids}` returns `instance.status()` of each (status, output, error);
 * - `POST /bench/cf/wait {id, wait_ms?}` waits until that instance's `run()` returned, then returns its status;
 * - `POST /bench/cf/run {steps, wait_ms?}` creates one and waits for it in one request (the peer's
 *   side of Sundial's start with `wait_seconds`).
 *
 * The instance's output carries its own timestamps (workerd clock, the same clock Sundial's objects
 * use): `started_at` (the instance's `event.timestamp`, set when the engine created it) and
 * `closed_at` (after the last step returned), so start-to-close is measured inside the platform on
 * both sides.
 *
 * It also adds a reference for `npm run bench -- schedules`' creates: `POST /bench/object` makes one
 * new SQLite-backed Durable Object per request, addressed by a fresh name as Sundial's schedules are,
 * whose one call creates a one-table schema and inserts a row (`BenchNewObject`): the least a create
 * that stores something in its own object can do, with no Sundial code around it.
 *
 * This file is never deployed: src/ does not import it and ../wrangler.toml ignores it.
 */
import { DurableObject, WorkflowEntrypoint } from "cloudflare:workers";
import type { WorkflowEvent, WorkflowStep } from "cloudflare:workers";
import app from "../src/index.ts";
import type { Env } from "../src/env.ts";

export * from "../src/index.ts";

/** Params of one peer instance. */
export interface BenchParams {
  /** How many `step.do` steps to run in sequence (1 or 3 in the bench). */
  steps: number;
}

/** What a peer instance returns (readable through `instance.status().output`). */
export interface BenchOutput {
  started_at: number;
  closed_at: number;
  /** Date.now() inside each step callback: when the engine ran it. */
  step_at: number[];
}

type BenchEnv = Env & { BENCH_WF: Workflow<BenchParams>; BENCH_OBJECT: DurableObjectNamespace<BenchNewObject> };

/** The schedules suite's reference (see above): a new object per request, one table, one row. */
export class BenchNewObject extends DurableObject {
  touch(at: number): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
    this.ctx.storage.sql.exec("INSERT INTO t (at) VALUES (?)", at);
    return 1;
  }
}

/**
 * Wake-ups for `/bench/cf/wait`. Cloudflare Workflows has no "wait for the result" call, and
 * polling `instance.status()` for hundreds of instances would load the engine more than the
 * workflows themselves, so `run()` signals its end here. wrangler dev runs this Worker in one
 * isolate, so the map is shared by the fetch handler and the workflow class; the wait route then
 * reads the authoritative `instance.status()` once. (Production has no such shared memory: this is
 * a local-benchmark device, and why these routes live only in the bench entry.)
 */
const finished = new Set<string>();
const waiters = new Map<string, () => void>();

function signalFinished(id: string): void {
  finished.add(id);
  const w = waiters.get(id);
  if (w) {
    waiters.delete(id);
    w();
  }
}

function waitFinished(id: string, timeoutMs: number): Promise<boolean> {
  if (finished.has(id)) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => {
      waiters.delete(id);
      resolve(false);
    }, timeoutMs);
    waiters.set(id, () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** The peer workflow: N sequential steps, each returning a timestamp (the bench activities' work). */
export class BenchWorkflow extends WorkflowEntrypoint<BenchEnv, BenchParams> {
  override async run(event: Readonly<WorkflowEvent<BenchParams>>, step: WorkflowStep): Promise<BenchOutput> {
    const ts = event.timestamp as unknown;
    const startedAt = ts instanceof Date ? ts.getTime() : typeof ts === "number" ? ts : Date.parse(String(ts));
    const n = Math.max(1, Math.min(10, Math.floor(event.payload.steps)));
    const stepAt: number[] = [];
    for (let i = 1; i <= n; i++) {
      const r = await step.do(`step ${i}`, async () => ({ i, at: Date.now() }));
      stepAt.push(r.at);
    }
    const out = { started_at: startedAt, closed_at: Date.now(), step_at: stepAt };
    signalFinished(event.instanceId);
    return out;
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

async function benchRoute(req: Request, env: BenchEnv, path: string): Promise<Response> {
  if (req.method !== "POST") return json({ error: "POST only" }, 405);
  const body = (await req.json().catch(() => ({}))) as { steps?: unknown; id?: unknown; ids?: unknown };
  if (path === "/bench/cf/start") {
    const steps = typeof body.steps === "number" ? body.steps : 1;
    const instance = await env.BENCH_WF.create({ ...(typeof body.id === "string" ? { id: body.id } : {}), params: { steps } });
    return json({ id: instance.id });
  }
  if (path === "/bench/cf/status") {
    const ids = Array.isArray(body.ids) ? body.ids.filter((x): x is string => typeof x === "string").slice(0, 500) : [];
    const out = await Promise.all(
      ids.map(async (id) => {
        try {
          const s = await (await env.BENCH_WF.get(id)).status();
          return { id, status: s.status, output: s.output ?? null, error: s.error ?? null };
        } catch (err) {
          return { id, status: "unknown", output: null, error: { name: "Error", message: String(err) } };
        }
      }),
    );
    return json({ instances: out });
  }
  const waitMs = typeof (body as { wait_ms?: unknown }).wait_ms === "number" ? Math.min(60_000, (body as { wait_ms: number }).wait_ms) : 30_000;
  if (path === "/bench/cf/wait") return json(await waitForInstance(env, typeof body.id === "string" ? body.id : "", waitMs));
  if (path === "/bench/cf/run") {
    const instance = await env.BENCH_WF.create({ params: { steps: typeof body.steps === "number" ? body.steps : 1 } });
    return json(await waitForInstance(env, instance.id, waitMs));
  }
  return json({ error: `no bench route ${path}` }, 404);
}

/** Long poll: once run() has finished (or after waitMs), the instance's status. */
async function waitForInstance(env: BenchEnv, id: string, waitMs: number): Promise<unknown> {
  await waitFinished(id, waitMs);
  finished.delete(id);
  for (let i = 0; ; i++) {
    const s = await (await env.BENCH_WF.get(id)).status();
    // run() has returned; the engine may need a moment to record the output.
    if (s.status === "complete" || s.status === "errored" || s.status === "terminated" || i >= 50) return { id, status: s.status, output: s.output ?? null, error: s.error ?? null };
    await new Promise((r) => setTimeout(r, 2));
  }
}

export default {
  async fetch(req: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/bench/cf/")) return benchRoute(req, env, path);
    if (path === "/bench/object" && req.method === "POST") return json({ ok: await env.BENCH_OBJECT.getByName(crypto.randomUUID()).touch(Date.now()) });
    return app.fetch(req, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
