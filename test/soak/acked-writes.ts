/**
 * Acknowledged writes vs. a platform SIGKILL: `npm run soak:acked -- [--delays-ms 0,50,150,300,600,1000,2000]`.
 *
 * Each round, on one worker whose fetch is traced (SOAK_HTTP_LOG):
 *  1. starts a `soak_flow` run (201) and waits until the worker's completion of its slow activity
 *     was answered 200 `{"status":"accepted"}`;
 *  2. creates a (paused) schedule (201);
 *  3. `delay` ms after that last acknowledgement, SIGKILLs the whole `wrangler dev` process group,
 *     restarts it on the same state and checks that all three writes are there: the schedule
 *     (same version), the execution, and the activity result — recorded once, before the kill, and
 *     the activity never run again.
 * Prints one table; exits 1 if any acknowledged write was lost.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, cleanup, revision, sleep, SoakPlatform, table, soakWorker } from "./lib/platform.ts";

const argv = process.argv.slice(2);
const i = argv.indexOf("--delays-ms");
const delays = (i >= 0 && argv[i + 1] ? argv[i + 1]! : "0,50,150,300,600,1000,2000").split(",").map(Number);
const out = mkdtempSync(join(tmpdir(), "sundial-soak-acked-out-"));
const activityFile = join(out, "activity.jsonl");
const httpFile = join(out, "http.jsonl");
const jsonl = (f: string): any[] => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);

const platform = await SoakPlatform.prepare();
await platform.boot();
const worker = soakWorker("worker", "test/soak/fixtures/soak-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: "acked", SOAK_ACTIVITY_LOG: activityFile, SOAK_HTTP_LOG: httpFile, SOAK_LOG_INFO: "1", SOAK_STEP_MS: "1500", SOAK_SLEEP_S: "1" }, join(out, "worker.log"));
await worker.waitFor("worker ready");

/** The completion's answer, short: its status, and whether the next workflow task came with it (eager dispatch; the body is logged cut at 200 characters). */
const shown = (body: string) => `${/"status":"(\w+)"/.exec(body)?.[1] ?? body.slice(0, 60)}${body.includes('"workflow_task":{') ? " + next workflow task" : ""}`;
const rows: [string, string, string][] = [];
let lost = 0;
let exitCode = 0;
try {
  for (const [r, delay] of delays.entries()) {
    const id = `acked-${r}`;
    const start = await api(platform.url, "POST", "/v1/workflows/executions", { workflow: "soak_flow", execution_id: id, task_queue: "acked", input: { id } });
    if (start.status !== 201) throw new Error(`start ${id}: ${start.status} ${JSON.stringify(start.body)}`);
    let ack: { t: number; ms: number; status: number; body: string } | undefined;
    const deadline = Date.now() + 30_000;
    while (!ack && Date.now() < deadline) {
      const slowDone = jsonl(activityFile).find((l) => l.ex === id && l.a === "slow" && l.ph === "done");
      if (slowDone) ack = jsonl(httpFile).find((l) => l.path.endsWith("/activity/complete") && l.t >= slowDone.t && l.status !== 0);
      if (!ack) await sleep(5);
    }
    if (!ack) throw new Error(`no answer to the completion of ${id}'s activity`);
    const sched = await api(platform.url, "POST", "/v1/workflows/schedules", { workflow: "soak_tick", key: id, task_queue: "acked", input: { n: r }, cron: "0 0 1 1 *", paused: true });
    if (sched.status !== 201) throw new Error(`create schedule: ${sched.status} ${JSON.stringify(sched.body)}`);
    const lastAck = Date.now();
    await sleep(delay);
    const killAt = Date.now();
    await platform.crash();
    await sleep(1_000);
    await platform.boot();

    const gotSched = await api(platform.url, "GET", `/v1/workflows/schedules/${encodeURIComponent(sched.body.schedule_id)}`);
    const gotExec = await api(platform.url, "GET", `/v1/workflows/executions/${id}`);
    let result: any = null;
    for (let k = 0; k < 30 && !result; k++) {
      const res = await api(platform.url, "GET", `/v1/workflows/executions/${id}/result?wait_seconds=5`);
      if (res.status === 200) result = res.body;
    }
    const events: { type: string; seq?: number; attempt?: number; ts: string }[] = (await api(platform.url, "GET", `/v1/workflows/executions/${id}/history?page_size=500`)).body?.events ?? [];
    writeFileSync(join(out, `${id}.history.json`), JSON.stringify(events, null, 1));
    const seq1 = events.filter((e) => e.type === "activity_completed" && e.seq === 1);
    const slowRuns = jsonl(activityFile).filter((l) => l.ex === id && l.a === "slow" && l.ph === "start").length;
    const accepted = ack.status === 200 && ack.body.includes("accepted") && ack.t + ack.ms <= killAt;
    const scheduleKept = gotSched.status === 200 && gotSched.body.version === sched.body.version && gotSched.body.status === "paused";
    const execKept = gotExec.status === 200;
    const completionKept = !accepted || (seq1.length === 1 && Date.parse(seq1[0]!.ts) < killAt && slowRuns === 1);
    const ok = scheduleKept && execKept && completionKept;
    if (!ok) lost++;
    rows.push([
      `round ${r}: SIGKILL ${delay} ms after the last 2xx`,
      `start 201, completion ${ack.status} ${shown(ack.body)} (${killAt - (ack.t + ack.ms)} ms before the kill), schedule 201 (${killAt - lastAck} ms) → after restart: schedule ${gotSched.status} v${gotSched.body?.version}, execution ${gotExec.status}, seq 1 completed ${seq1.length}× before the kill, activity ran ${slowRuns}×, run ${result?.status ?? "not closed"}`,
      ok ? "kept" : "LOST",
    ]);
    console.log(rows.at(-1)!.join(" | "));
  }
  console.log(`\n${table(`Sundial soak: acknowledged writes vs. SIGKILL of wrangler dev (${new Date().toISOString().slice(0, 10)}, ${revision()})`, rows)}`);
  console.log(`\n${lost === 0 ? "All acknowledged writes survived." : `${lost} round(s) lost an acknowledged write.`} Evidence in ${out}`);
  exitCode = lost > 0 ? 1 : 0;
} catch (err) {
  console.error("aborted:", err);
  exitCode = 2;
} finally {
  writeFileSync(join(out, "wrangler.log"), platform.log);
  await cleanup();
}
process.exit(exitCode);
