/**
 * Memory experiment: `node test/soak/memory.ts [--n 2000] [--rounds 3] [--more 1] [--hot 20] [--settle 30]
 * [--concurrency 8] [--rate 0] [--direct 1] [--final-idle 120]`.
 *
 * Separates what makes `wrangler dev`'s memory grow, on a real `wrangler dev` with no SDK workers:
 *  0. `fresh`: describe `--n` ids that were never started (n new ExecutionObjects that create their
 *     SQLite tables and answer 404: no index write, no task, no alarm);
 *  1. `new`: start `--n` new executions and terminate each (n distinct ExecutionObjects);
 *  2. `hot`: the same number of requests (describe, twice per execution) spread over only `--hot`
 *     executions (many requests, few objects);
 *  3. `retouch` × `--rounds`: describe each of the n executions again, after they were evicted
 *     (the same ids, a fresh object instance each);
 *  4. `new2`, `new3`…: `--more` times another n new executions.
 * After each phase it waits `--settle` seconds (idle Durable Objects are evicted after ~10 s) and
 * samples each workerd's RSS and anonymous memory, the SQLite databases it has open (live object
 * instances), and the V8 heaps of the runtime's isolates; during each phase it tracks the peak
 * of live object instances and of anonymous memory (every second). `--rate N` paces the phases at
 * N executions per second (0: as fast as `--concurrency` allows), which sets how many objects are
 * alive at once (each stays ~10 s after its last request). `--direct 1` sends the
 * requests to the runtime's own port, past wrangler's proxy workerd. Prints one table.
 * Environment is passed through (e.g. X_LOCAL_OBSERVABILITY=false turns off miniflare's local
 * trace collector).
 */
import { api, cleanup, flags, pool, SoakPlatform, sleep, table } from "./lib/platform.ts";
import { inspectorPort, listeningPorts, sum, v8Heaps, workerdSample } from "./lib/memory.ts";

const F = flags({ n: 2000, rounds: 3, more: 1, hot: 20, settle: 30, concurrency: 8, rate: 0, direct: 0, "final-idle": 120 });
const log = (msg: string) => console.log(`[memory ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const QUEUE = "memory";

const platform = await SoakPlatform.prepare();
await platform.boot();
const workerds = () => platform.tree().filter((p) => p.name === "workerd").map((p) => workerdSample(p.pid)).filter((s) => s !== null);
const runtime = workerds().find((s) => s.role === "runtime");
if (!runtime) throw new Error("no runtime workerd found under wrangler dev");
const inspector = await inspectorPort(runtime.pid);
let base = platform.url;
if (F.direct) {
  for (const port of listeningPorts(runtime.pid)) {
    const r = await api(`http://127.0.0.1:${port}`, "GET", "/v1/health", undefined, { timeoutMs: 2_000 });
    if (r.status === 200 && r.body?.service === "sundial") base = `http://127.0.0.1:${port}`;
  }
  if (base === platform.url) throw new Error("could not find the runtime's own port");
}
log(`platform up; requests to ${base}; runtime workerd ${runtime.pid}, inspector ${inspector}`);

const rows: [string, string][] = [];
let peakLive = 0;
let peakAnon = 0;
const peaks = setInterval(() => {
  const rt = workerds().find((s) => s.role === "runtime");
  if (!rt) return;
  peakLive = Math.max(peakLive, rt.liveSqlite);
  peakAnon = Math.max(peakAnon, rt.anonMiB);
}, 1_000);
let requests = 0;
let errors = 0;
async function call(method: string, path: string, body?: unknown, expect = (status: number) => status >= 200 && status < 300): Promise<void> {
  const r = await api(base, method, path, body, { timeoutMs: 60_000 });
  requests++;
  if (!expect(r.status)) errors++;
}

async function sample(phase: string, settle = F.settle): Promise<void> {
  await sleep(settle * 1000);
  const ws = workerds();
  const heaps = inspector === null ? [] : await v8Heaps(inspector);
  const rt = ws.find((s) => s.role === "runtime");
  const px = ws.filter((s) => s.role === "proxy");
  const user = heaps.filter((h) => h.target.startsWith("core:user:sundial"));
  const line = [
    `runtime rss ${rt?.rssMiB.toFixed(0)} anon ${rt?.anonMiB.toFixed(0)} MiB (peak ${peakAnon.toFixed(0)}), ${rt?.liveSqlite} sqlite open (peak ${peakLive})`,
    `V8 heap: Worker ${sum(user.map((h) => h.usedMiB)).toFixed(1)}/${sum(user.map((h) => h.totalMiB)).toFixed(1)}, all ${heaps.length} isolates ${sum(heaps.map((h) => h.usedMiB)).toFixed(1)}/${sum(heaps.map((h) => h.totalMiB)).toFixed(1)} MiB used/total`,
    `proxy rss ${sum(px.map((s) => s.rssMiB)).toFixed(0)} MiB`,
    `${requests} requests (${errors} unexpected statuses)`,
  ].join("; ");
  rows.push([phase, line]);
  peakLive = rt?.liveSqlite ?? 0;
  peakAnon = rt?.anonMiB ?? 0;
  log(`${phase}: ${line}`);
}

/** `fn(i)` for i in [0, n): paced at --rate per second if set, else --concurrency at a time. */
async function run(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  if (F.rate <= 0) return void (await pool(n, F.concurrency, fn));
  const t0 = Date.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = t0 + (i * 1000) / F.rate - Date.now();
    if (wait > 0) await sleep(wait);
    all.push(fn(i));
  }
  await Promise.all(all);
}

try {
  await sample("boot", 5);
  await run(F.n, (i) => call("GET", `/v1/workflows/executions/missing-${i}`, undefined, (status) => status === 404));
  await sample(`fresh: ${F.n} describes of never-started ids (404)`);
  const ids = Array.from({ length: F.n }, (_, i) => `mem-${i}`);
  const startAndTerminate = async (id: string) => {
    await call("POST", "/v1/workflows/executions", { workflow: "memory_probe", execution_id: id, task_queue: QUEUE, input: {} });
    await call("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "memory experiment" });
  };
  await run(F.n, (i) => startAndTerminate(ids[i]!));
  await sample(`new: ${F.n} executions started + terminated`);
  await pool(2 * F.n, F.concurrency, (i) => call("GET", `/v1/workflows/executions/${ids[i % F.hot]!}`));
  await sample(`hot: ${2 * F.n} describes over ${F.hot} executions`);
  for (let r = 1; r <= F.rounds; r++) {
    await run(F.n, (i) => call("GET", `/v1/workflows/executions/${ids[i]!}`));
    await sample(`retouch ${r}: describe each of the ${F.n} (evicted) executions`);
  }
  for (let k = 2; k < 2 + F.more; k++) {
    await run(F.n, (i) => startAndTerminate(`mem${k}-${i}`));
    await sample(`new${k}: ${F.n} more executions started + terminated`);
  }
  if (F["final-idle"] > 0) await sample(`idle ${F["final-idle"]} s`, F["final-idle"]);
  console.log(`\n${table(`Sundial memory experiment (${F.rate > 0 ? `${F.rate} executions/s` : `${F.concurrency} at a time`}, ${F.direct ? "direct to the runtime" : "through wrangler's proxy"}${process.env.X_LOCAL_OBSERVABILITY === "false" ? ", local observability off" : ""})`, rows)}`);
} finally {
  clearInterval(peaks);
  await cleanup();
}
process.exit(0);
