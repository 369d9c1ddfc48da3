/**
 * The workflows suite's measurements (bench/workflows.ts): one execution of each system run and
 * timed from the platform's own timestamps (Sundial: the execution's describe and history; the
 * Cloudflare Workflows peer: bench/bench-entry.ts's routes), a cell of them in a closed loop, the
 * requests the bench made for them, and the HTTP round-trip floors.
 */
import { createServer } from "node:http";
import { api, pool } from "./platform.ts";
import { pct } from "./stats.ts";


export const QUEUE = "bench";

/** One execution's measurements (ms). */
export interface Sample {
  ok: boolean;
  startedAt: number;
  closedAt: number;
  startToClose: number;
  /** Execution start → the first activity / step callback ran. */
  firstWork: number;
  /** First workflow task: workflow_task_scheduled → workflow_task_started (Sundial only). */
  wtDispatch: number;
  /** Each activity: activity_scheduled → the worker process ran it (Sundial only). */
  actDispatch: number[];
  error?: string;
}

export interface Cell {
  system: "Sundial" | "CF Workflows";
  shape: 1 | 3;
  /** What the workflow's units of work are: activities (Sundial) or steps (Sundial's `ctx.step.run`, the peer's `step.do`). */
  work: "activity" | "step";
  workers: string;
  load: "idle" | "loop";
  inFlight: number;
  /** Which worker configuration the cell ran in (1 or 4 processes); peers are paired by phase. */
  phase: number;
  samples: Sample[];
  cpu: Record<string, number>;
  /** HTTP requests made during the cell, by endpoint (bench: start, result / wait; workers: the rest). */
  requests: Record<string, number>;
}

/** Requests this process made to start executions and wait for their results (both systems). */
export const benchRequests: Record<string, number> = {};
function countRequest(what: string): void {
  benchRequests[what] = (benchRequests[what] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// Sundial

/** Whether each run is started and waited for in one request (`--startwait`: run() sets it). */
let startAndWait = true;

/** Sets whether each run is started and waited for in one request. */
export function setStartAndWait(on: boolean): void {
  startAndWait = on;
}

async function sundialRun(url: string, workflow: string, id: string): Promise<void> {
  countRequest("start");
  const started = await api(url, "POST", "/v1/workflows/executions", { workflow, task_queue: QUEUE, execution_id: id, ...(startAndWait ? { wait_seconds: 60 } : {}) });
  if (started.body.status !== "running") return;
  for (let k = 0; k < 5; k++) {
    countRequest("result");
    const r = await api(url, "GET", `/v1/workflows/executions/${id}/result?wait_seconds=60`, undefined, [202]);
    if (r.status === 200) return;
  }
  throw new Error(`execution ${id} did not close within 5 minutes`);
}

interface HistoryEventLite {
  id: number;
  type: string;
  ts: string;
  seq?: number;
  result?: { at?: number } | null;
}

async function sundialSample(url: string, id: string): Promise<Sample> {
  const d = (await api(url, "GET", `/v1/workflows/executions/${id}`)).body as { status: string; started_at: string; closed_at: string | null; failure: { message: string } | null };
  const h = (await api(url, "GET", `/v1/workflows/executions/${id}/history?page_size=200`)).body as { events: HistoryEventLite[] };
  const ev = h.events;
  const t = (e: HistoryEventLite | undefined) => (e ? Date.parse(e.ts) : Number.NaN);
  const startedAt = Date.parse(d.started_at);
  const closedAt = d.closed_at ? Date.parse(d.closed_at) : Number.NaN;
  const actDispatch: number[] = [];
  let firstAct = Number.NaN;
  const step = ev.find((e) => e.type === "step_recorded")?.result?.at;
  if (typeof step === "number") firstAct = step;
  for (const s of ev.filter((e) => e.type === "activity_scheduled")) {
    const done = ev.find((e) => e.type === "activity_completed" && e.seq === s.seq);
    const at = done?.result?.at;
    if (typeof at === "number") {
      actDispatch.push(at - t(s));
      if (Number.isNaN(firstAct)) firstAct = at;
    }
  }
  return {
    ok: d.status === "completed",
    startedAt,
    closedAt,
    startToClose: closedAt - startedAt,
    firstWork: firstAct - startedAt,
    wtDispatch: t(ev.find((e) => e.type === "workflow_task_started")) - t(ev.find((e) => e.type === "workflow_task_scheduled")),
    actDispatch,
    ...(d.status === "completed" ? {} : { error: `${d.status}: ${d.failure?.message ?? ""}` }),
  };
}

export async function sundialCell(url: string, shape: 1 | 3, n: number, concurrency: number, prefix: string, work: Cell["work"] = "activity"): Promise<Sample[]> {
  const workflow = work === "step" ? (shape === 1 ? "bench_step_one" : "bench_step_three") : shape === 1 ? "bench_one" : "bench_three";
  const ids = await pool(n, concurrency, async (i) => {
    const id = `${prefix}-${i}`;
    await sundialRun(url, workflow, id);
    return id;
  });
  // Read the timestamps after the cell, so the reads do not load the platform while it is measured.
  return pool(ids.length, 8, (i) => sundialSample(url, ids[i]!));
}

// ---------------------------------------------------------------------------------------------
// Cloudflare Workflows (bench/bench-entry.ts routes)

async function post(url: string, path: string, body: unknown): Promise<any> {
  countRequest(path.endsWith("/start") || path.endsWith("/run") ? "start" : "result");
  const r = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${path} -> ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

type CfStatus = { id: string; status: string; output: { started_at: number; closed_at: number; step_at: number[] } | null; error: { message: string } | null };

async function cfRun(url: string, steps: number): Promise<Sample> {
  const closed = (s: CfStatus) => s.status === "complete" || s.status === "errored" || s.status === "terminated";
  let r = startAndWait ? ((await post(url, "/bench/cf/run", { steps, wait_ms: 60_000 })) as CfStatus) : undefined;
  const id = r?.id ?? ((await post(url, "/bench/cf/start", { steps })) as { id: string }).id;
  for (let k = 0; k < 5 && !(r && closed(r)); k++) r = (await post(url, "/bench/cf/wait", { id, wait_ms: 60_000 })) as CfStatus;
  const o = r?.output;
  if (r?.status !== "complete" || !o) {
    return { ok: false, startedAt: Number.NaN, closedAt: Number.NaN, startToClose: Number.NaN, firstWork: Number.NaN, wtDispatch: Number.NaN, actDispatch: [], error: `${r?.status}: ${r?.error?.message ?? ""}` };
  }
  return { ok: true, startedAt: o.started_at, closedAt: o.closed_at, startToClose: o.closed_at - o.started_at, firstWork: (o.step_at[0] ?? Number.NaN) - o.started_at, wtDispatch: Number.NaN, actDispatch: [] };
}

export function cfCell(url: string, shape: 1 | 3, n: number, concurrency: number): Promise<Sample[]> {
  return pool(n, concurrency, () => cfRun(url, shape));
}

// ---------------------------------------------------------------------------------------------
// Calibration: what one trivial HTTP round trip costs through wrangler dev, and without it.

export async function roundTripP50(url: string, n: number): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await (await fetch(url)).text();
    lat.push(performance.now() - t0);
  }
  return pct(lat.slice(Math.floor(n / 5))).p50;
}

export async function nodeHttpP50(n: number): Promise<number> {
  const srv = createServer((_q, s) => {
    s.setHeader("content-type", "application/json");
    s.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  try {
    return await roundTripP50(`http://127.0.0.1:${port}/`, n);
  } finally {
    srv.close();
  }
}
