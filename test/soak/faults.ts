/**
 * Fault-injection soak: `npm run soak:faults -- [--schedules 1000] [--workflows 100] [--kills 3]
 * [--worker-kills 2] [--every 200] [--window 300] [--short 5] [--long-down 25] [--seed N]`.
 *
 * Starts a real `wrangler dev` (a bundle snapshot of src/, its own state dir) and two SDK worker
 * processes; creates N interval schedules (ALLOW_ALL, 1 h catch-up window) spread evenly over one
 * interval, and starts M workflows (slow heartbeating activity → durable sleep → activity) over the
 * run; SIGKILLs the whole `wrangler dev` process group K times at random moments and restarts it on
 * the same state, measuring how long the platform takes to work off the fires that came due while it
 * was down; SIGKILLs a worker process while it runs an activity and starts a replacement. Then pauses
 * every schedule and checks: every fire between a schedule's creation and its pause ran exactly once,
 * every run completed, no activity result was recorded twice. The last platform outage lasts
 * `--long-down` seconds, longer than the 10 s catch-up window of `--short` extra schedules (every
 * 5 s): their fires older than the window must be skipped and counted, never started, and every
 * other fire run once. Prints one table; exits 1 if an
 * invariant failed. Artifacts (logs, activity log, summary) stay in the printed directory.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, apiOk, type Child, cleanup, cpuSeconds, flags, fmtS, mib, pool, revision, SoakPlatform, sleep, table, soakWorker } from "./lib/platform.ts";
import { ActivityLog, beginLagMs, checkHistories, checkSchedules, expectedFires, list, percentile, type SoakSchedule } from "./lib/verify.ts";

const F = flags({ schedules: 1000, workflows: 100, kills: 3, "worker-kills": 2, every: 200, "step-ms": 2000, "sleep-s": 3, "flow-gap-ms": 1500, grace: 5, tail: 10, window: 300, short: 5, "long-down": 25, seed: Date.now() % 1_000_000 });
const QUEUE = "soak";
const out = mkdtempSync(join(tmpdir(), "sundial-soak-faults-out-"));
const activityFile = join(out, "activity.jsonl");

/** mulberry32: the run's random moments are reproducible from --seed. */
let seed = F.seed >>> 0;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
const log = (msg: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

const t0 = Date.now();
const platform = await SoakPlatform.prepare();
await platform.boot();
log(`platform up at ${platform.url} (state ${platform.persistDir}); artifacts in ${out}; seed ${F.seed}`);

let workerSeq = 0;
const workers: Child[] = [];
async function startWorker(): Promise<Child> {
  const n = workerSeq++;
  const w = soakWorker(`worker-${n}`, "test/soak/fixtures/soak-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: QUEUE, SOAK_ACTIVITY_LOG: activityFile, SOAK_WORKFLOW_POLLERS: "4", SOAK_ACTIVITY_POLLERS: "4", SOAK_CONCURRENCY: "10", SOAK_LOG_INFO: "1", SOAK_STEP_MS: String(F["step-ms"]), SOAK_SLEEP_S: String(F["sleep-s"]) }, join(out, `worker-${n}.log`));
  await w.waitFor("worker ready");
  workers.push(w);
  return w;
}
await startWorker();
await startWorker();
const activity = new ActivityLog(activityFile);

interface Failure {
  what: string;
  detail: string;
}
const failures: Failure[] = [];
let exitCode = 0;

try {
  // ------------------------------------------------------------------------------------------
  // Schedules: interval `every`, offsets spread evenly over one interval, anchored at a common T0.
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
  // Short catch-up window schedules: an outage longer than 10 s makes some of their fires too old.
  const SHORT_EVERY = 5;
  const shortSchedules: SoakSchedule[] = [];
  for (let i = 0; i < F.short; i++) {
    const anchor = Math.ceil((Date.now() + 1_000) / 1000) * 1000;
    const body = await apiOk(platform.url, "POST", "/v1/workflows/schedules", {
      workflow: "soak_tick",
      key: `short${i}`,
      task_queue: QUEUE,
      input: { n: -1 - i },
      intervals: [{ every: SHORT_EVERY, offset: i % SHORT_EVERY }],
      start_at: new Date(anchor).toISOString(),
      policy: { catchup_window_seconds: 10, overlap: "ALLOW_ALL" },
    });
    shortSchedules.push({ id: body.schedule_id, createdAt: Date.parse(body.created_at), first: anchor + (i % SHORT_EVERY) * 1000, everyMs: SHORT_EVERY * 1000 });
  }
  log(`created ${F.schedules} schedules in ${fmtS(createMs)} (every ${F.every} s, ${(F.schedules / F.every).toFixed(1)} fires/s in all)`);

  // ------------------------------------------------------------------------------------------
  // Workflows: started one every flow-gap-ms in the background, retried (same id) while the platform is down.
  let flowsStarted = 0;
  let flowStartRetries = 0;
  const flowIds = Array.from({ length: F.workflows }, (_, i) => `soak-flow-${i}`);
  const flowStarter = (async () => {
    for (const [i, id] of flowIds.entries()) {
      for (;;) {
        const r = await api(platform.url, "POST", "/v1/workflows/executions", { workflow: "soak_flow", execution_id: id, task_queue: QUEUE, input: { id: `flow-${i}` } }, { timeoutMs: 10_000 });
        if (r.status === 200 || r.status === 201) break;
        flowStartRetries++;
        await sleep(500);
      }
      flowsStarted++;
      await sleep(F["flow-gap-ms"]);
    }
  })();

  // ------------------------------------------------------------------------------------------
  // Faults, in a random order, each a few seconds after the platform worked off the previous one.
  interface Restart {
    long: boolean;
    n: number;
    downMs: number;
    bootMs: number;
    dueWhileDown: number;
    allStartedMs: number | null;
    allCompletedMs: number | null;
  }
  interface WorkerKill {
    victim: string;
    pid: number;
    inFlight: number;
    replacementReadyMs: number;
  }
  const restarts: Restart[] = [];
  const workerKills: WorkerKill[] = [];
  const killedPids = new Set<number>();
  const events = [...Array<string>(F.kills).fill("platform"), ...Array<string>(F["worker-kills"]).fill("worker")];
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const DRAIN_CAP_MS = 180_000;

  const lastPlatform = events.lastIndexOf("platform");
  const outages: { from: number; to: number }[] = [];
  for (const [evIndex, ev] of events.entries()) {
    await sleep(between(3_000, 12_000));
    if (ev === "worker") {
      const live = workers.filter((w) => !w.exited);
      const victim = live[Math.floor(rnd() * live.length)]!;
      const deadline = Date.now() + 30_000;
      let inFlight = 0;
      while (Date.now() < deadline) {
        activity.refresh();
        inFlight = activity.inFlightOf(victim.pid, "slow").length;
        if (inFlight > 0) break;
        await sleep(100);
      }
      activity.refresh();
      inFlight = activity.inFlightOf(victim.pid).length;
      log(`SIGKILL ${victim.name} (pid ${victim.pid}) with ${inFlight} activit${inFlight === 1 ? "y" : "ies"} in flight`);
      killedPids.add(victim.pid!);
      await victim.kill("SIGKILL");
      workers.splice(workers.indexOf(victim), 1);
      const r0 = Date.now();
      const repl = await startWorker();
      workerKills.push({ victim: victim.name, pid: victim.pid!, inFlight, replacementReadyMs: Date.now() - r0 });
      log(`replacement ${repl.name} ready`);
      continue;
    }
    const n = restarts.length + 1;
    const killAt = Date.now();
    await platform.crash();
    log(`SIGKILL wrangler dev #${n}`);
    // Fires come due while it is down; the last outage outlasts the short schedules' 10 s window.
    const long = evIndex === lastPlatform && F["long-down"] > 0 && F.short > 0;
    await sleep(long ? F["long-down"] * 1000 : between(2_000, 6_000));
    const b0 = Date.now();
    await platform.boot();
    const healthyAt = Date.now();
    outages.push({ from: killAt, to: healthyAt });
    // The backlog: every fire whose nominal time fell while the platform was down.
    const due: string[] = [];
    for (const s of schedules) for (const t of expectedFires(s, healthyAt, killAt)) due.push(`${s.id}:${new Date(t).toISOString()}`);
    const pending = new Set(due);
    let allStartedMs: number | null = null;
    let allCompletedMs: number | null = null;
    while (Date.now() - healthyAt < DRAIN_CAP_MS) {
      const ids = [...pending];
      await pool(ids.length, 4, async (k) => {
        const id = ids[k]!;
        const r = await api(platform.url, "GET", `/v1/workflows/executions/${encodeURIComponent(id)}`, undefined, { timeoutMs: 10_000 });
        if (r.status === 200 && r.body.status !== "running") pending.delete(id);
      });
      // Begun = a worker ran its first activity, timed by the activity log (a GET answers 200
      // `running` for a run prepared before the outage, up to a minute ahead, however late it begins).
      activity.refresh();
      if (allStartedMs === null && due.every((id) => activity.firstStart.has(id))) allStartedMs = Math.max(healthyAt, ...due.map((id) => activity.firstStart.get(id)!)) - healthyAt;
      if (pending.size === 0) {
        allCompletedMs = Date.now() - healthyAt;
        break;
      }
      await sleep(500);
    }
    restarts.push({ long, n, downMs: healthyAt - killAt, bootMs: healthyAt - b0, dueWhileDown: due.length, allStartedMs, allCompletedMs });
    log(`restart #${n}: down ${fmtS(healthyAt - killAt)}, ${due.length} fires came due; all begun (first activity) after ${allStartedMs === null ? "—" : fmtS(allStartedMs)}, all completed after ${allCompletedMs === null ? "NOT within cap" : fmtS(allCompletedMs)}`);
    if (allCompletedMs === null) failures.push({ what: `restart #${n} backlog`, detail: `${pending.size} of ${due.length} fires still not completed after ${fmtS(DRAIN_CAP_MS)}` });
  }

  await flowStarter;
  // Keep the schedules firing until the fire window (T0 → pause) is at least --window seconds.
  const windowLeft = T0 + F.window * 1000 - Date.now();
  if (windowLeft > 0) {
    log(`faults done; schedules keep firing for ${fmtS(windowLeft)} more (--window ${F.window})`);
    await sleep(windowLeft);
  }
  await sleep(F.tail * 1000);

  // ------------------------------------------------------------------------------------------
  // Pause every schedule; its answer's counters are the schedule's own count of fires.
  const p0 = Date.now();
  await pool(schedules.length, 8, async (i) => {
    const s = schedules[i]!;
    s.pauseSentAt = Date.now();
    const body = await apiOk(platform.url, "POST", `/v1/workflows/schedules/${encodeURIComponent(s.id)}/pause`, { note: "soak done" });
    s.pausedAt = Date.now();
    s.fired = body.counters.fired;
    s.skippedCatchup = body.counters.skipped_catchup;
  });
  for (const s of shortSchedules) {
    s.pauseSentAt = Date.now();
    const body = await apiOk(platform.url, "POST", `/v1/workflows/schedules/${encodeURIComponent(s.id)}/pause`, { note: "soak done" });
    s.pausedAt = Date.now();
    s.fired = body.counters.fired;
    s.skippedCatchup = body.counters.skipped_catchup;
  }
  const pauseMs = Date.now() - p0;
  const runWindowS = (p0 - T0) / 1000;
  log(`paused ${schedules.length} schedules in ${fmtS(pauseMs)}; fire window ${runWindowS.toFixed(0)} s`);

  // Every workflow must complete.
  const flowOutcome = new Map<string, string>();
  const flowDeadline = Date.now() + 240_000;
  await pool(flowIds.length, 4, async (i) => {
    const id = flowIds[i]!;
    for (;;) {
      const r = await api(platform.url, "GET", `/v1/workflows/executions/${encodeURIComponent(id)}/result?wait_seconds=10`, undefined, { timeoutMs: 20_000 });
      if (r.status === 200) {
        flowOutcome.set(id, r.body.status === "completed" && r.body.result?.final === `done flow-${i}` ? "completed" : `${r.body.status} ${JSON.stringify(r.body.result ?? r.body.failure).slice(0, 120)}`);
        return;
      }
      if (Date.now() > flowDeadline) {
        flowOutcome.set(id, `not closed (${r.status})`);
        return;
      }
    }
  });
  const flowsNotCompleted = [...flowOutcome.entries()].filter(([, v]) => v !== "completed").map(([k, v]) => `${k}: ${v}`);
  log(`workflows: ${flowIds.length - flowsNotCompleted.length}/${flowIds.length} completed`);

  const sc = await checkSchedules(platform.url, schedules, { graceMs: F.grace * 1000, waitMs: 240_000, progress: (d) => d % 250 === 0 && log(`checked ${d} schedules`) });
  // Short-window schedules: every fire ran once or was skipped as too old, and the counts agree.
  const shortCheck = await checkSchedules(platform.url, shortSchedules, { graceMs: F.grace * 1000, waitMs: 120_000 });
  const inOutage = (id: string) => {
    const t = Date.parse(id.slice(-24)); // `{schedule_id}:{nominal RFC 3339, 24 chars}`
    return outages.some((o) => t >= o.from - 1000 && t <= o.to);
  };
  const shortMissingOutside = shortCheck.missing.filter((id) => !inOutage(id));
  const shortOk = shortCheck.duplicates.length === 0 && shortCheck.unexpected.length === 0 && shortCheck.notCompleted.length === 0 && shortCheck.counterMismatch.length === 0 && shortMissingOutside.length === 0 && shortCheck.missing.length === shortCheck.skippedCatchup;
  activity.refresh();
  const beginLag = beginLagMs(activity, sc.runIds);
  const shortMaxLag = Math.max(0, ...beginLagMs(activity, shortCheck.runIds));
  if (F.short > 0 && !shortOk) failures.push({ what: "short catch-up window", detail: `missing ${shortCheck.missing.length} (outside an outage: ${shortMissingOutside.join(" ")}), skipped_catchup ${shortCheck.skippedCatchup}, duplicates ${shortCheck.duplicates.join(" ")}, unexpected ${shortCheck.unexpected.join(" ")}, not completed ${shortCheck.notCompleted.join(" ")}, counters ${shortCheck.counterMismatch.join(" ")}` });
  if (F.short > 0 && F["long-down"] > 10 && shortCheck.skippedCatchup === 0) failures.push({ what: "short catch-up window", detail: `a ${F["long-down"]} s outage skipped no fire of a 10 s window` });
  log(`schedule runs: ${sc.runs} listed, ${sc.expectedFires} required; reading ${sc.runIds.length + flowIds.length} histories`);
  const hc = await checkHistories(platform.url, [...sc.runIds, ...shortCheck.runIds, ...flowIds], 4);
  activity.refresh();
  const acc = activity.accounting();
  const cutShortByKilled = [...activity.inFlight.values()].filter((l) => killedPids.has(l.pid)).length;
  const workerLogs = Array.from({ length: workerSeq }, (_, n) => readFileSync(join(out, `worker-${n}.log`), "utf8")).join("\n");
  const undelivered = (workerLogs.match(/could not report activity/g) ?? []).length;
  const tree = platform.tree();
  const platformRss = tree.reduce((a, p) => a + (p.rss ?? 0), 0);
  const platformCpu = tree.reduce((a, p) => a + (cpuSeconds(p.pid) ?? 0), 0);

  // ------------------------------------------------------------------------------------------
  const ok = (b: boolean) => {
    if (!b) exitCode = 1;
    return b ? "yes" : "NO";
  };
  if (sc.missing.length) failures.push({ what: "missing fires", detail: sc.missing.slice(0, 20).join(" ") });
  if (sc.duplicates.length) failures.push({ what: "duplicate fires", detail: sc.duplicates.slice(0, 20).join(" ") });
  if (sc.unexpected.length) failures.push({ what: "unexpected runs", detail: sc.unexpected.slice(0, 20).join(" ") });
  if (sc.notCompleted.length) failures.push({ what: "scheduled runs not completed", detail: sc.notCompleted.slice(0, 20).join(" ") });
  if (sc.counterMismatch.length) failures.push({ what: "counters.fired vs index", detail: sc.counterMismatch.slice(0, 20).join(" ") });
  if (flowsNotCompleted.length) failures.push({ what: "workflows not completed", detail: flowsNotCompleted.slice(0, 20).join(" ") });
  if (hc.doubleCompleted.length) failures.push({ what: "activity completed twice", detail: hc.doubleCompleted.slice(0, 20).join(" ") });
  if (hc.missingCompletion.length || hc.badShape.length || hc.unreadable.length) failures.push({ what: "history shape", detail: [...hc.missingCompletion, ...hc.badShape, ...hc.unreadable].slice(0, 20).join(" ") });

  const rows: [string, string | number, string?][] = [
    ["date / revision / seed", `${new Date().toISOString().slice(0, 10)} / ${revision()} / ${F.seed}`],
    ["machine load (1/5/15 min)", readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")],
    ["schedules (interval, fires/s)", `${F.schedules} (every ${F.every} s, ${(F.schedules / F.every).toFixed(1)}/s), created in ${fmtS(createMs)}`],
    ["fire window (T0 → pause)", `${runWindowS.toFixed(0)} s; pause of all took ${fmtS(pauseMs)}`],
    ["platform SIGKILLs", restarts.length],
    ...restarts.map((r): [string, string, string] => [
      `  restart #${r.n}${r.long ? " (long)" : ""}: down / due while down`,
      `${fmtS(r.downMs)} (boot ${fmtS(r.bootMs)}) / ${r.dueWhileDown} fires → all begun +${r.allStartedMs === null ? "—" : fmtS(r.allStartedMs)}, all completed +${r.allCompletedMs === null ? "—" : fmtS(r.allCompletedMs)}`,
      ok(r.allCompletedMs !== null),
    ]),
    ["worker SIGKILLs (in-flight activities)", workerKills.map((k) => `${k.victim}:${k.inFlight}`).join(", ") || "0"],
    ["fires required (creation → pause − grace)", `${sc.expectedFires} (+${sc.optionalFires} in the last ${F.grace} s, optional)`],
    ["scheduled runs listed", sc.runs],
    ["  missing", list(sc.missing), ok(sc.missing.length === 0)],
    ["  duplicated", list(sc.duplicates), ok(sc.duplicates.length === 0)],
    ["  outside (creation, pause] / not a scheduled id", list(sc.unexpected), ok(sc.unexpected.length === 0)],
    ["  counters.fired = runs listed", list(sc.counterMismatch), ok(sc.counterMismatch.length === 0)],
    ["  skipped by catch-up (window 1 h)", sc.skippedCatchup, ok(sc.skippedCatchup === 0)],
    ["  completed", `${sc.completedRuns}/${sc.runs}`, ok(sc.notCompleted.length === 0)],
    ["  fire lag: first activity began − nominal p50/p99/max", `${percentile(beginLag, 50)} / ${percentile(beginLag, 99)} / ${Math.max(...beginLag, 0)} ms (${beginLag.length} runs)`],
    ["  started_at − nominal p50/p99/max (prepared: the fire time)", `${percentile(sc.fireLagMs, 50)} / ${percentile(sc.fireLagMs, 99)} / ${Math.max(...sc.fireLagMs, 0)} ms`],
    ...(F.short > 0
      ? ([
          [`short-window schedules (every ${SHORT_EVERY} s, window 10 s)`, `${F.short}: ${shortCheck.runs} runs, ${shortCheck.expectedFires} fires required`],
          ["  too old after the long outage: skipped = counted", `${shortCheck.missing.length} not run = ${shortCheck.skippedCatchup} counted in skipped_catchup, all inside an outage`, ok(shortOk && (F["long-down"] <= 10 || shortCheck.skippedCatchup > 0))],
          ["  others run once, completed; max fire lag (first activity)", `dup ${shortCheck.duplicates.length}, outside ${shortCheck.unexpected.length}, not completed ${shortCheck.notCompleted.length}; ${(shortMaxLag / 1000).toFixed(1)} s`],
        ] as [string, string, string?][])
      : []),
    ["workflows started (start retries while down)", `${flowsStarted} (${flowStartRetries})`],
    ["  completed", `${flowIds.length - flowsNotCompleted.length}/${flowIds.length}`, ok(flowsNotCompleted.length === 0)],
    ["histories read", `${hc.checked} (unreadable ${hc.unreadable.length})`, ok(hc.unreadable.length === 0 && hc.checked === sc.runIds.length + shortCheck.runIds.length + flowIds.length)],
    ["  activity_completed events", hc.activityCompleted],
    ["  seq completed twice", list(hc.doubleCompleted), ok(hc.doubleCompleted.length === 0)],
    ["  completed run lacking a completion / bad shape", `${hc.missingCompletion.length} / ${hc.badShape.length}`, ok(hc.missingCompletion.length === 0 && hc.badShape.length === 0)],
    ["  completed on attempt > 1 / activity timeouts / wf task timeouts", `${hc.completedOnLaterAttempt} / ${hc.activityTimedOut} / ${hc.workflowTaskTimedOut}`],
    ["activity attempts run by workers (log)", `${acc.started} started, ${acc.finished} finished`],
    ["  cut short (started, never finished)", `${acc.cutShort} (${cutShortByKilled} on SIGKILLed workers)`],
    ["  activities that ran more than once", `${acc.ranTwice} (at-least-once; recorded once each)`],
    ["  results a worker gave up reporting (platform down)", `${undelivered} (SDK: 8 attempts, backoff capped at 2 s here)`],
    ["platform at end: RSS (wrangler+workerd) / CPU", `${mib(platformRss)} / ${platformCpu.toFixed(0)} s (last boot)`],
    ["wall time", fmtS(Date.now() - t0)],
  ];
  const summary = table("Sundial soak: faults", rows);
  console.log(`\n${summary}`);
  if (failures.length) {
    console.log("\nFAILED invariants:");
    for (const f of failures) console.log(`- ${f.what}: ${f.detail}`);
    exitCode = 1;
  } else console.log("\nAll invariants held.");
  writeFileSync(join(out, "summary.txt"), `${summary}\n${failures.map((f) => `- ${f.what}: ${f.detail}`).join("\n")}\n`);
  writeFileSync(join(out, "failures.json"), JSON.stringify({ failures, missing: sc.missing, duplicates: sc.duplicates, unexpected: sc.unexpected, notCompleted: sc.notCompleted, counterMismatch: sc.counterMismatch, doubleCompleted: hc.doubleCompleted, restarts, workerKills }, null, 2));
} catch (err) {
  console.error("soak aborted:", err);
  exitCode = 2;
} finally {
  writeFileSync(join(out, "wrangler.log"), platform.log);
  await cleanup();
  console.log(`artifacts: ${out}`);
}
process.exit(exitCode);
