import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, fail, getRun, iso, runId, setNow, succeed, T } from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;
const H = 3_600_000;

/**
 * An hourly schedule (retry_max 2, retries 60 s after a failure, a 5-minute catch-up window) whose
 * 01:00 run failed at 01:00:01: its retry is due at 01:01:01, the schedule's alarm armed for it.
 */
async function failedAt0100(prefix: string, t0: number, extra: Record<string, unknown> = {}) {
  const sid = uid(prefix);
  const queue = uid(`q-${prefix}`);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "outage-retry-wf", key: sid, cron: "0 * * * *", task_queue: queue, retry_max: 2, retry_delay_seconds: 60, catchup_window_seconds: 300, ...extra });
  const first = runId(sid, t0 + H);
  await alarmAt(sid, t0 + H);
  setNow(t0 + H + S);
  await completeRun(queue, first, fail("down"));
  await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(1));
  await expectAlarm(sid, t0 + H + 61 * S);
  return { sid, queue, first, retry: `${first}:retry-1` };
}

// DESIGN "Catch-up": a fire whose alarm runs more than catchup_window_seconds late (the platform
// was down) is skipped and counted. A failed fire's retry whose alarm ran late ran however late.
describe("a retry whose alarm runs late (an outage) follows the catch-up window of the fire it retries", () => {
  it("within the window it runs, late, as the retry it is", async () => {
    const t0 = T("2027-08-01T00:00:00.000Z");
    const { sid, first, retry } = await failedAt0100("outage-retry-in", t0);
    // The platform is down from 01:01 to 01:05: the retry is 3 min 59 s late, within 5 minutes.
    await alarmAt(sid, t0 + H + 5 * M);
    const run = await expectRunning(retry);
    // Its payload is the run's it retries.
    expect(run.schedule).toMatchObject({ timestamp: iso(t0 + H), actual_timestamp: iso(t0 + H) });
    expect((await getRun(first)).body.status).toBe("failed");
    expect(await describeSchedule(sid)).toMatchObject({ status: "active", current_retry: 1, counters: { fired: 2, failed: 1, skipped_catchup: 0 } });
  });

  it("past the window it is skipped, counted and recorded; its retry chain ends without on_failure", async () => {
    const t0 = T("2027-08-02T00:00:00.000Z");
    // on_failure pause: a skipped retry did not fail, so the schedule does not pause.
    const { sid, retry } = await failedAt0100("outage-retry-late", t0, { on_failure: "pause" });
    // Down from 01:01 to 01:10: the retry is 8 min 59 s late, past the 5-minute window.
    await alarmAt(sid, t0 + H + 10 * M);
    await expectNoRun(retry);
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ status: "active", current_retry: 0, next_run_at: iso(t0 + 2 * H), counters: { fired: 1, failed: 1, skipped_catchup: 1 } });
    expect(d.recent_actions[0]).toMatchObject({ kind: "retry", nominal: iso(t0 + H), actual: iso(t0 + H), run_id: retry, outcome: "skipped_catchup" });
    await expectAlarm(sid, t0 + 2 * H);
    // The next fire runs as usual.
    await alarmAt(sid, t0 + 2 * H);
    await expectRunning(runId(sid, t0 + 2 * H));
    await expectNoRun(retry);
  });

  it("a retry found due in time and waiting for the slot is not skipped, however long the run holding it lasts", async () => {
    const t0 = T("2027-08-03T00:00:00.000Z");
    const sid = uid("outage-retry-held");
    const queue = uid("q-outage-retry-held");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "outage-retry-wf", key: sid, cron: "0 * * * *", task_queue: queue, retry_max: 1, retry_delay_seconds: 60, catchup_window_seconds: 300 });
    const first = runId(sid, t0 + H);
    await alarmAt(sid, t0 + H);
    setNow(t0 + H + S);
    await completeRun(queue, first, fail("down"));
    await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(1));
    await expectAlarm(sid, t0 + H + 61 * S);
    // A trigger's run takes the slot (SKIP) at 01:00:30; the retry's alarm at 01:01:01 finds it due and waits.
    setNow(t0 + H + 30 * S);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "hold" });
    expect(trig.body).toMatchObject({ outcome: "started" });
    await alarmAt(sid, t0 + H + 61 * S);
    await expectNoRun(`${first}:retry-1`);
    // The trigger's run closes 29 minutes later: the retry takes the slot then.
    setNow(t0 + H + 30 * M);
    await completeRun(queue, trig.body.run_id, succeed());
    await expectRunning(`${first}:retry-1`);
    expect((await describeSchedule(sid)).counters).toMatchObject({ skipped_catchup: 0 });
  });

  it("a retry due behind one waiting for the slot waits in line, though no alarm wakes for it and later fires' alarms run", async () => {
    const t0 = T("2027-08-04T00:00:00.000Z");
    const sid = uid("outage-retry-line");
    const queue = uid("q-outage-retry-line");
    setNow(t0);
    // Every 10 minutes, SKIP; a failed fire is retried 30 minutes later; a 5-minute window.
    await createSchedule({ schedule_id: sid, workflow: "outage-retry-wf", key: sid, cron: "*/10 * * * *", task_queue: queue, retry_max: 1, retry_delay_seconds: 1800, catchup_window_seconds: 300 });
    const r = (m: number) => runId(sid, t0 + m * M);
    for (const m of [10, 20]) {
      await alarmAt(sid, t0 + m * M);
      setNow(t0 + m * M + S);
      await completeRun(queue, r(m), fail("down"));
      await eventually(async () => expect((await describeSchedule(sid)).counters.failed).toBe(m / 10));
    }
    // 00:10's retry is due at 00:40:01, 00:20's at 00:50:01. A trigger's run holds the slot from 00:25.
    setNow(t0 + 25 * M);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "hold" });
    expect(trig.body).toMatchObject({ outcome: "started" });
    for (const at of [30 * M, 40 * M, 40 * M + S, 50 * M, 60 * M]) {
      await expectAlarm(sid, t0 + at);
      await alarmAt(sid, t0 + at);
    }
    await expectNoRun(`${r(10)}:retry-1`);
    expect((await describeSchedule(sid)).counters.skipped_catchup).toBe(0);
    // The trigger's run closes at 01:05: 00:10's retry runs, then 00:20's.
    setNow(t0 + 65 * M);
    await completeRun(queue, trig.body.run_id, succeed());
    await expectRunning(`${r(10)}:retry-1`);
    setNow(t0 + 66 * M);
    await completeRun(queue, `${r(10)}:retry-1`, succeed());
    await expectRunning(`${r(20)}:retry-1`);
    expect((await describeSchedule(sid)).counters).toMatchObject({ skipped_catchup: 0 });
  });

  it("a trigger that takes the slot just after the retry's time, before its alarm ran, leaves it waiting in time, not skipped", async () => {
    const t0 = T("2027-08-05T00:00:00.000Z");
    const { sid, queue, retry } = await failedAt0100("outage-retry-trig", t0);
    // 01:01:05: the retry's alarm (01:01:01) has not run yet, a trigger's run starts (SKIP, no run open).
    setNow(t0 + H + 65 * S);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "first" });
    expect(trig.body).toMatchObject({ outcome: "started" });
    // The alarm still rings for the retry, which finds it due in time, waiting for the slot.
    await expectAlarm(sid, t0 + H + 61 * S);
    await alarmAt(sid, t0 + H + 66 * S);
    await expectAlarm(sid, t0 + 2 * H);
    // The trigger's run closes at 01:30: the retry runs.
    setNow(t0 + H + 30 * M);
    await completeRun(queue, trig.body.run_id, succeed());
    await expectRunning(retry);
    expect((await describeSchedule(sid)).counters).toMatchObject({ skipped_catchup: 0 });
  });
});
