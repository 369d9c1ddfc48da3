/**
 * `npm run bench -- workflows [--n=300] [--concurrency=32] [--idle=100] [--warmup=30] [--eager=0] [--observability=1] [--quick]`:
 * workflow throughput and latency of Sundial on a real `wrangler dev` with real SDK worker
 * processes, beside Cloudflare Workflows running in the SAME wrangler dev (bench/bench-entry.ts).
 *
 * Rows (one table):
 * - `idle`: executions one at a time (pollers are already waiting when each is started): unloaded
 *   start-to-close and dispatch latency. Sundial with 1 worker; the peer with 1 and 3 steps.
 * - closed loop: `--n` executions per cell, `--concurrency` in flight (each lane starts one, waits
 *   for its result, starts the next): 1- and 3-activity workflows with 1 and 4 worker processes
 *   (bench/fixtures/bench-worker.ts, SDK defaults), the same with 1 and 3 durable steps
 *   (`ctx.step.run`, run inline in the workflow task as the peer's `step.do` is), and the peer's
 *   1- and 3-step workflows.
 *
 * Every latency comes from the platform's own timestamps (workerd clock), not from the client:
 * Sundial start-to-close = the execution's started_at → closed_at (GET /v1/workflows/executions/{id});
 * dispatch = history event timestamps (and the activity's own Date.now() in the worker process, same
 * machine clock). The peer: the instance's event.timestamp → Date.now() after its last step.
 * Throughput = completed executions / (last close − first start) of the cell.
 * Requests per workflow = HTTP requests the bench (start, result / wait) and the SDK worker
 * processes (polls, completions, acks, heartbeats: each worker prints its counts) made during the
 * cell / executions.
 */
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { CpuMeter, busyCores, fsType, loadAverage, waitQuiet, type ProcessGroup } from "./lib/cpu.ts";
import { Child, Platform, api, cleanup, pool, sleep } from "./lib/platform.ts";
import { packageVersion, printContext, printTable } from "./lib/report.ts";
import { floor, ms, pct, rate, ratio } from "./lib/stats.ts";

const QUEUE = "bench";
/** Before each cell, wait up to this long for other processes on the machine to go quiet. */
const QUIET_WAIT_MS = 3_000;
/** Cells during which other processes used at least this many cores are flagged with "*". */
const BUSY_OTHER = 0.5;

interface Options {
  n: number;
  concurrency: number;
  idle: number;
  warmup: number;
  /** 0: SDK workers without eager dispatch (every task through a poll), to compare. */
  eager: number;
  /**
   * 1 (default): start and wait in one request on both sides (Sundial's start with `wait_seconds`,
   * the peer's `/bench/cf/run`); 0: a start, then a separate wait, as before that call existed.
   */
  startwait: number;
  /**
   * 1: keep wrangler dev's local observability on (its default: every request and Durable Object
   * call is traced into a local SQLite store, which costs more platform CPU than Sundial's own
   * work does). 0 (the default here): off, for both systems, as neither pays it in production.
   */
  observability: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { n: 300, concurrency: 32, idle: 100, warmup: 30, eager: 1, startwait: 1, observability: 0 };
  for (const a of args) {
    const m = /^--([a-z]+)(?:=(\d+))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a} (expected --n=, --concurrency=, --idle=, --warmup=, --eager=0, --startwait=0, --observability=1, --quick)`);
    const [, k, v] = m as unknown as [string, string, string | undefined];
    if (k === "quick") Object.assign(o, { n: 60, idle: 20, warmup: 10, concurrency: 16 });
    else if (k in o && v !== undefined) o[k as keyof Options] = Number(v);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** One execution's measurements (ms). */
interface Sample {
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

interface Cell {
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
const benchRequests: Record<string, number> = {};
function countRequest(what: string): void {
  benchRequests[what] = (benchRequests[what] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// Sundial

/** Whether each run is started and waited for in one request (`--startwait`, set by run()). */
let startAndWait = true;

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

async function sundialCell(url: string, shape: 1 | 3, n: number, concurrency: number, prefix: string, work: Cell["work"] = "activity"): Promise<Sample[]> {
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

function cfCell(url: string, shape: 1 | 3, n: number, concurrency: number): Promise<Sample[]> {
  return pool(n, concurrency, () => cfRun(url, shape));
}

// ---------------------------------------------------------------------------------------------
// Calibration: what one trivial HTTP round trip costs through wrangler dev, and without it.

async function roundTripP50(url: string, n: number): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await (await fetch(url)).text();
    lat.push(performance.now() - t0);
  }
  return pct(lat.slice(Math.floor(n / 5))).p50;
}

async function nodeHttpP50(n: number): Promise<number> {
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

// ---------------------------------------------------------------------------------------------

/** Total of a counts map, without the "empty polls" tally (those are already counted as polls). */
function requestTotal(r: Record<string, number>): number {
  return Object.entries(r).reduce((sum, [k, v]) => sum + (k === "empty polls" ? 0 : v), 0);
}

function cellRow(c: Cell, peer: Cell | undefined): string[] {
  const ok = c.samples.filter((s) => s.ok);
  const first = Math.min(...ok.map((s) => s.startedAt));
  const last = Math.max(...ok.map((s) => s.closedAt));
  const wfs = c.load === "idle" ? Number.NaN : ok.length / ((last - first) / 1000);
  const stc = pct(ok.map((s) => s.startToClose));
  const fw = pct(ok.map((s) => s.firstWork));
  const wt = pct(ok.map((s) => s.wtDispatch).filter(Number.isFinite));
  const act = pct(ok.flatMap((s) => s.actDispatch));
  let vsWfs = "";
  let vsP50 = "";
  if (peer) {
    const pOk = peer.samples.filter((s) => s.ok);
    const pFirst = Math.min(...pOk.map((s) => s.startedAt));
    const pLast = Math.max(...pOk.map((s) => s.closedAt));
    const pWfs = pOk.length / ((pLast - pFirst) / 1000);
    vsWfs = c.load === "idle" ? "—" : ratio(wfs, pWfs);
    vsP50 = ratio(stc.p50, pct(pOk.map((s) => s.startToClose)).p50);
  }
  const cpu = c.cpu;
  const name = c.work === "activity" ? `${c.shape} activit${c.shape === 1 ? "y" : "ies"}` : `${c.shape} step${c.shape === 1 ? "" : "s"}`;
  return [
    c.system,
    name,
    c.workers,
    c.load === "idle" ? "1 (idle)" : String(c.inFlight),
    `${ok.length}/${c.samples.length}`,
    c.load === "idle" ? "—" : rate(wfs),
    ms(stc.p50),
    ms(stc.p99),
    ms(fw.p50),
    ms(fw.p99),
    c.system === "Sundial" ? `${ms(wt.p50)} / ${ms(wt.p99)}` : "—",
    c.system === "Sundial" && c.work === "activity" ? `${ms(act.p50)} / ${ms(act.p99)}` : "—",
    `${(cpu.other ?? 0) >= BUSY_OTHER ? "*" : ""}${(cpu.platform ?? 0).toFixed(2)}/${(cpu.workers ?? 0).toFixed(2)}/${(cpu.bench ?? 0).toFixed(2)}/${(cpu.other ?? 0).toFixed(2)}`,
    ms(((cpu.platform ?? 0) * (cpu.wall ?? 0) * 1000) / Math.max(1, c.samples.length)),
    (requestTotal(c.requests) / Math.max(1, c.samples.length)).toFixed(1),
    vsWfs,
    vsP50,
  ];
}

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  // wrangler dev reads it at start-up (Platform.boot passes the environment on).
  process.env.X_LOCAL_OBSERVABILITY = o.observability ? "true" : "false";
  startAndWait = o.startwait !== 0;
  const t0 = performance.now();
  const otherBefore = await busyCores(1000);
  printContext("workflows", [
    ["libraries", `wrangler ${packageVersion("wrangler")}, workerd ${packageVersion("wrangler/node_modules/workerd")}, miniflare ${packageVersion("wrangler/node_modules/miniflare")}`],
    ["method", `closed loop: ${o.n} executions per cell, ${o.concurrency} in flight; idle rows: ${o.idle} executions one at a time; ${o.warmup} warm-up executions per shape before each configuration`],
    ["platform", `one \`wrangler dev\` (bench/wrangler.bench.toml, bundled once, served as is) for Sundial and the Cloudflare Workflows peer; state in ${process.env.BENCH_STATE_ROOT ?? tmpdir()} (${fsType(process.env.BENCH_STATE_ROOT ?? tmpdir())}); wrangler's local observability (request tracing, X_LOCAL_OBSERVABILITY) ${o.observability ? "ON (wrangler's default)" : "off"}`],
    ["workers", `bench/fixtures/bench-worker.ts, SDK defaults (2 workflow pollers, 2 activity pollers, 10 workflow and 10 activity slots per process, eager dispatch ${o.eager ? "on" : "OFF"})`],
    ["clients", o.startwait ? "each run started and waited for in one request (Sundial: POST /v1/workflows/executions with wait_seconds; peer: /bench/cf/run)" : "a start, then a separate wait (--startwait=0)"],
    ["machine load", `${otherBefore.toFixed(2)} cores busy before start (load average ${loadAverage()})`],
  ]);

  const platform = await Platform.prepare("workflows");
  let workers: Child[] = [];
  const cells: Cell[] = [];
  try {
    await platform.boot();
    console.error(`state in ${platform.dir} (${fsType(platform.dir)})`);
    const wranglerPid = platform.pid!;
    const groups: ProcessGroup[] = [
      { name: "platform", pids: () => [wranglerPid], groups: true },
      { name: "workers", pids: () => workers.map((w) => w.pid ?? -1) },
      { name: "bench", pids: () => [process.pid], descendants: false },
    ];
    const meter = new CpuMeter(groups);
    await waitQuiet(meter, 10_000);
    const h0 = meter.sample();
    const floorHealth = await roundTripP50(`${platform.url}/v1/health`, 250);
    const hu = CpuMeter.usage(h0, meter.sample());
    const healthCpuMs = ((hu.platform ?? 0) * hu.wall * 1000) / 250;
    const floorNode = await nodeHttpP50(250);
    const runId = Date.now().toString(36);

    /** Every request made so far: the bench's own and each worker's last printed counts. */
    const requestsSoFar = async (): Promise<Record<string, number>> => {
      await sleep(300); // the workers print their counts every 200 ms
      const total: Record<string, number> = { ...benchRequests };
      for (const w of workers) {
        const at = w.log.lastIndexOf("bench-worker counts ");
        if (at < 0) continue;
        const line = w.log.slice(at + "bench-worker counts ".length).split("\n")[0]!;
        for (const [k, v] of Object.entries(JSON.parse(line) as Record<string, number>)) total[k] = (total[k] ?? 0) + v;
      }
      return total;
    };
    const measure = async (cell: Omit<Cell, "samples" | "cpu" | "requests">, fn: () => Promise<Sample[]>): Promise<Cell> => {
      const quiet = await waitQuiet(meter, QUIET_WAIT_MS);
      if (quiet >= 0.3) console.error(`  (other processes still used ${quiet.toFixed(2)} cores after ${QUIET_WAIT_MS / 1000} s; measuring anyway)`);
      const r0 = await requestsSoFar();
      const a = meter.sample();
      const samples = await fn();
      const cpu = CpuMeter.usage(a, meter.sample());
      const r1 = await requestsSoFar();
      const requests = Object.fromEntries(Object.entries(r1).map(([k, v]) => [k, v - (r0[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
      const c = { ...cell, samples, cpu, requests };
      cells.push(c);
      const bad = samples.filter((s) => !s.ok);
      console.error(`  ${cell.system} ${cell.shape} ${cell.work} ${cell.workers} ${cell.load}: ${samples.length - bad.length}/${samples.length} ok${bad[0] ? ` (first failure: ${bad[0].error})` : ""}`);
      return c;
    };
    const startWorkers = async (count: number) => {
      workers = Array.from({ length: count }, (_, i) => Child.node(`bench worker ${i + 1}`, "bench/fixtures/bench-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: QUEUE, BENCH_EAGER: String(o.eager) }));
      await Promise.all(workers.map((w) => w.waitFor("bench-worker ready", 60_000)));
    };
    const stopWorkers = async () => {
      await Promise.all(workers.map((w) => w.stop()));
      workers = [];
    };

    // Sundial and its peer are measured in alternation (the peer cell of a shape runs between
    // Sundial's activity and step cells of that shape), so the cells behind every ratio are
    // neighbours that ran under the same machine conditions.
    for (const count of [1, 4]) {
      console.error(`Sundial, ${count} worker process${count === 1 ? "" : "es"}, alternating with Cloudflare Workflows…`);
      await startWorkers(count);
      await sundialCell(platform.url, 1, o.warmup, 8, `w${runId}-warm1-${count}`);
      await sundialCell(platform.url, 3, o.warmup, 8, `w${runId}-warm3-${count}`);
      await sundialCell(platform.url, 1, o.warmup, 8, `w${runId}-warmstep1-${count}`, "step");
      await sundialCell(platform.url, 3, o.warmup, 8, `w${runId}-warmstep3-${count}`, "step");
      await cfCell(platform.url, 1, o.warmup, 8);
      await cfCell(platform.url, 3, o.warmup, 8);
      if (count === 1) {
        await measure({ system: "Sundial", shape: 1, work: "activity", workers: "1", load: "idle", inFlight: 1, phase: 1 }, () => sundialCell(platform.url, 1, o.idle, 1, `w${runId}-idle1`));
        await measure({ system: "Sundial", shape: 1, work: "step", workers: "1", load: "idle", inFlight: 1, phase: 1 }, () => sundialCell(platform.url, 1, o.idle, 1, `w${runId}-idlestep1`, "step"));
        for (const shape of [1, 3] as const) await measure({ system: "CF Workflows", shape, work: "step", workers: "—", load: "idle", inFlight: 1, phase: 1 }, () => cfCell(platform.url, shape, o.idle, 1));
      }
      for (const shape of [1, 3] as const) {
        // The peer cell sits between Sundial's activity and step cells of the same shape: both ratios pair neighbours.
        await measure({ system: "Sundial", shape, work: "activity", workers: String(count), load: "loop", inFlight: o.concurrency, phase: count }, () => sundialCell(platform.url, shape, o.n, o.concurrency, `w${runId}-s${shape}-w${count}`));
        await measure({ system: "CF Workflows", shape, work: "step", workers: `— (beside ${count}w)`, load: "loop", inFlight: o.concurrency, phase: count }, () => cfCell(platform.url, shape, o.n, o.concurrency));
        await measure({ system: "Sundial", shape, work: "step", workers: String(count), load: "loop", inFlight: o.concurrency, phase: count }, () => sundialCell(platform.url, shape, o.n, o.concurrency, `w${runId}-st${shape}-w${count}`, "step"));
      }
      await stopWorkers();
    }

    // ------------------------------------------------------------------ report
    const peerOf = (c: Cell) => (c.system === "Sundial" ? cells.find((p) => p.system === "CF Workflows" && p.shape === c.shape && p.load === c.load && p.phase === c.phase) : undefined);
    const order = (c: Cell) => (c.system === "Sundial" ? 0 : 1) * 1000 + (c.system === "Sundial" && c.work === "step" ? 100 : 0) + (c.load === "idle" ? 0 : 10) + c.shape * 2 + Number(c.phase === 4);
    const sorted = [...cells].sort((a, b) => order(a) - order(b));
    const rows: (string[] | null)[] = [];
    let prevSys = "";
    for (const c of sorted) {
      const group = `${c.system} ${c.system === "Sundial" ? c.work : ""}`;
      if (prevSys && prevSys !== group) rows.push(null);
      prevSys = group;
      rows.push(cellRow(c, peerOf(c)));
    }
    console.log("");
    printTable(
      [
        { header: "system" },
        { header: "workflow" },
        { header: "workers" },
        { header: "in flight", right: true },
        { header: "ok", right: true },
        { header: "wf/s", right: true },
        { header: "start→close p50 ms", right: true },
        { header: "p99 ms", right: true },
        { header: "start→1st work p50", right: true },
        { header: "p99", right: true },
        { header: "1st WT dispatch p50/p99", right: true },
        { header: "activity dispatch p50/p99", right: true },
        { header: "cores plat/wrk/bench/other", right: true },
        { header: "plat CPU ms/wf", right: true },
        { header: "HTTP req/wf", right: true },
        { header: "wf/s ÷ CF", right: true },
        { header: "p50 ÷ CF", right: true },
      ],
      rows,
    );

    const cell = (sys: Cell["system"], shape: 1 | 3, workersLabel: string, load: Cell["load"], work: Cell["work"] = sys === "Sundial" ? "activity" : "step") =>
      cells.find((c) => c.system === sys && c.shape === shape && c.workers === workersLabel && c.load === load && c.work === work);
    const wfsOf = (c: Cell | undefined) => {
      if (!c) return Number.NaN;
      const ok = c.samples.filter((s) => s.ok);
      return ok.length / ((Math.max(...ok.map((s) => s.closedAt)) - Math.min(...ok.map((s) => s.startedAt))) / 1000);
    };
    const idle = cell("Sundial", 1, "1", "idle");
    const idleWt = pct(idle?.samples.filter((s) => s.ok).map((s) => s.wtDispatch) ?? []);
    const idleAct = pct(idle?.samples.filter((s) => s.ok).flatMap((s) => s.actDispatch) ?? []);
    const four = wfsOf(cell("Sundial", 1, "4", "loop"));
    const fourSteps = wfsOf(cell("Sundial", 1, "4", "loop", "step"));
    console.log("");
    console.log("wf/s = completed executions / (last close - first start) of the cell, platform clock. Latencies in ms from the platform's own timestamps (ms resolution).");
    console.log("start→1st work = execution start → the first activity or step ran in a worker process (Sundial) / the first step.do callback ran (CF Workflows).");
    console.log("Sundial steps = ctx.step.run: the function runs inline in the workflow task and its outcome is recorded with the task's completion (step_recorded), as CF Workflows' step.do runs inside its instance; an activity is a task of its own (scheduled, polled or eagerly handed over, completed).");
    console.log("1st WT dispatch = first workflow task: workflow_task_scheduled → workflow_task_started (leased by a poller, server side). activity dispatch = activity_scheduled → the activity function ran in the worker process (its Date.now()).");
    console.log("÷ CF = Sundial divided by the CF Workflows row of the same shape and load (wf/s: > 1 Sundial faster; p50: > 1 Sundial slower).");
    console.log(`cores = CPU used during the cell: platform (wrangler + workerd) / SDK worker processes / this bench process / everything else on the machine; * = other processes used >= ${BUSY_OTHER} cores (a shared machine: read that row with care). plat CPU ms/wf = platform CPU time / executions.`);
    const perWf = (c: Cell | undefined) =>
      c
        ? Object.entries(c.requests)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => `${k} ${(v / Math.max(1, c.samples.length)).toFixed(2)}`)
            .join(", ")
        : "—";
    console.log(`HTTP req/wf = requests by the bench (start, result / wait) and the SDK workers (polls, completions, acks, heartbeats) during the cell / executions. Sundial 1 activity, 1 worker: ${perWf(cell("Sundial", 1, "1", "loop"))}; idle: ${perWf(cell("Sundial", 1, "1", "idle"))}. 1 step, 1 worker: ${perWf(cell("Sundial", 1, "1", "loop", "step"))}.`);
    console.log("CF Workflows cells ran right after the Sundial activity cell and right before the Sundial step cell of the same shape (beside 1w / 4w: while 1 or 4 idle SDK workers were connected); ratios pair those neighbours.");
    console.log(`request floor: GET /v1/health through wrangler dev p50 ${ms(floorHealth)} ms and ${ms(healthCpuMs)} ms of platform CPU per request; the same JSON from a plain Node http server p50 ${ms(floorNode)} ms (c=1, same client).`);
    console.log("");
    console.log("floors (issue):");
    console.log(floor(">= 100 single-activity workflows/s with 4 workers", four >= 100, `${rate(four)} wf/s (closed loop, ${o.concurrency} in flight); with one step instead of the activity: ${rate(fourSteps)} wf/s`));
    console.log(floor("dispatch p50 <= 5 ms (pollers waiting)", idleWt.p50 <= 5 && idleAct.p50 <= 5, `first workflow task ${ms(idleWt.p50)} ms, activity ${ms(idleAct.p50)} ms (idle row)`));
    console.log("");
    console.log(`suite time ${((performance.now() - t0) / 1000).toFixed(1)} s; load average at end ${loadAverage()}`);
  } finally {
    await cleanup();
  }
}
