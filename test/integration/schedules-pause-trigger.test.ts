import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { clock } from "../../src/clock.ts";
import { nextFire } from "../../src/core/fire-times.ts";
import { compileSpec } from "../../src/core/spec.ts";
import { api, uid } from "./helpers.ts";
import {
  alarmAt,
  completeRun,
  createSchedule,
  describeSchedule,
  eventually,
  expectAlarm,
  expectNoRun,
  expectRunning,
  getRun,
  iso,
  runId,
  scheduleObject,
  setNow,
  succeed,
  T,
} from "./schedule-helpers.ts";

const M = 60_000;
const H = 3_600_000;


/**
 * A minutely BUFFER_ONE schedule from `t0` whose 00:02 fire waits for 00:01's open run, paused
 * (with `pauseBody`) at 00:02:05.
 */
async function pausedWithFireWaiting(t0: number, prefix: string, pauseBody: Record<string, unknown>): Promise<{ sid: string; queue: string }> {
  const sid = uid(prefix);
  const queue = uid(`q-${prefix}`);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "* * * * *", task_queue: queue, overlap: "BUFFER_ONE" });
  await alarmAt(sid, t0 + M);
  await alarmAt(sid, t0 + 2 * M); // 00:02 waits for 00:01's run
  setNow(t0 + 2 * M + 5_000);
  expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, pauseBody)).status).toBe(200);
  return { sid, queue };
}

describe("pause and resume", () => {
  it("starts nothing while paused; a resume plans from now: what came due while paused is not run", async () => {
    const t0 = T("2027-03-03T00:00:00.000Z");
    const sid = uid("pause-plain");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pause-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-pause"), overlap: "ALLOW_ALL", catchup_window_seconds: "3h" });
    setNow(t0 + 30 * M);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "maintenance" })).status).toBe(200);
    setNow(t0 + 4 * H + 30 * M);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, { note: "back" });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe("active");
    for (let h = 1; h <= 4; h++) await expectNoRun(runId(sid, t0 + h * H));
    // Not an outage: nothing counted as skipped by catch-up; the action says what was not run.
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 0, skipped_catchup: 0 });
    expect(d.recent_actions.map((a: { outcome: string }) => a.outcome)).toContain("resumed: back; 4 fires due while paused not run");
    await expectAlarm(sid, t0 + 5 * H);
    expect(await alarmAt(sid, t0 + 5 * H)).toBe(true);
    await expectRunning(runId(sid, t0 + 5 * H));
    await expectNoRun(runId(sid, t0 + 4 * H));
  });

  it("a resume without catch-up keeps a jittered fire whose nominal time passed while paused but whose actual time has not come", async () => {
    const t0 = T("2027-03-05T00:00:00.000Z");
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", jitter_seconds: "50m" }), { createdAt: t0 });
    // A schedule id whose 02:00 fire is jittered by more than a minute (jitter is a hash of the id).
    let sid = "";
    let delay = 0;
    while (delay <= M) {
      sid = uid("pause-jitter");
      delay = nextFire(spec, sid, t0 + 2 * H - 1)!.actual - (t0 + 2 * H);
    }
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pause-wf", key: sid, cron: "0 * * * *", jitter_seconds: "50m", task_queue: uid("q-pause") });
    setNow(t0 + 30 * M);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
    // Resume after 02:00 but before 02:00's actual time: 01:00 came due while paused, 02:00 has not.
    setNow(t0 + 2 * H + Math.floor(delay / 2));
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    const d = await describeSchedule(sid);
    expect(d.recent_actions.map((a: { outcome: string }) => a.outcome)).toContain("resumed; 1 fire due while paused not run");
    expect(d.next_fire_times[0]).toEqual({ nominal: iso(t0 + 2 * H), actual: iso(t0 + 2 * H + delay) });
    await expectAlarm(sid, t0 + 2 * H + delay);
    expect(await alarmAt(sid, t0 + 2 * H + delay)).toBe(true);
    await expectRunning(runId(sid, t0 + 2 * H));
    await expectNoRun(runId(sid, t0 + H));
  });

  it("starts nothing while paused; a resume with catch_up runs the fires missed while paused within the catch-up window", async () => {
    const t0 = T("2027-03-01T00:00:00.000Z");
    const sid = uid("pause");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pause-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-pause"), overlap: "ALLOW_ALL", catchup_window_seconds: "3h" });
    await expectAlarm(sid, t0 + H);

    setNow(t0 + 30 * M);
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "maintenance" });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: "paused", note: "maintenance" });
    // Paused: no alarm for the fires (describe still shows when they would be).
    await expectAlarm(sid, null);
    expect(paused.body.next_fire_times[0].nominal).toBe(iso(t0 + H));
    // …but no next run: a paused schedule runs nothing, as its list row says too.
    expect(paused.body.next_run_at).toBeNull();
    expect((await api("GET", `/v1/workflows/schedules?key=${sid}`)).body.schedules[0].next_run_at).toBeNull();

    // Even a stray alarm delivered while paused starts nothing.
    await runInDurableObject(scheduleObject(sid), async (_o, state) => state.storage.setAlarm(t0 + H));
    expect(await alarmAt(sid, t0 + 4 * H + 30 * M)).toBe(true);
    for (let h = 1; h <= 4; h++) await expectNoRun(runId(sid, t0 + h * H));
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 0, skipped_catchup: 0 });

    // Resume at 04:30 with catch_up and a 3 h window: 01:00 is too old; 02:00, 03:00 and 04:00 run.
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, { catch_up: true });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe("active");
    for (let h = 2; h <= 4; h++) await expectRunning(runId(sid, t0 + h * H));
    await expectNoRun(runId(sid, t0 + H));
    const d = await describeSchedule(sid);
    expect(d.next_run_at).toBe(iso(t0 + 5 * H));
    expect(d.counters).toMatchObject({ fired: 3, skipped_catchup: 1 });
    expect(d.recent_actions.map((a: { outcome: string }) => a.outcome)).toEqual(expect.arrayContaining(["paused: maintenance", "resumed"]));
    await expectAlarm(sid, t0 + 5 * H);
  });

  it("refuses to pause a schedule that has completed", async () => {
    const t0 = T("2027-03-02T00:00:00.000Z");
    const sid = uid("pause-done");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pause-wf", key: sid, at: iso(t0 + M), task_queue: uid("q-pause"), overlap: "ALLOW_ALL" });
    await alarmAt(sid, t0 + M);
    await api("POST", `/v1/workflows/executions/${encodeURIComponent(runId(sid, t0 + M))}/terminate`, { reason: "done" });
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("completed"));
    const r = await api("POST", `/v1/workflows/schedules/${sid}/pause`, {});
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("schedule_not_active");
  });
});

describe("trigger now", () => {
  it("runs while paused, with the input override reaching the execution, and leaves the schedule paused", async () => {
    const t0 = T("2027-03-03T00:00:00.000Z");
    const sid = uid("trigger");
    const queue = uid("q-trig");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: "user_42", cron: "0 9 * * *", task_queue: queue, input: { report: "daily" }, paused: true });
    expect((await describeSchedule(sid)).status).toBe("paused");

    setNow(t0 + 5 * M);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input: { report: "adhoc" }, request_id: "req-1" });
    expect(r.status).toBe(202);
    const req1 = runId(sid, t0 + 5 * M, ":trigger:req-1");
    expect(r.body).toEqual({ run_id: req1, started: true, outcome: "started" });
    const run = await expectRunning(req1);
    expect(run.input).toEqual({ report: "adhoc" });
    expect(run.workflow).toBe("trigger-wf");
    expect(run.task_queue).toBe(queue);
    expect(run.schedule).toMatchObject({ schedule_id: sid, key: "user_42", timezone: "UTC", timestamp: iso(t0 + 5 * M), last_timestamp: null });

    let d = await describeSchedule(sid);
    expect(d.status).toBe("paused");
    expect(d.running).toEqual([req1]);

    // The schedule's own overlap (SKIP) applies to triggers too; an override lets a second one start,
    // and without an input override it gets the schedule's input.
    const skipped = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "req-2" });
    expect(skipped.body).toMatchObject({ started: false, outcome: "skipped_overlap" });
    await expectNoRun(runId(sid, t0 + 5 * M, ":trigger:req-2"));
    const second = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "req-3", overlap: "ALLOW_ALL" });
    expect(second.body).toMatchObject({ started: true, run_id: runId(sid, t0 + 5 * M, ":trigger:req-3") });
    expect((await expectRunning(second.body.run_id)).input).toEqual({ report: "daily" });

    d = await describeSchedule(sid);
    expect(d.status).toBe("paused");
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 1 });
    // A trigger is not a scheduled fire: last_fire_at stays empty and no scheduled run exists.
    expect(d.last_fire_at).toBeNull();
    expect((await getRun(runId(sid, T("2027-03-03T09:00:00Z")))).status).toBe(404);
  });

  it("while paused, a trigger runs now and the scheduled fire that waited before the pause waits for the resume; a trigger waiting for the slot starts when it frees", async () => {
    const t0 = T("2027-03-05T00:00:00.000Z");
    const { sid, queue } = await pausedWithFireWaiting(t0, "trigger-paused-buffer", { note: "hold" });
    // A trigger while 00:01 still runs waits for the slot; when 00:01 closes it starts, not 00:02.
    const waiting = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "wait" });
    expect(waiting.body).toEqual({ run_id: runId(sid, t0 + 2 * M + 5_000, ":trigger:wait"), started: false, outcome: "buffered" });
    await completeRun(queue, runId(sid, t0 + M), succeed());
    await expectRunning(waiting.body.run_id);
    await expectNoRun(runId(sid, t0 + 2 * M));
    await completeRun(queue, waiting.body.run_id, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    // Nothing open now: a trigger starts at once, and 00:02 still waits.
    const now = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "now" });
    expect(now.body).toEqual({ run_id: runId(sid, t0 + 2 * M + 5_000, ":trigger:now"), started: true, outcome: "started" });
    await expectNoRun(runId(sid, t0 + 2 * M));
    let d = await describeSchedule(sid);
    expect(d).toMatchObject({ status: "paused", buffered: 1, running: [now.body.run_id] });
    await completeRun(queue, now.body.run_id, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    expect((await describeSchedule(sid)).buffered).toBe(1);
    // The resume starts it.
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    await expectRunning(runId(sid, t0 + 2 * M));
    d = await describeSchedule(sid);
    expect(d).toMatchObject({ status: "active", buffered: 0, running: [runId(sid, t0 + 2 * M)] });
    expect(d.counters).toMatchObject({ fired: 4, skipped_overlap: 0 });
  });

  it("BUFFER_ONE: a trigger answered buffered while paused keeps its place when the resume comes before the slot frees; the held fire is skipped", async () => {
    const t0 = T("2027-03-06T00:00:00.000Z");
    const { sid, queue } = await pausedWithFireWaiting(t0, "trigger-paused-resume", {});
    const waiting = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "wait" });
    expect(waiting.body.outcome).toBe("buffered");
    setNow(t0 + 2 * M + 10_000);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    expect(await describeSchedule(sid)).toMatchObject({ buffered: 1, counters: { skipped_overlap: 1 } });
    await completeRun(queue, runId(sid, t0 + M), succeed());
    await expectRunning(waiting.body.run_id);
    await expectNoRun(runId(sid, t0 + 2 * M));
  });

  it("two triggers without a request_id in the same millisecond start two runs", async () => {
    const t0 = T("2027-03-04T00:00:00.000Z");
    setNow(t0); // the platform's clock stands still: both calls see the same millisecond
    const sid = uid("trigger-same-ms");
    await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "0 9 * * *", task_queue: uid("q-same-ms") });
    const a = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { overlap: "ALLOW_ALL" });
    const b = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { overlap: "ALLOW_ALL" });
    expect(a.body).toMatchObject({ started: true, run_id: runId(sid, t0, `:trigger:${t0}`) });
    expect(b.body).toMatchObject({ started: true, run_id: runId(sid, t0, `:trigger:${t0 + 1}`) });
    await expectRunning(a.body.run_id);
    await expectRunning(b.body.run_id);
    expect((await describeSchedule(sid)).running).toHaveLength(2);
  });

  it("a trigger retried with the same request_id gets the first answer and changes nothing, whatever the overlap policy", async () => {
    const t0 = T("2027-03-05T00:00:00.000Z");
    setNow(t0);
    for (const overlap of ["SKIP", "TERMINATE_OTHER", "CANCEL_OTHER", "BUFFER_ONE"] as const) {
      const sid = uid(`trigger-again-${overlap.toLowerCase()}`);
      await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "0 9 * * *", task_queue: uid("q-again"), overlap });
      const first = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
      expect(first.body).toEqual({ run_id: runId(sid, t0, ":trigger:once"), started: true, outcome: "started" });
      const before = await describeSchedule(sid);

      // The answer was lost on the wire; the client sends the same request again, while the run it started still runs.
      const again = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      const run = await expectRunning(first.body.run_id);
      expect(run).toMatchObject({ status: "running", cancel_requested: false });
      const after = await describeSchedule(sid);
      expect(after.running).toEqual([first.body.run_id]);
      expect(after.counters).toEqual(before.counters);
      expect(after.recent_actions).toEqual(before.recent_actions);

      // A new request_id is a new trigger, through the overlap policy as ever.
      const other = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "twice" });
      // (CANCEL_OTHER starts the new run once the cancelled one has closed: buffered until then.)
      expect(other.body.outcome).toBe({ SKIP: "skipped_overlap", BUFFER_ONE: "buffered", CANCEL_OTHER: "buffered", TERMINATE_OTHER: "started" }[overlap]);

      if (overlap === "SKIP") {
        // A request_id is remembered for 24 hours: after that it is a new trigger, skipped here (its run still runs).
        setNow(t0 + 24 * 60 * M + 1);
        const late = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
        expect(late.body).toEqual({ run_id: "", started: false, outcome: "skipped_overlap" });
        setNow(t0);
      }
    }
  });

  it("a request_id used again once it is forgotten (after 24 h, or after the schedule was deleted and created again) starts a run of its own", async () => {
    const t0 = T("2027-03-07T00:00:00.000Z");
    setNow(t0);
    const sid = uid("trigger-reused");
    const queue = uid("q-reused");
    await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "0 9 1 1 *", task_queue: queue });
    const first = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
    expect(first.body).toMatchObject({ started: true, run_id: runId(sid, t0, ":trigger:once") });
    await completeRun(queue, first.body.run_id, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));

    // A day later the id is forgotten: a new trigger, with a new execution (not the first one's, found again).
    setNow(t0 + 24 * 60 * M + 1);
    const later = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
    expect(later.body).toEqual({ run_id: runId(sid, t0 + 24 * 60 * M + 1, ":trigger:once"), started: true, outcome: "started" });
    expect((await expectRunning(later.body.run_id)).status).toBe("running");
    expect((await getRun(first.body.run_id)).body.status).toBe("completed");
    await completeRun(queue, later.body.run_id, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));

    // Deleted and created again, for another workflow: the same request_id starts that workflow.
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(204);
    setNow(t0 + 24 * 60 * M + 2 * M);
    await createSchedule({ schedule_id: sid, workflow: "trigger-other-wf", key: sid, cron: "0 9 1 1 *", task_queue: queue });
    const again = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "once" });
    expect(again.body).toMatchObject({ started: true, outcome: "started" });
    expect(again.body.run_id).not.toBe(later.body.run_id);
    expect((await expectRunning(again.body.run_id)).workflow).toBe("trigger-other-wf");
    await completeRun(queue, again.body.run_id, succeed());
    // Nothing holds the overlap slot afterwards: the next scheduled fire starts (SKIP would skip it otherwise).
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    await alarmAt(sid, T("2028-01-01T09:00:00.000Z"));
    await expectRunning(runId(sid, T("2028-01-01T09:00:00.000Z")));
  });

  it("remembers the last 1,000 request_ids: a retry of one of them changes nothing, the one before them is a new trigger", async () => {
    const t0 = T("2027-03-08T00:00:00.000Z");
    setNow(t0);
    const sid = uid("trigger-kept");
    await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "0 9 1 1 *", task_queue: uid("q-kept") });
    const obj = scheduleObject(sid) as unknown as { trigger(input: unknown, overlap: unknown, requestId: string): Promise<{ ok: boolean; value: { run_id: string; outcome: string } }> };
    const first = await obj.trigger(undefined, undefined, "r0");
    expect(first.value).toMatchObject({ outcome: "started" });
    // Under SKIP, with r0's run open, each later trigger is skipped (and counted), starting nothing.
    for (let i = 1; i <= 1_000; i++) expect((await obj.trigger(undefined, undefined, `r${i}`)).value.outcome).toBe("skipped_overlap");
    const counted = (await describeSchedule(sid)).counters.skipped_overlap;
    expect(counted).toBe(1_000);
    // r1 is among the last 1,000: its answer again, nothing counted.
    expect((await obj.trigger(undefined, undefined, "r1")).value).toEqual({ run_id: "", started: false, outcome: "skipped_overlap" });
    expect((await describeSchedule(sid)).counters.skipped_overlap).toBe(counted);
    // r0 is not any more: a new trigger (skipped behind its own first run, and counted), not r0's answer.
    expect((await obj.trigger(undefined, undefined, "r0")).value).toEqual({ run_id: "", started: false, outcome: "skipped_overlap" });
    expect((await describeSchedule(sid)).counters.skipped_overlap).toBe(counted + 1);
  }, 60_000);

  it("answers 404 for a missing schedule and 422 naming the field for a bad trigger body", async () => {
    const missing = await api("POST", `/v1/workflows/schedules/${uid("nope")}/trigger`, {});
    expect(missing.status).toBe(404);
    const sid = uid("trigger-bad");
    setNow(T("2027-03-04T00:00:00.000Z"));
    await createSchedule({ schedule_id: sid, workflow: "trigger-wf", key: sid, cron: "0 9 * * *" });
    const bad = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { overlap: "SOMETIMES" });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("overlap");
  });

  it("trigger inputs do not pile up in the schedule's state: started runs keep none, and a buffer full of them refuses the next with 422, changing nothing", async () => {
    const t0 = T("2027-03-06T00:00:00.000Z");
    setNow(t0);
    const big = (i: number) => ({ i, blob: "x".repeat(250_000) });
    // ALLOW_ALL: every trigger starts; 9 inputs of 250 KB are more than one state row can hold.
    const all = uid("trigger-inputs-all");
    await createSchedule({ schedule_id: all, workflow: "trigger-wf", key: all, cron: "0 9 * * *", task_queue: uid("q-inputs"), overlap: "ALLOW_ALL" });
    for (let i = 0; i < 9; i++) {
      const r = await api("POST", `/v1/workflows/schedules/${all}/trigger`, { request_id: `r${i}`, input: big(i) });
      expect(r.status).toBe(202);
      expect(r.body.outcome).toBe("started");
    }
    expect((await describeSchedule(all)).running).toHaveLength(9);
    expect((await getRun(runId(all, t0, ":trigger:r8"))).body.input).toEqual(big(8));

    // BUFFER_ALL behind a running run: inputs wait in the buffer, up to 1 MiB of them.
    const buf = uid("trigger-inputs-buf");
    await createSchedule({ schedule_id: buf, workflow: "trigger-wf", key: buf, cron: "0 9 * * *", task_queue: uid("q-inputs"), overlap: "BUFFER_ALL" });
    expect((await api("POST", `/v1/workflows/schedules/${buf}/trigger`, {})).body.outcome).toBe("started");
    for (let i = 0; i < 4; i++) expect((await api("POST", `/v1/workflows/schedules/${buf}/trigger`, { input: big(i) })).body.outcome).toBe("buffered");
    const before = await describeSchedule(buf);
    const refused = await api("POST", `/v1/workflows/schedules/${buf}/trigger`, { input: big(4) });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "limit_exceeded", field: "input" });
    const after = await describeSchedule(buf);
    expect(after.buffered).toBe(4);
    expect(after.counters).toEqual(before.counters);
    expect(after.recent_actions).toEqual(before.recent_actions);
    // Without an input override a trigger still waits in the buffer.
    expect((await api("POST", `/v1/workflows/schedules/${buf}/trigger`, {})).body.outcome).toBe("buffered");
  });
});
