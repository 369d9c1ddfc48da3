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
import { tmpdir } from "node:os";
import { CpuMeter, busyCores, fsType, loadAverage, waitQuiet, type ProcessGroup } from "./lib/cpu.ts";
import { Child, Platform, cleanup, sleep } from "./lib/platform.ts";
import { packageVersion, printContext } from "./lib/report.ts";
import { printWorkflowsReport } from "./lib/workflow-report.ts";
import { benchRequests, cfCell, nodeHttpP50, QUEUE, roundTripP50, setStartAndWait, sundialCell, type Cell, type Sample } from "./lib/workflow-runs.ts";

/** Before each cell, wait up to this long for other processes on the machine to go quiet. */
const QUIET_WAIT_MS = 3_000;

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

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  // wrangler dev reads it at start-up (Platform.boot passes the environment on).
  process.env.X_LOCAL_OBSERVABILITY = o.observability ? "true" : "false";
  setStartAndWait(o.startwait !== 0);
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

    printWorkflowsReport(cells, o.concurrency, { floorHealth, healthCpuMs, floorNode });
    console.log("");
    console.log(`suite time ${((performance.now() - t0) / 1000).toFixed(1)} s; load average at end ${loadAverage()}`);
  } finally {
    await cleanup();
  }
}