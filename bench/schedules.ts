/**
 * `npm run bench -- schedules [--n=1000] [--seed=100000] [--list=200] [--concurrency=16] [--observability=1] [--quick]`:
 * schedule benchmarks of Sundial on a real `wrangler dev`, beside BullMQ job schedulers on a
 * throw-away local Redis, in one run:
 *
 * (a) creates/s: `--n` POST /v1/workflows/schedules with distinct keys, `--concurrency` in flight
 *     (BullMQ: `queue.upsertJobScheduler(id, {pattern, tz})` the same way);
 * (b) fire lateness: those same `--n` schedules are all due at the same second T (a 6-field cron,
 *     `S M H D Mon *` in UTC, the same expression for both systems, fixed after a 50-create pilot
 *     measured how long creating takes, plus the 60 s lead of prepared starts). Each schedule
 *     prepares its run 30-60 s ahead; 50 pollers (HTTP long polls from this process) wait at T.
 *     Sundial's lateness = the task's `available_at` − T (when the task queue released the run's
 *     first task to pollers, platform clock); its hand-off = when a poller received the task − T.
 *     BullMQ: Date.now() when a Worker (concurrency 50) runs the job − T, a hand-off, compared with
 *     Sundial's hand-off;
 * (c) listing: D1 is seeded directly with `--seed` schedule index rows (`wrangler d1 execute
 *     --local --file`, before wrangler dev starts), then `--list` GET /v1/workflows/schedules?key=…
 *     for random keys, one at a time. Listing reads only the D1 index (no Durable Object), so
 *     index rows without objects behind them are a faithful stand-in for 100,000 real schedules.
 */
import { join } from "node:path";
import { Queue, Worker } from "bullmq";
import { scheduleRunId } from "../src/core/run-id.ts";
import { CpuMeter, busyCores, fsType, loadAverage, waitQuiet, type CpuSample, type ProcessGroup } from "./lib/cpu.ts";
import { Platform, api, cleanup, pool, sleep } from "./lib/platform.ts";
import { REDIS_INSTALL_HINT, findRedisServer, redisVersion, startRedis } from "./lib/redis.ts";
import { packageVersion, printContext } from "./lib/report.ts";
import { countExecutions, cron6, dueSecond, pad, POLLERS, PREPARE_AHEAD_MS, sleepUntil, stats, timedCalls, writeSeed } from "./lib/schedule-load.ts";
import { printSchedulesReport, type Row } from "./lib/schedule-report.ts";
import { ms, pct, rate } from "./lib/stats.ts";

interface Options {
  n: number;
  seed: number;
  list: number;
  concurrency: number;
  /** 1: keep wrangler dev's local request tracing on (its default; production does not pay it). 0, the default here: off, as in the workflows suite. */
  observability: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { n: 1000, seed: 100_000, list: 200, concurrency: 16, observability: 0 };
  for (const a of args) {
    const m = /^--([a-z]+)(?:=(\d+))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a} (expected --n=, --seed=, --list=, --concurrency=, --observability=1, --quick)`);
    const [, k, v] = m as unknown as [string, string, string | undefined];
    if (k === "quick") Object.assign(o, { n: 200, seed: 10_000, list: 50 });
    else if (k in o && v !== undefined) o[k as keyof Options] = Number(v);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const PILOT = 50;
const SCHED_WORKFLOW = "bench_sched";
const QUEUE_NAME = "bench-sched";
/** Before each phase that can wait, wait up to this long for other processes on the machine to go quiet. */
const QUIET_WAIT_MS = 10_000;

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  // wrangler dev reads it at start-up (Platform.boot passes the environment on).
  process.env.X_LOCAL_OBSERVABILITY = o.observability ? "true" : "false";
  const t0 = performance.now();
  const redisBin = findRedisServer();
  const otherBefore = await busyCores(1000);
  const stateRoot = process.env.BENCH_STATE_ROOT ?? (await import("node:os")).tmpdir();
  printContext("schedules", [
    ["libraries", `wrangler ${packageVersion("wrangler")}, workerd ${packageVersion("wrangler/node_modules/workerd")}, bullmq ${packageVersion("bullmq")}, ioredis ${packageVersion("ioredis")}, redis-server ${redisBin ? redisVersion(redisBin) : "not installed"}`],
    ["method", `(a) ${o.n} creates, ${o.concurrency} in flight; (b) the same ${o.n} all due in one second; (c) ${o.list} listings by key among ${o.seed.toLocaleString("en-US")} index rows, one at a time`],
    ["platform", `one \`wrangler dev\` (bench/wrangler.bench.toml, bundled once); state in ${stateRoot} (${fsType(stateRoot)}); wrangler's local request tracing (X_LOCAL_OBSERVABILITY) ${o.observability ? "ON (wrangler's default)" : "off"}; peer: BullMQ on redis-server (no persistence) on loopback`],
    ["machine load", `${otherBefore.toFixed(2)} cores busy before start (load average ${loadAverage()})`],
  ]);
  if (!redisBin) {
    console.log(`redis-server is not installed: the BullMQ peer is skipped and ratios are not printed. Install it with:\n  ${REDIS_INSTALL_HINT}\n`);
  }

  const rows: Row[] = [];
  const notes: string[] = [];
  const platform = await Platform.prepare("schedules");
  let redisPid: number | undefined;
  try {
    // ------------------------------------------------------------------ seed D1 (before boot)
    const seedFile = join(platform.dir, "seed.sql");
    writeSeed(seedFile, o.seed, Date.now());
    const ts = performance.now();
    await platform.d1ExecuteFile(seedFile);
    const seedS = (performance.now() - ts) / 1000;
    const countOut = (await platform.d1Json("SELECT COUNT(*) AS n FROM schedules WHERE namespace = 'default'")) as { results: { n: number }[]; meta: { duration: number } }[];
    const seeded = countOut[0]?.results[0]?.n ?? 0;
    const countMs = countOut[0]?.meta.duration ?? Number.NaN;
    console.error(`seeded ${seeded} index rows in ${seedS.toFixed(1)} s`);
    if (seeded !== o.seed) throw new Error(`seed: expected ${o.seed} rows, D1 has ${seeded}`);

    await platform.boot();
    const wranglerPid = platform.pid!;
    const groups: ProcessGroup[] = [
      { name: "platform", pids: () => [wranglerPid], groups: true },
      { name: "peer", pids: () => (redisPid === undefined ? [] : [redisPid]) },
      { name: "bench", pids: () => [process.pid], descendants: false },
    ];
    const meter = new CpuMeter(groups);
    const url = platform.url;

    // ------------------------------------------------------------------ (c) listing
    console.error("Sundial: listing…");
    await pool(20, 1, async (i) => void (await api(url, "GET", `/v1/workflows/schedules?key=user_${pad((i * 7919) % o.seed)}`)));
    await waitQuiet(meter, QUIET_WAIT_MS);
    let c0 = meter.sample();
    const listLat: number[] = [];
    for (let i = 0; i < o.list; i++) {
      const k = Math.floor(Math.random() * o.seed);
      const a = performance.now();
      const r = await api(url, "GET", `/v1/workflows/schedules?key=user_${pad(k)}`);
      listLat.push(performance.now() - a);
      const got = (r.body as { schedules: { key: string }[] }).schedules;
      if (got.length !== 1 || got[0]!.key !== `user_${pad(k)}`) throw new Error(`listing key user_${pad(k)} returned ${JSON.stringify(got).slice(0, 200)}`);
    }
    const listCpu = CpuMeter.usage(c0, meter.sample());
    const listP = pct(listLat);
    rows.push({ system: "Sundial", op: `list ?key= among ${o.seed.toLocaleString("en-US")} (D1 index)`, kind: "list", n: String(o.list), perSec: (o.list * 1000) / listLat.reduce((a, b) => a + b, 0), lat: { ...listP, min: Math.min(...listLat) }, cpu: listCpu });
    const healthLat: number[] = [];
    const h0 = meter.sample();
    for (let i = 0; i < 100; i++) {
      const a = performance.now();
      await (await fetch(`${url}/v1/health`)).text();
      healthLat.push(performance.now() - a);
    }
    const hu = CpuMeter.usage(h0, meter.sample());
    const healthCpuMs = ((hu.platform ?? 0) * hu.wall * 1000) / 100;

    // ------------------------------------------------------------------ reference: a bare new object per request
    // What one new named SQLite Durable Object per request costs in this wrangler dev with no Sundial
    // code (bench-entry.ts, BenchNewObject): the local ceiling of any create that gives each schedule
    // its own object. Just before Sundial's creates, so both see the disk in the same state.
    console.error("reference: a new Durable Object per request…");
    await pool(PILOT, o.concurrency, async () => void (await api(url, "POST", "/bench/object", {})));
    await waitQuiet(meter, QUIET_WAIT_MS);
    c0 = meter.sample();
    const bare = await timedCalls(o.n, o.concurrency, async () => {
      const r = await api(url, "POST", "/bench/object", {});
      if (r.status !== 200) throw new Error(`POST /bench/object: status ${r.status}`);
    });
    rows.push({ system: "workerd", op: `a new Durable Object per request (one table, one row; no Sundial code), ${o.concurrency} in flight`, kind: "create", n: String(o.n), perSec: bare.perSec, lat: stats(bare.lat), cpu: CpuMeter.usage(c0, meter.sample()) });

    // ------------------------------------------------------------------ (a) creates, then (b) fires
    console.error("Sundial: creating schedules…");
    const pilot = await timedCalls(PILOT, o.concurrency, async (i) => {
      await api(url, "POST", "/v1/workflows/schedules", { workflow: "bench_pilot", key: `pilot-${pad(i, 4)}`, cron: "0 0 0 1 1 *", timezone: "UTC", task_queue: QUEUE_NAME });
    });
    await waitQuiet(meter, QUIET_WAIT_MS);
    const due = dueSecond(o.n, pilot.perSec, PREPARE_AHEAD_MS);
    const spec = cron6(due);
    c0 = meter.sample();
    const created = await timedCalls(o.n, o.concurrency, async (i) => {
      const r = await api(url, "POST", "/v1/workflows/schedules", { workflow: SCHED_WORKFLOW, key: `fire-${pad(i, 4)}`, cron: spec, timezone: "UTC", task_queue: QUEUE_NAME });
      if (r.status !== 201) throw new Error(`create fire-${i}: status ${r.status}`);
    });
    const createCpu = CpuMeter.usage(c0, meter.sample());
    rows.push({ system: "Sundial", op: `create (POST /v1/workflows/schedules, ${o.concurrency} in flight)`, kind: "create", n: String(o.n), perSec: created.perSec, lat: stats(created.lat), cpu: createCpu });
    const spare = due - Date.now();
    console.error(`created ${o.n} schedules (${rate(created.perSec)}/s); all due at ${new Date(due).toISOString()} (${(spare / 1000).toFixed(1)} s from now)`);

    // Sanity: the first schedule's next fire is T.
    const desc = (await api(url, "GET", `/v1/workflows/schedules/${encodeURIComponent(`${SCHED_WORKFLOW}:fire-0000`)}`)).body as { next_fire_times: { nominal: string }[] };
    if (Date.parse(desc.next_fire_times[0]?.nominal ?? "") !== due) throw new Error(`schedule fire-0000 next fire is ${desc.next_fire_times[0]?.nominal}, expected ${new Date(due).toISOString()}`);
    if (spare < 1500) throw new Error(`creating took longer than planned: only ${spare} ms left before the due time`);

    // Prepared starts: each schedule creates its run 30-60 s before T, so by T - 5 s every run
    // should exist (listed from the D1 index, which wakes no Durable Object).
    await sleepUntil(due - 5000);
    const preparedBefore = await countExecutions(url, SCHED_WORKFLOW);
    notes.push(`Sundial: ${preparedBefore}/${o.n} runs had been prepared (created, first task held by the task queue) 5 s before the due time.`);

    // 50 pollers waiting at T, as BullMQ's Worker has concurrency 50: each receives a workflow
    // task, records it, completes the run (one command) and polls again.
    const received: { recv: number; available: number; leased: number; id: string }[] = [];
    let pollErrors = 0;
    const pollErrorSamples: string[] = [];
    const seen = new Set<string>();
    const stopAt = due + 120_000;
    await sleepUntil(due - 2000);
    c0 = meter.sample();
    await Promise.all(
      Array.from({ length: POLLERS }, async (_, k) => {
        while (seen.size < o.n && Date.now() < stopAt) {
          try {
            const r = await api(url, "POST", "/v1/workflows/tasks/poll", { task_queue: QUEUE_NAME, kind: "workflow", identity: `bench-poller-${k}`, wait_seconds: 5 }, [204]);
            if (r.status !== 200) continue;
            const recv = Date.now();
            const t = r.body as { execution_id: string; task_token: string; available_at?: string; history: { type: string; ts: string }[] };
            const started = t.history.findLast((e) => e.type === "workflow_task_started");
            received.push({ recv, available: t.available_at ? Date.parse(t.available_at) : Number.NaN, leased: started ? Date.parse(started.ts) : Number.NaN, id: t.execution_id });
            seen.add(t.execution_id);
            await api(url, "POST", "/v1/workflows/tasks/workflow/complete", { task_token: t.task_token, commands: [{ type: "complete_workflow", result: null }] });
          } catch (err) {
            pollErrors++;
            if (pollErrorSamples.length < 3) pollErrorSamples.push(String((err as Error).message ?? err).slice(0, 200));
            await sleep(100);
          }
        }
      }),
    );
    const fireCpu = CpuMeter.usage(c0, meter.sample());
    // A task received again (its completion failed or came after the workflow task timed out, so
    // it was handed out anew) is the same fire: every figure below is of each run's first receipt.
    const receipts = received.length;
    const firsts = new Map<string, (typeof received)[number]>();
    for (const r of received) if (!firsts.has(r.id)) firsts.set(r.id, r);
    received.splice(0, received.length, ...firsts.values());
    if (receipts > received.length) notes.push(`Sundial: ${receipts - received.length} tasks were received again (the same run handed out anew after a failed or late completion); counted once, at their first receipt.`);
    const early = received.filter((r) => r.leased < due || r.available < due).length;
    if (early > 0) notes.push(`Sundial: ${early} runs were handed out BEFORE their due time — a bug.`);
    if (pollErrors > 0) notes.push(`Sundial: ${pollErrors} poll/complete calls failed during the fire phase (${pollErrorSamples.join("; ")}).`);
    const wrongIds = received.filter((r) => !r.id.startsWith(`${SCHED_WORKFLOW}:fire-`) || !r.id.endsWith(`:${new Date(due).toISOString()}`)).length;
    if (wrongIds > 0) notes.push(`Sundial: ${wrongIds} tasks were for unexpected executions.`);
    const avail = stats(received.map((r) => r.available - due));
    const leased = stats(received.map((r) => r.leased - due));
    const handoff = stats(received.map((r) => r.recv - due));
    // Where the schedules' own alarms were meanwhile: each records the fire as started when it runs
    // (for a prepared run that is bookkeeping only; the queue already released it).
    const alarmLate: number[] = [];
    await pool(o.n, 8, async (i) => {
      const r = await api(url, "GET", `/v1/workflows/schedules/${encodeURIComponent(`${SCHED_WORKFLOW}:fire-${pad(i, 4)}`)}`, undefined, [404]);
      const actions = (r.body as { recent_actions?: { at: string; run_id: string | null; outcome: string }[] } | null)?.recent_actions ?? [];
      const runId = scheduleRunId(`${SCHED_WORKFLOW}:fire-${pad(i, 4)}`, due);
      const act = actions.find((a) => a.run_id === runId);
      if (act) alarmLate.push(Date.parse(act.at) - due);
    });
    const al = stats(alarmLate);
    notes.push(
      `Sundial: the ScheduleObjects' alarms for T ran ${ms(al.min)} / ${ms(al.p50)} / ${ms(al.max)} ms (min / p50 / max) after it (n = ${alarmLate.length}); ` +
        `prepared runs do not wait for them: the task queue released every first task at T on its own timer.`,
    );
    const n = `${received.length}/${o.n}`;
    rows.push({ system: "Sundial", op: `fire lateness, ${o.n} due at one second (run available to workers − due)`, kind: "fire", n, perSec: (received.length * 1000) / Math.max(1, avail.max), lat: avail, cpu: fireCpu });
    rows.push({ system: "Sundial", op: `fire hand-off (a poller received the task − due, ${POLLERS} pollers)`, kind: "handoff", n, perSec: (received.length * 1000) / Math.max(1, handoff.max), lat: handoff, cpu: null });
    notes.push(`Sundial: leased (workflow_task_started, platform clock) − due: ${ms(leased.min)} / ${ms(leased.p50)} / ${ms(leased.p99)} / ${ms(leased.max)} ms (min / p50 / p99 / max).`);
    await platform.stop();

    // ------------------------------------------------------------------ BullMQ peer
    if (redisBin) {
      console.error("BullMQ: starting redis-server…");
      const redis = await startRedis(redisBin);
      redisPid = redis.pid;
      const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
      const queue = new Queue(QUEUE_NAME, { connection });
      let worker: Worker | null = null;
      try {
        await queue.waitUntilReady();
        const pilotB = await timedCalls(PILOT, o.concurrency, async (i) => {
          await queue.upsertJobScheduler(`pilot-${pad(i, 4)}`, { pattern: "0 0 0 1 1 *", tz: "UTC" }, { name: "pilot", data: {} });
        });
        await waitQuiet(meter, QUIET_WAIT_MS);
        const dueB = dueSecond(o.n, pilotB.perSec);
        const specB = cron6(dueB);
        c0 = meter.sample();
        const createdB = await timedCalls(o.n, o.concurrency, async (i) => {
          await queue.upsertJobScheduler(`fire-${pad(i, 4)}`, { pattern: specB, tz: "UTC" }, { name: "fire", data: { due: dueB } });
        });
        rows.push({ system: "BullMQ", op: `create (upsertJobScheduler, ${o.concurrency} in flight)`, kind: "create", n: String(o.n), perSec: createdB.perSec, lat: stats(createdB.lat), cpu: CpuMeter.usage(c0, meter.sample()) });
        const got: number[] = [];
        let wrongDue = 0;
        worker = new Worker(
          QUEUE_NAME,
          async (job) => {
            const now = Date.now();
            if (job.name !== "fire") return;
            const d = (job.data as { due: number }).due;
            if (job.opts.prevMillis !== undefined && job.opts.prevMillis !== d) wrongDue++;
            got.push(now - d);
          },
          { connection, concurrency: 50 },
        );
        await worker.waitUntilReady();
        console.error(`BullMQ: ${o.n} job schedulers due at ${new Date(dueB).toISOString()} (${((dueB - Date.now()) / 1000).toFixed(1)} s from now)`);
        await sleepUntil(dueB - 1000);
        c0 = meter.sample();
        while (got.length < o.n && Date.now() < dueB + 120_000) await sleep(50);
        const cpuB = CpuMeter.usage(c0, meter.sample());
        const lb = pct(got);
        rows.push({ system: "BullMQ", op: `fire hand-off, ${o.n} due at one second (Worker ran job − due, concurrency 50)`, kind: "handoff", n: `${got.length}/${o.n}`, perSec: (got.length * 1000) / Math.max(1, lb.max), lat: { ...lb, min: Math.min(...got) }, cpu: cpuB });
        if (wrongDue > 0) notes.push(`${wrongDue} BullMQ jobs had a prevMillis different from the intended due time.`);
      } finally {
        await worker?.close();
        await queue.close();
        await redis.stop();
        redisPid = undefined;
      }
    }

    printSchedulesReport(rows, notes, o, { seedS, seeded, countMs, healthLat, healthCpuMs });
    console.log("");
    console.log(`suite time ${((performance.now() - t0) / 1000).toFixed(1)} s; load average at end ${loadAverage()}`);
  } finally {
    await cleanup();
  }
}