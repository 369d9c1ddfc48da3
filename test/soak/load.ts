/**
 * Load soak: `npm run soak:load -- [--warmup 6] [--minutes 10] [--pollers 50] [--schedules 1000]
 * [--rate 5] [--every 600] [--workers 5] [--idle 0]`.
 *
 * One real `wrangler dev` (bundle snapshot, own state), `--workers` SDK worker processes whose
 * workflow + activity pollers add up to `--pollers` long polls, `--schedules` active interval
 * schedules (ALLOW_ALL, 1 h catch-up window) spread evenly over `--every` seconds, and a driver
 * starting `--rate` workflows per second (activity → durable sleep → activity): first `--warmup`
 * minutes (the same load, not measured: workerd's, wrangler's proxy's and the workers' memory fill
 * their caches and allocator pools, see README "Where workerd's memory goes"), then `--minutes`
 * measured. Memory is judged over the measured phase: start → end RSS and the least-squares slope of
 * the 30 s samples, per process group; "flat" means it grew by at most 5 % (20 MiB for the small
 * worker processes, whose GC swings more), an invariant like the others.
 * Then pauses every schedule and checks no run was lost or duplicated (the faults soak's checks),
 * and reports platform and worker RSS at start and end, the driver's error rate and throughput.
 * `--idle N` samples RSS again after N idle seconds (schedules paused, nothing running), to tell
 * memory that is held from memory that is only cached. Memory is reported per process: the runtime
 * workerd (the Worker, every Durable Object, miniflare's D1 and its other internal services), the
 * proxy workerd wrangler puts in front of it, and how many Durable Object SQLite databases the
 * runtime has open (one per live object instance). Prints one table; exits 1 if an invariant failed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, apiOk, type Child, cleanup, cpuSeconds, flags, fmtS, HttpStats, mib, pool, revision, rssMiB, SoakPlatform, sleep, table, soakWorker } from "./lib/platform.ts";
import { ActivityLog, beginLagMs, checkHistories, checkSchedules, list, percentile, type SoakSchedule } from "./lib/verify.ts";
import { inspectorPort, sum, v8Heaps, workerdSample } from "./lib/memory.ts";

const F = flags({ warmup: 6, minutes: 10, pollers: 50, schedules: 1000, rate: 5, every: 600, workers: 5, "step-ms": 200, "sleep-s": 1, grace: 5, idle: 0 });
const QUEUE = "soak";
const out = mkdtempSync(join(tmpdir(), "sundial-soak-load-out-"));
const activityFile = join(out, "activity.jsonl");
const log = (msg: string) => console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

if (F.pollers < 2 * F.workers) throw new Error("--pollers must be at least 2 per worker process (one workflow, one activity poller)");
const t0 = Date.now();
const platform = await SoakPlatform.prepare();
await platform.boot();
log(`platform up at ${platform.url}; artifacts in ${out}`);

// Split the pollers over the worker processes, half workflow, half activity (remainders go first).
const perWorker = Array.from({ length: F.workers }, (_, i) => Math.floor(F.pollers / F.workers) + (i < F.pollers % F.workers ? 1 : 0));
const workers: Child[] = [];
const pollerSplit: string[] = [];
for (const [i, n] of perWorker.entries()) {
  const wf = Math.floor(n / 2);
  const act = n - wf;
  pollerSplit.push(`${wf}+${act}`);
  workers.push(soakWorker(`worker-${i}`, "test/soak/fixtures/soak-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: QUEUE, SOAK_ACTIVITY_LOG: activityFile, SOAK_WORKFLOW_POLLERS: String(wf), SOAK_ACTIVITY_POLLERS: String(act), SOAK_CONCURRENCY: String(Math.max(act, 10)), SOAK_LOG_INFO: "1", SOAK_STEP_MS: String(F["step-ms"]), SOAK_SLEEP_S: String(F["sleep-s"]) }, join(out, `worker-${i}.log`)));
}
for (const w of workers) await w.waitFor("worker ready");
const activity = new ActivityLog(activityFile);

const stats = new HttpStats();
let exitCode = 0;
try {
  // Schedules, spread evenly over one interval from a common anchor.
  const everyMs = F.every * 1000;
  const T0 = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
  const schedules: SoakSchedule[] = new Array(F.schedules);
  const c0 = Date.now();
  await pool(F.schedules, 6, async (i) => {
    const offset = Math.floor((i * F.every) / Math.max(1, F.schedules));
    const body = await apiOk(platform.url, "POST", "/v1/workflows/schedules", {
      workflow: "soak_tick",
      key: `s${i}`,
      task_queue: QUEUE,
      input: { n: i },
      intervals: [{ every: F.every, offset }],
      start_at: new Date(T0).toISOString(),
      policy: { catchup_window_seconds: 3600, overlap: "ALLOW_ALL" },
    });
    schedules[i] = { id: body.schedule_id, createdAt: Date.parse(body.created_at), first: T0 + offset * 1000, everyMs };
  });
  const createMs = Date.now() - c0;
  log(`created ${F.schedules} schedules in ${fmtS(createMs)}`);

  // Resources: at boot (schedules created), after the warm-up, through the measured phase.
  const sample = () => {
    const tree = platform.tree();
    const workerds = tree.filter((p) => p.name === "workerd").map((p) => workerdSample(p.pid)).filter((w) => w !== null);
    const runtime = workerds.filter((w) => w.role === "runtime");
    return {
      at: Date.now(),
      platformRss: tree.reduce((a, p) => a + (p.rss ?? 0), 0),
      workerdRss: tree.filter((p) => p.name === "workerd").reduce((a, p) => a + (p.rss ?? 0), 0),
      runtimeRss: sum(runtime.map((w) => w.rssMiB)),
      runtimeAnon: sum(runtime.map((w) => w.anonMiB)),
      proxyRss: sum(workerds.filter((w) => w.role === "proxy").map((w) => w.rssMiB)),
      liveObjects: sum(runtime.map((w) => w.liveSqlite)),
      platformCpu: tree.reduce((a, p) => a + (cpuSeconds(p.pid) ?? 0), 0),
      workerRss: workers.map((w) => rssMiB(w.pid) ?? 0),
      workerCpu: workers.reduce((a, w) => a + (cpuSeconds(w.pid) ?? 0), 0),
      load: loadavg(),
    };
  };
  const boot = sample();
  let start = boot;
  const timeline: string[] = [];
  const runtimePid = platform.tree().find((p) => p.name === "workerd" && workerdSample(p.pid)?.role === "runtime")?.pid;
  const inspector = runtimePid === undefined ? null : await inspectorPort(runtimePid);
  const heaps = async () => {
    const h = inspector === null ? [] : await v8Heaps(inspector);
    const user = h.find((x) => x.target === "core:user:sundial");
    // An isolate busy with requests may not answer its inspector within the timeout: n/a.
    return `Worker isolate ${user ? `${user.usedMiB.toFixed(0)}/${user.totalMiB.toFixed(0)}` : "n/a"}, ${h.length} isolates answering ${sum(h.map((x) => x.usedMiB)).toFixed(0)}/${sum(h.map((x) => x.totalMiB)).toFixed(0)} MiB used/total`;
  };
  let peakRuntimeRss = boot.runtimeRss;
  let peakLiveObjects = boot.liveObjects;

  // The driver: `rate` starts per second, open loop (a slow platform does not slow the offered load).
  const warmupCount = Math.round(F.rate * F.warmup * 60);
  const total = warmupCount + Math.round(F.rate * F.minutes * 60);
  /** The measured phase's samples (its start, every 30 s, its end), for the slope. */
  const measured: ReturnType<typeof sample>[] = [];
  const ids: string[] = [];
  const startLatency: number[] = [];
  let inFlightStarts = 0;
  let maxInFlight = 0;
  let startFailures = 0;
  const s0 = Date.now();
  const starts: Promise<void>[] = [];
  let lastSample = Date.now();
  let peakPlatformRss = boot.platformRss;
  for (let i = 0; i < total; i++) {
    if (i === warmupCount) {
      start = sample();
      measured.push(start);
      [peakPlatformRss, peakRuntimeRss, peakLiveObjects] = [start.platformRss, start.runtimeRss, start.liveObjects];
      lastSample = Date.now();
      const line = `t+${((Date.now() - s0) / 1000).toFixed(0)}s warm-up done (${F.warmup} min, ${warmupCount} starts): measuring from here; platform_rss=${start.platformRss.toFixed(0)}MiB runtime_rss=${start.runtimeRss.toFixed(0)}MiB proxy_rss=${start.proxyRss.toFixed(0)}MiB workers_rss=${start.workerRss.map((x) => x.toFixed(0)).join("/")}MiB`;
      timeline.push(line);
      log(line);
    }
    const due = s0 + (i * 1000) / F.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const id = `load-${i}`;
    ids.push(id);
    inFlightStarts++;
    maxInFlight = Math.max(maxInFlight, inFlightStarts);
    starts.push(
      (async () => {
        const q0 = Date.now();
        for (let attempt = 0; attempt < 20; attempt++) {
          const r = await api(platform.url, "POST", "/v1/workflows/executions", { workflow: "soak_flow", execution_id: id, task_queue: QUEUE, input: { id } }, { stats, timeoutMs: 30_000 });
          if (r.status === 200 || r.status === 201) {
            startLatency.push(Date.now() - q0);
            break;
          }
          startFailures++;
          await sleep(500);
        }
        inFlightStarts--;
      })(),
    );
    if (Date.now() - lastSample >= 30_000) {
      lastSample = Date.now();
      const s = sample();
      if (i >= warmupCount) measured.push(s);
      peakPlatformRss = Math.max(peakPlatformRss, s.platformRss);
      peakRuntimeRss = Math.max(peakRuntimeRss, s.runtimeRss);
      peakLiveObjects = Math.max(peakLiveObjects, s.liveObjects);
      activity.refresh();
      const finals = activity.lines.filter((l) => l.a === "final" && l.ph === "done").length;
      const ticks = activity.lines.filter((l) => l.a === "tick" && l.ph === "done").length;
      const line = `t+${((Date.now() - s0) / 1000).toFixed(0)}s ${i < warmupCount ? "warm-up " : ""}started=${i + 1} flows_finished=${finals} ticks=${ticks} platform_rss=${s.platformRss.toFixed(0)}MiB runtime_rss=${s.runtimeRss.toFixed(0)}MiB (anon ${s.runtimeAnon.toFixed(0)}) proxy_rss=${s.proxyRss.toFixed(0)}MiB live_objects=${s.liveObjects} workers_rss=${s.workerRss.map((x) => x.toFixed(0)).join("/")}MiB platform_cpu=${((s.platformCpu - boot.platformCpu) / ((s.at - boot.at) / 1000)).toFixed(2)}cores (since boot) load=${s.load} driver_errors=${stats.errors}`;
      timeline.push(line);
      log(line);
    }
  }
  // The measured phase ends when the last start is offered (the drain after it is another load).
  const end = sample();
  measured.push(end);
  await Promise.all(starts);
  const offeredMs = Date.now() - s0;
  log(`offered ${total} starts in ${fmtS(offeredMs)}; waiting for them to complete`);

  // Completion: every started workflow must complete (bounded wait).
  // A backlog (offered load above what the platform sustains) is worked off: the wait goes on while
  // runs keep closing (no close for 120 s, or 30 min in all, ends it).
  const outcome = new Map<string, { status: string }>();
  let lastProgress = Date.now();
  const hardDeadline = Date.now() + 1_800_000;
  const stalled = () => Date.now() - lastProgress > 120_000 || Date.now() > hardDeadline;
  await pool(ids.length, 6, async (k) => {
    const id = ids[k]!;
    for (;;) {
      const r = await api(platform.url, "GET", `/v1/workflows/executions/${encodeURIComponent(id)}/result?wait_seconds=10`, undefined, { stats, timeoutMs: 20_000 });
      if (r.status === 200) {
        const ok = r.body.status === "completed" && r.body.result?.final === `done ${id}`;
        outcome.set(id, { status: ok ? "completed" : `${r.body.status}` });
        lastProgress = Date.now();
        return;
      }
      if (stalled()) {
        outcome.set(id, { status: `not closed (${r.status})` });
        return;
      }
    }
  });
  const drainedAt = Date.now();
  const drained = sample();
  const endHeaps = await heaps();
  peakPlatformRss = Math.max(peakPlatformRss, end.platformRss);
  peakRuntimeRss = Math.max(peakRuntimeRss, end.runtimeRss);
  peakLiveObjects = Math.max(peakLiveObjects, end.liveObjects);

  // Pause every schedule, then the lost/duplicated checks.
  const p0 = Date.now();
  await pool(schedules.length, 8, async (i) => {
    const s = schedules[i]!;
    s.pauseSentAt = Date.now();
    const body = await apiOk(platform.url, "POST", `/v1/workflows/schedules/${encodeURIComponent(s.id)}/pause`, { note: "load soak done" });
    s.pausedAt = Date.now();
    s.fired = body.counters.fired;
    s.skippedCatchup = body.counters.skipped_catchup;
  });
  log(`paused ${schedules.length} schedules in ${fmtS(Date.now() - p0)}`);
  const notCompleted = [...outcome.entries()].filter(([, v]) => v.status !== "completed").map(([k, v]) => `${k}=${v.status}`);
  const sc = await checkSchedules(platform.url, schedules, { graceMs: F.grace * 1000, waitMs: 240_000, progress: (d) => d % 250 === 0 && log(`checked ${d} schedules`) });
  log(`reading ${sc.runIds.length + ids.length} histories`);
  const hc = await checkHistories(platform.url, [...sc.runIds, ...ids], 4);

  // Durations of the started workflows (started_at → closed_at), from the index.
  const durations: number[] = [];
  let token: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r = await api(platform.url, "GET", `/v1/workflows/executions?workflow=soak_flow&page_size=500${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    if (r.status !== 200) break;
    for (const e of r.body.executions as { started_at: string; closed_at: string | null }[]) if (e.closed_at) durations.push(Date.parse(e.closed_at) - Date.parse(e.started_at));
    token = r.body.next_page_token;
    if (!token) break;
  }
  activity.refresh();
  const acc = activity.accounting();
  const beginLag = beginLagMs(activity, sc.runIds);
  const workerWarnings = workers.map((w, i) => (readFileSync(join(out, `worker-${i}.log`), "utf8").match(/^\[(warn|error)\]/gm) ?? []).length);

  // Optional: memory after an idle period (everything paused and closed).
  const idleRows: [string, string][] = [];
  if (F.idle > 0) {
    log(`idle for ${F.idle} s, then sampling RSS again`);
    const samples: ReturnType<typeof sample>[] = [];
    for (let waited = 0; waited < F.idle; waited += 30) {
      await sleep(Math.min(30, F.idle - waited) * 1000);
      samples.push(sample());
    }
    idleRows.push(
      [`  workerd RSS every 30 s of ${F.idle} s idle`, `${samples.map((s) => s.workerdRss.toFixed(0)).join(" → ")} MiB`],
      [`  runtime / proxy RSS, live objects after idling`, `${samples.at(-1)!.runtimeRss.toFixed(0)} MiB (anon ${samples.at(-1)!.runtimeAnon.toFixed(0)}) / ${samples.at(-1)!.proxyRss.toFixed(0)} MiB, ${samples.at(-1)!.liveObjects} SQLite databases open`],
      [`  V8 heaps after idling`, await heaps()],
    );
  }

  const failures: string[] = [];
  const ok = (b: boolean, what: string, detail: string) => {
    if (!b) {
      exitCode = 1;
      failures.push(`${what}: ${detail}`);
    }
    return b ? "yes" : "NO";
  };
  // Memory over the measured phase: growth start → end and the least-squares slope (MiB/min).
  const slope = (pick: (x: (typeof measured)[number]) => number) => {
    const xs = measured.map((m) => (m.at - measured[0]!.at) / 60_000);
    const ys = measured.map(pick);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return sxx === 0 ? 0 : xs.reduce((a, x, k) => a + (x - mx) * (ys[k]! - my), 0) / sxx;
  };
  const growth = (pick: (x: (typeof measured)[number]) => number, floorMiB = 0) => {
    const a = pick(start);
    const b = pick(end);
    const flat = b - a <= Math.max(0.05 * a, floorMiB);
    return { flat, text: `${mib(a)} → ${mib(b)} (${b >= a ? "+" : ""}${(((b - a) / a) * 100).toFixed(1)} %), slope ${slope(pick).toFixed(1)} MiB/min` };
  };
  const platformMem = growth((x) => x.platformRss);
  const runtimeMem = growth((x) => x.runtimeRss);
  const proxyMem = growth((x) => x.proxyRss);
  const workerMem = workers.map((_, k) => growth((x) => x.workerRss[k] ?? 0, 20));
  const drainS = (drainedAt - s0) / 1000;
  const completedFlows = ids.length - notCompleted.length;
  const fireWindowS = (p0 - T0) / 1000;
  const rows: [string, string | number, string?][] = [
    ["date / revision", `${new Date().toISOString().slice(0, 10)} / ${revision()}`],
    ["machine load at start / end (1/5/15 min)", `${start.load} / ${end.load}`],
    ["worker processes × (workflow+activity pollers)", `${F.workers} × (${pollerSplit.join(", ")}) = ${perWorker.reduce((a, b) => a + b, 0)} pollers`],
    ["active schedules (interval, fires/s)", `${F.schedules} (every ${F.every} s, ${(F.schedules / F.every).toFixed(2)}/s), created in ${fmtS(createMs)}`],
    ["offered start rate × duration", `${F.rate}/s × (${F.warmup} min warm-up + ${F.minutes} min measured) = ${total} workflows (activity ${F["step-ms"]} ms → sleep ${F["sleep-s"]} s → activity)`],
    ["workflows completed", `${completedFlows}/${total}`, ok(notCompleted.length === 0, "workflows not completed", list(notCompleted, 10))],
    ["  start latency p50/p99/max", `${percentile(startLatency, 50)} / ${percentile(startLatency, 99)} / ${Math.max(...startLatency, 0)} ms (max ${maxInFlight} in flight)`],
    ["  start → close p50/p99/max", `${percentile(durations, 50)} / ${percentile(durations, 99)} / ${Math.max(...durations, 0)} ms`],
    ["  all closed after the last start", fmtS(drainedAt - s0 - offeredMs)],
    ["scheduled fires required / runs listed", `${sc.expectedFires} (+${sc.optionalFires} optional) / ${sc.runs}`],
    ["  missing (lost)", list(sc.missing), ok(sc.missing.length === 0, "missing fires", list(sc.missing, 10))],
    ["  duplicated", list(sc.duplicates), ok(sc.duplicates.length === 0, "duplicate fires", list(sc.duplicates, 10))],
    ["  outside (creation, pause]", list(sc.unexpected), ok(sc.unexpected.length === 0, "unexpected runs", list(sc.unexpected, 10))],
    ["  counters.fired = runs listed", list(sc.counterMismatch), ok(sc.counterMismatch.length === 0, "counter mismatch", list(sc.counterMismatch, 10))],
    ["  skipped by catch-up", sc.skippedCatchup, ok(sc.skippedCatchup === 0, "skipped_catchup", String(sc.skippedCatchup))],
    ["  completed", `${sc.completedRuns}/${sc.runs}`, ok(sc.notCompleted.length === 0, "scheduled runs not completed", list(sc.notCompleted, 10))],
    ["  fire lag: first activity began − nominal p50/p99/max", `${percentile(beginLag, 50)} / ${percentile(beginLag, 99)} / ${Math.max(...beginLag, 0)} ms (${beginLag.length} runs)`],
    ["  started_at − nominal p50/p99/max (prepared: the fire time)", `${percentile(sc.fireLagMs, 50)} / ${percentile(sc.fireLagMs, 99)} / ${Math.max(...sc.fireLagMs, 0)} ms`],
    ["histories read", `${hc.checked}`, ok(hc.checked === sc.runIds.length + ids.length, "histories unreadable", list(hc.unreadable, 10))],
    ["  seq completed twice", list(hc.doubleCompleted), ok(hc.doubleCompleted.length === 0, "activity completed twice", list(hc.doubleCompleted, 10))],
    ["  completed run lacking a completion / bad shape", `${hc.missingCompletion.length} / ${hc.badShape.length}`, ok(hc.missingCompletion.length === 0 && hc.badShape.length === 0, "history shape", list([...hc.missingCompletion, ...hc.badShape], 10))],
    ["  completed on attempt > 1 / activity timeouts / wf task timeouts", `${hc.completedOnLaterAttempt} / ${hc.activityTimedOut} / ${hc.workflowTaskTimedOut}`],
    ["activities run (log): started / finished / ran twice", `${acc.started} / ${acc.finished} / ${acc.ranTwice}`],
    ["throughput (warm-up and measured phase)", `${(completedFlows / drainS).toFixed(2)} workflows/s (start → last close) + ${(sc.runs / fireWindowS).toFixed(2)} scheduled runs/s (T0 → pause); ${(acc.finished / ((p0 - T0) / 1000)).toFixed(1)} activities/s`],
    ["driver requests / non-2xx (error rate)", `${stats.total} / ${stats.errors} (${((100 * stats.errors) / Math.max(1, stats.total)).toFixed(3)} %)`],
    ["  by status", stats.summary()],
    ["worker warn/error log lines (poll or completion retries)", workerWarnings.join(" / ")],
    ["platform RSS (wrangler + workerd) at boot → after the warm-up", `${mib(boot.platformRss)} → ${mib(start.platformRss)} (runtime ${mib(boot.runtimeRss)} → ${mib(start.runtimeRss)}, proxy ${mib(boot.proxyRss)} → ${mib(start.proxyRss)})`],
    ["platform RSS over the measured phase (flat: ≤ +5 %)", platformMem.text, ok(platformMem.flat, "platform memory grew", platformMem.text)],
    ["  peak in the measured phase / after the drain", `${mib(peakPlatformRss)} / ${mib(drained.platformRss)}`],
    ["  workerd only start → end", `${mib(start.workerdRss)} → ${mib(end.workerdRss)}`],
    ["  runtime workerd (flat: ≤ +5 %)", `${runtimeMem.text}; peak ${mib(peakRuntimeRss)}, anonymous at end ${mib(end.runtimeAnon)}`, ok(runtimeMem.flat, "runtime workerd memory grew", runtimeMem.text)],
    ["  wrangler's proxy workerd (flat: ≤ +5 %)", proxyMem.text, ok(proxyMem.flat, "proxy workerd memory grew", proxyMem.text)],
    ["  live Durable Objects (SQLite open) start / end / peak", `${start.liveObjects} / ${end.liveObjects} / ${peakLiveObjects} (30 s samples and the end); ${drained.liveObjects} after the drain`],
    ["  V8 heaps at end", endHeaps],
    ...idleRows,
    ["  platform CPU over the measured phase", `${((end.platformCpu - start.platformCpu) / ((end.at - start.at) / 1000)).toFixed(2)} cores`],
    ["worker RSS at boot → after the warm-up", boot.workerRss.map((s, i) => `${s.toFixed(0)}→${(start.workerRss[i] ?? 0).toFixed(0)}`).join(", ") + " MiB"],
    ["worker RSS over the measured phase (flat: ≤ +5 % or 20 MiB)", workerMem.map((w) => w.text).join("; "), ok(workerMem.every((w) => w.flat), "worker memory grew", workerMem.map((w) => w.text).join("; "))],
    ["  workers' CPU over the measured phase", `${((end.workerCpu - start.workerCpu) / ((end.at - start.at) / 1000)).toFixed(2)} cores in all`],
    ["wall time", fmtS(Date.now() - t0)],
  ];
  const summary = table("Sundial soak: load", rows);
  console.log(`\n${summary}`);
  if (failures.length) {
    console.log("\nFAILED invariants:");
    for (const f of failures) console.log(`- ${f}`);
  } else console.log("\nAll invariants held.");
  writeFileSync(join(out, "summary.txt"), `${summary}\n${failures.join("\n")}\n\n${timeline.join("\n")}\n\nerror samples:\n${stats.errorSamples.join("\n")}\n`);
} catch (err) {
  console.error("soak aborted:", err);
  exitCode = 2;
} finally {
  writeFileSync(join(out, "wrangler.log"), platform.log);
  await cleanup();
  console.log(`artifacts: ${out}`);
}
process.exit(exitCode);
