/**
 * `npm run bench -- profile [creates|workflows|steps|fires] [--n=600] [--concurrency=16] [--workers=4] [--top=30] [--states]`:
 * where the platform's time goes, for the two floors the other suites miss.
 *
 * Boots the bench's `wrangler dev` (bench/wrangler.bench.toml, local observability off), warms it
 * up, then runs `--n` operations at `--concurrency` while the Worker isolate is profiled through
 * wrangler's inspector (the same DevTools endpoint `wrangler dev` offers for debugging):
 * - `creates`: POST /v1/workflows/schedules with distinct keys (what `schedules` times);
 * - `workflows`: start + result of `bench_one` (one activity) with `--workers` SDK worker
 *   processes (bench/fixtures/bench-worker.ts, what `workflows` times);
 * - `steps`: the same with `bench_step_one` (one `ctx.step.run` instead of the activity);
 * - `fires`: `--n` schedules (default 400) all due in the same second, as `schedules` times: the
 *   profile runs from 2 s before that second until 50 pollers (each polls, completes the run with
 *   one command and polls again) have received every run's first task, and 2 s more for the
 *   schedules' own bookkeeping. Per operation = per fire.
 * Prints the rate (lower than the other suites': sampling costs CPU), the CPU time per operation of
 * each platform process split into user and system time (/proc), and the isolate's functions by
 * self and inclusive time, with the bundle line most samples fell on, so an anonymous route
 * handler or a native call (a Durable Object stub, `sql.exec`) shows where it is. The profile is
 * written to bench/results/ (open it in Chrome DevTools' Performance panel).
 *
 * `--states`: no CPU profile (the sampler costs the isolate CPU); instead each workerd's main thread
 * state is sampled every 3 ms (bench/lib/thread-states.ts), which tells whether the thread is
 * running, waiting on the disk (fsync) or idle while the operations run, at the suites' own rate.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listeningPorts, workerdSample } from "../test/soak/lib/memory.ts";
import { readStat } from "./lib/cpu.ts";
import { isIdle, summarize, type CpuProfile, type FunctionTime } from "./lib/cpu-profile.ts";
import { sampleThreadStates } from "./lib/thread-states.ts";
import { Child, Platform, api, cleanup, pool, sleep } from "./lib/platform.ts";
import { printContext, printTable } from "./lib/report.ts";
import { POLLERS, PREPARE_AHEAD_MS, cron6, dueSecond, sleepUntil } from "./lib/schedule-load.ts";

interface Options {
  what: "creates" | "workflows" | "steps" | "fires";
  n: number;
  concurrency: number;
  workers: number;
  top: number;
  /** Sample thread states instead of profiling the isolate. */
  states: boolean;
}

/** Defaults: 16 creates in flight (as `schedules`), 32 workflows in flight (as `workflows`). */
function parse(args: string[]): Options {
  const o: Options = { what: "creates", n: 0, concurrency: 0, workers: 4, top: 30, states: false };
  for (const a of args) {
    if (a === "--states") {
      o.states = true;
      continue;
    }
    if (a === "creates" || a === "workflows" || a === "steps" || a === "fires") {
      o.what = a;
      continue;
    }
    const m = /^--(n|concurrency|workers|top)=(\d+)$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a} (expected creates|workflows|steps|fires, --n=, --concurrency=, --workers=, --top=, --states)`);
    o[m[1] as "n" | "concurrency" | "workers" | "top"] = Number(m[2]);
  }
  if (o.concurrency === 0) o.concurrency = o.what === "creates" ? 16 : 32;
  if (o.n === 0) o.n = o.what === "fires" ? 400 : 600;
  return o;
}

/** A DevTools Protocol session on wrangler's inspector (it checks Origin like a browser would). */
class Inspector {
  private id = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (e: MessageEvent) => {
      const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (m.id !== undefined) this.pending.get(m.id)?.(m.result);
    });
  }

  /** Finds wrangler's inspector among the platform's listening ports (its /json/list names a `/ws` endpoint). */
  static async connect(pids: number[]): Promise<Inspector> {
    for (const port of pids.flatMap((p) => listeningPorts(p))) {
      try {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1_000) })).json()) as { webSocketDebuggerUrl?: string }[];
        const url = Array.isArray(list) ? list[0]?.webSocketDebuggerUrl : undefined;
        if (!url?.endsWith("/ws")) continue;
        // Node's WebSocket (undici) takes headers as a non-standard init option.
        const ws = new (WebSocket as unknown as new (u: string, init: unknown) => WebSocket)(url, { headers: { origin: "https://devtools.devprod.cloudflare.dev" } });
        await new Promise<void>((resolve, reject) => {
          ws.addEventListener("open", () => resolve());
          ws.addEventListener("error", () => reject(new Error(`inspector ${url} refused the connection`)));
        });
        return new Inspector(ws);
      } catch {
        /* not the inspector */
      }
    }
    throw new Error("wrangler's inspector was not found among the platform's listening ports");
  }

  /** Sends a call; the isolate answers only while it runs, so `nudge` keeps it busy until the answer comes. */
  async call(method: string, params: Record<string, unknown>, nudge: () => Promise<unknown>): Promise<unknown> {
    const id = ++this.id;
    let result: unknown;
    let done = false;
    const answered = new Promise<void>((resolve) => this.pending.set(id, (r) => ((result = r), (done = true), resolve())));
    this.ws.send(JSON.stringify({ id, method, params }));
    const deadline = Date.now() + 30_000;
    while (!done) {
      if (Date.now() > deadline) throw new Error(`the inspector did not answer ${method}`);
      await Promise.race([answered, nudge().then(() => new Promise((r) => setTimeout(r, 20)))]);
    }
    this.pending.delete(id);
    return result;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * `fires`: creates `n` schedules all due at one second T (before the profile starts); the measured
 * part starts 2 s before T and ends when the pollers have received every run's first task, plus 2 s.
 */
function fires(url: string, n: number): { prepare: () => Promise<void>; measured: () => Promise<void> } {
  const queue = "bench-fires";
  let due = 0;
  return {
    prepare: async () => {
      due = dueSecond(n, 30, PREPARE_AHEAD_MS);
      const spec = cron6(due);
      await pool(n, 16, async (i) => {
        const r = await api(url, "POST", "/v1/workflows/schedules", { workflow: "bench_fires", key: `fire-${i}`, cron: spec, timezone: "UTC", task_queue: queue });
        if (r.status !== 201) throw new Error(`create fire-${i}: status ${r.status}`);
      });
      console.error(`created ${n} schedules due at ${new Date(due).toISOString()} (${((due - Date.now()) / 1000).toFixed(0)} s from now)`);
      if (due - Date.now() < 3000) throw new Error("creating took longer than planned");
      await sleepUntil(due - 2000);
    },
    measured: async () => {
      let received = 0;
      const stopAt = due + 120_000;
      await Promise.all(
        Array.from({ length: POLLERS }, async (_, k) => {
          while (received < n && Date.now() < stopAt) {
            const r = await api(url, "POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: `profile-poller-${k}`, wait_seconds: 5 }, [204]);
            if (r.status !== 200) continue;
            received++;
            const t = r.body as { task_token: string };
            await api(url, "POST", "/v1/workflows/tasks/workflow/complete", { task_token: t.task_token, commands: [{ type: "complete_workflow", result: null }] });
          }
        }),
      );
      console.error(`${received}/${n} first tasks received ${((Date.now() - due) / 1000).toFixed(1)} s after the due time`);
      await sleep(2000);
    },
  };
}

export async function run(args: string[]): Promise<void> {
  const o = parse(args);
  process.env.X_LOCAL_OBSERVABILITY = "false";
  printContext("profile", [
    ["method", `${o.n} ${o.what === "creates" ? "schedule creates" : o.what === "fires" ? `schedules due in the same second, handed to ${POLLERS} pollers` : `${o.what === "steps" ? "1-step" : "1-activity"} workflows (start + result) with ${o.workers} SDK worker processes`}, ${o.what === "fires" ? "" : `${o.concurrency} in flight, `}after a warm-up; ${o.states ? "each workerd's main thread state sampled every 3 ms from /proc" : "the Worker isolate sampled through wrangler's inspector"}`],
  ]);
  const platform = await Platform.prepare("profile");
  try {
    await platform.boot();
    const url = platform.url;
    let op: (i: number, tag: string) => Promise<unknown>;
    /** What is measured (default: `--n` ops, `--concurrency` in flight); `fires` sets its own, and what to do before it. */
    let measured = async (): Promise<void> => void (await pool(o.n, o.concurrency, (i) => op(i, "op")));
    let prepare = async () => {};
    if (o.what === "fires") {
      op = (i, tag) => api(url, "POST", "/v1/workflows/schedules", { workflow: "bench_profile", key: `${tag}-${i}`, cron: "0 0 0 1 1 *", timezone: "UTC", task_queue: "bench" });
      ({ prepare, measured } = fires(url, o.n));
    } else if (o.what === "creates") {
      op = (i, tag) => api(url, "POST", "/v1/workflows/schedules", { workflow: "bench_profile", key: `${tag}-${i}`, cron: "0 0 0 1 1 *", timezone: "UTC", task_queue: "bench" });
    } else {
      const workers = Array.from({ length: o.workers }, (_, i) => Child.node(`bench worker ${i + 1}`, "bench/fixtures/bench-worker.ts", { SUNDIAL_URL: url, SUNDIAL_TASK_QUEUE: "bench" }));
      for (const w of workers) await w.waitFor("bench-worker ready");
      op = async (i, tag) => {
        const id = `${tag}-${i}`;
        await api(url, "POST", "/v1/workflows/executions", { workflow: o.what === "steps" ? "bench_step_one" : "bench_one", task_queue: "bench", execution_id: id });
        for (;;) if ((await api(url, "GET", `/v1/workflows/executions/${id}/result?wait_seconds=60`, undefined, [202])).status === 200) return;
      };
    }
    await pool(Math.min(60, o.n), Math.min(8, o.concurrency), (i) => op(i, "warm"));
    await prepare();

    const pids = platform.tree().map((p) => p.pid);
    const role = (p: { pid: number; name: string }) => (p.name === "workerd" ? ` (${workerdSample(p.pid)?.role ?? "?"})` : "");
    if (o.states) {
      const workerds = platform.tree().filter((p) => p.name === "workerd");
      const sampler = sampleThreadStates(workerds.map((p) => p.pid));
      const t0 = performance.now();
      await measured();
      const seconds = (performance.now() - t0) / 1000;
      const states = sampler.stop();
      console.log(`\n${o.n} ${o.what} in ${seconds.toFixed(1)} s: ${(o.n / seconds).toFixed(1)}/s\n`);
      const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
      printTable(
        [{ header: "main thread" }, { header: "samples", right: true }, { header: "running", right: true }, { header: "disk wait", right: true }, { header: "idle", right: true }, { header: "other", right: true }],
        workerds.map((p) => {
          const s = states.get(p.pid)!;
          return [`${p.name} ${p.pid}${role(p)}`, String(s.samples), pct(s.running), pct(s.diskWait), pct(s.idle), pct(s.other)];
        }),
      );
      console.log("\nrunning: on a CPU or ready to run (R); disk wait: uninterruptible sleep (D), e.g. an fsync waiting for writeback; idle: sleeping (S), e.g. the event loop waiting for work.");
      return;
    }
    const inspector = await Inspector.connect(pids);
    const nudge = () => fetch(`${url}/v1/health`).then((r) => r.arrayBuffer());
    await inspector.call("Profiler.enable", {}, nudge);
    await inspector.call("Profiler.setSamplingInterval", { interval: 200 }, nudge);
    await inspector.call("Profiler.start", {}, nudge);
    const before = new Map(pids.map((p) => [p, readStat(p)]));
    const t0 = performance.now();
    await measured();
    const seconds = (performance.now() - t0) / 1000;
    const after = new Map(pids.map((p) => [p, readStat(p)]));
    const { profile } = (await inspector.call("Profiler.stop", {}, nudge)) as { profile: CpuProfile };
    inspector.close();

    mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
    const file = new URL(`./results/profile-${o.what}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`, import.meta.url).pathname;
    writeFileSync(file, JSON.stringify(profile));

    console.log(`\n${o.n} ${o.what} in ${seconds.toFixed(1)} s: ${(o.n / seconds).toFixed(1)}/s while sampling\n`);
    printTable(
      [{ header: "platform process" }, { header: "user ms/op", right: true }, { header: "system ms/op", right: true }],
      platform.tree().map((p) => {
        const a = before.get(p.pid) ?? { user: 0, sys: 0 };
        const b = after.get(p.pid) ?? a;
        return [`${p.name} ${p.pid}${role(p)}`, ((1000 * (b.user - a.user)) / o.n).toFixed(2), ((1000 * (b.sys - a.sys)) / o.n).toFixed(2)];
      }),
    );

    const s = summarize(profile);
    const busy = s.totalMs - s.idleMs;
    const bundleDir = join(platform.dir, "bundle");
    const bundle = readFileSync(join(bundleDir, readdirSync(bundleDir).find((f) => f.endsWith(".js"))!), "utf8").split("\n");
    const where = (f: FunctionTime) => {
      if (f.hotLine === null || !f.url.endsWith(".js") || f.url.startsWith("cloudflare-internal")) return "";
      return bundle[f.hotLine - 1]?.trim().slice(0, 90) ?? "";
    };
    const rows = (list: FunctionTime[], by: "selfMs" | "inclusiveMs") =>
      list.slice(0, o.top).map((f) => [f.key.slice(0, 60), (f[by] / o.n).toFixed(3), `${((100 * f[by]) / busy).toFixed(1)} %`, where(f)]);
    console.log(`\nWorker isolate: ${s.totalMs.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (${(busy / o.n).toFixed(2)} ms/op); idle, (program) and GC ${s.idleMs.toFixed(0)} ms\n`);
    const cols = (t: string) => [{ header: t }, { header: "ms/op", right: true }, { header: "of busy", right: true }, { header: "hottest bundle line" }];
    const code = s.functions.filter((f) => !isIdle(f.name));
    printTable(cols("by self time"), rows(code, "selfMs"));
    console.log("");
    printTable(cols("by inclusive time"), rows([...code].sort((a, b) => b.inclusiveMs - a.inclusiveMs), "inclusiveMs"));
    console.log(`\nnative calls (a Durable Object stub's method, sql.exec) count as self time of the JavaScript that made them; the profile: ${file}`);
  } finally {
    await cleanup();
  }
}
