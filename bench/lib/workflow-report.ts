/**
 * The workflows suite's report (bench/workflows.ts): one table row per cell, paired with the
 * Cloudflare Workflows cell that ran beside it, the notes that explain the columns, and the
 * issue's floors.
 */
import { printTable } from "./report.ts";
import { floor, ms, pct, rate, ratio } from "./stats.ts";
import type { Cell } from "./workflow-runs.ts";

/** Cells during which other processes used at least this many cores are flagged with "*". */
const BUSY_OTHER = 0.5;


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

/** What one trivial request costs: GET /v1/health through wrangler dev (p50 and platform CPU) and the same JSON from a plain Node server. */
export interface Calibration {
  floorHealth: number;
  healthCpuMs: number;
  floorNode: number;
}

/** Prints the table, its notes and the floors, for cells measured with `concurrency` in flight. */
export function printWorkflowsReport(cells: Cell[], concurrency: number, calibration: Calibration): void {
  const { floorHealth, healthCpuMs, floorNode } = calibration;
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
  console.log(floor(">= 100 single-activity workflows/s with 4 workers", four >= 100, `${rate(four)} wf/s (closed loop, ${concurrency} in flight); with one step instead of the activity: ${rate(fourSteps)} wf/s`));
  console.log(floor("dispatch p50 <= 5 ms (pollers waiting)", idleWt.p50 <= 5 && idleAct.p50 <= 5, `first workflow task ${ms(idleWt.p50)} ms, activity ${ms(idleAct.p50)} ms (idle row)`));
}
