/**
 * The schedules suite's load helpers (bench/schedules.ts, also used by bench/profile.ts): the
 * one-second cron, the due second after a pilot, the D1 seed of index rows, timed calls with
 * bounded concurrency, and counting executions from the D1 index.
 */
import { writeFileSync } from "node:fs";
import { api, pool, sleep } from "./platform.ts";
import { pct } from "./stats.ts";


/** bench/wrangler.bench.toml's SUNDIAL_PREPARE_AHEAD_SECONDS. */
export const PREPARE_AHEAD_MS = 60_000;
/** Pollers waiting for the fires (BullMQ's Worker runs with concurrency 50). */
export const POLLERS = 50;
/** The workflow of the seeded index rows (listing among them). */
const LIST_WORKFLOW = "bench_list";

/** `S M H D Mon *` in UTC: fires once a year, at `t` (whole second). */
export function cron6(t: number): string {
  const d = new Date(t);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

export const pad = (i: number, w = 6) => String(i).padStart(w, "0");

/** The seed: `n` schedule index rows, 500 per INSERT (D1 statements stay < 100 KB). */
export function writeSeed(file: string, n: number, now: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const values: string[] = [];
    for (let k = i; k < Math.min(n, i + 500); k++) {
      const key = `user_${pad(k)}`;
      values.push(`('default','${LIST_WORKFLOW}:${key}','${LIST_WORKFLOW}','${key}','active','api',NULL,NULL,${now},${now})`);
    }
    lines.push(`INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, next_fire_at, last_fire_at, created_at, updated_at) VALUES ${values.join(",")};`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

/** pct() plus the minimum. */
export function stats(values: readonly number[]): { p50: number; p99: number; max: number; min: number } {
  return { ...pct(values), min: values.length ? Math.min(...values) : Number.NaN };
}

/** Times `n` calls with `concurrency` in flight: rate and per-call latency. */
export async function timedCalls(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ perSec: number; lat: number[] }> {
  const lat: number[] = [];
  const t0 = performance.now();
  await pool(n, concurrency, async (i) => {
    const a = performance.now();
    await fn(i);
    lat.push(performance.now() - a);
  });
  return { perSec: (n * 1000) / (performance.now() - t0), lat };
}

/**
 * A whole second far enough ahead for `n` more creates at `perSec` (×1.5 + 8 s margin), plus the
 * 60 s lead of prepared starts for Sundial, so no schedule prepares its run while creates are
 * still being measured.
 */
export function dueSecond(n: number, perSec: number, leadMs = 0): number {
  return Math.ceil((Date.now() + (n / perSec) * 1500 + 8000 + leadMs) / 1000) * 1000;
}

/** Executions of a workflow in the D1 index (listing wakes no Durable Object). */
export async function countExecutions(url: string, workflow: string): Promise<number> {
  let count = 0;
  let token: string | null = null;
  do {
    const q: string = `/v1/workflows/executions?workflow=${workflow}&page_size=500${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
    const r = await api(url, "GET", q);
    const b = r.body as { executions: unknown[]; next_page_token: string | null };
    count += b.executions.length;
    token = b.next_page_token;
  } while (token);
  return count;
}

export async function sleepUntil(t: number): Promise<void> {
  while (Date.now() < t) await sleep(Math.min(500, t - Date.now()));
}
