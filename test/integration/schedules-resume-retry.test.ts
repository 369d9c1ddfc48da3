import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, fail, runId, setNow, T } from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;
const H = 3_600_000;

/**
 * An hourly schedule (retry_max 2, retries 60 s after a failure, a 5-minute catch-up window) whose
 * 01:00 run failed at 01:00:01, paused at 01:00:30: its retry is due at 01:01:01, while paused.
 */
async function retryDueWhilePaused(prefix: string, t0: number) {
  const sid = uid(prefix);
  const queue = uid(`q-${prefix}`);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "resume-retry-wf", key: sid, cron: "0 * * * *", task_queue: queue, retry_max: 2, retry_delay_seconds: 60, catchup_window_seconds: 300 });
  const first = runId(sid, t0 + H);
  await alarmAt(sid, t0 + H);
  setNow(t0 + H + S);
  await completeRun(queue, first, fail("down"));
  await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(1));
  setNow(t0 + H + 30 * S);
  expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
  return { sid, retry: `${first}:retry-1` };
}

// README: a resume plans from now, and the catch-up policy applies to what came due while paused.
// A failed fire's retry that came due while paused still ran at the resume, however long after.
describe("a retry that came due while the schedule was paused is decided as a fire due then", () => {
  it("a resume without catch-up does not run it; its retry chain ends", async () => {
    const t0 = T("2027-07-01T00:00:00.000Z");
    const { sid, retry } = await retryDueWhilePaused("resume-retry", t0);
    setNow(t0 + H + 10 * M);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "active", current_retry: 0, next_run_at: new Date(t0 + 2 * H).toISOString() });
    expect(r.body.recent_actions[0].outcome).toBe("resumed; 1 retry due while paused not run");
    await expectAlarm(sid, t0 + 2 * H);
    await alarmAt(sid, t0 + H + 10 * M);
    await expectNoRun(retry);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, failed: 1, skipped_catchup: 0 });
  });

  it("a resume with catch-up runs it within the catch-up window", async () => {
    const t0 = T("2027-07-02T00:00:00.000Z");
    const { sid, retry } = await retryDueWhilePaused("resume-retry-cu", t0);
    setNow(t0 + H + 3 * M);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, { catch_up: true })).status).toBe(200);
    await expectRunning(retry);
    expect(await describeSchedule(sid)).toMatchObject({ current_retry: 1, counters: { fired: 2, skipped_catchup: 0 } });
  });

  it("a resume with catch-up skips it past the catch-up window, and counts it", async () => {
    const t0 = T("2027-07-03T00:00:00.000Z");
    const { sid, retry } = await retryDueWhilePaused("resume-retry-late", t0);
    setNow(t0 + H + 10 * M);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/resume`, { catch_up: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ current_retry: 0, counters: { skipped_catchup: 1 } });
    expect(r.body.recent_actions[0].outcome).toBe("resumed; 1 retry due while paused older than the catch-up window not run");
    await alarmAt(sid, t0 + H + 10 * M);
    await expectNoRun(retry);
  });

  it("a resume before the retry's time keeps it: it runs at its time", async () => {
    const t0 = T("2027-07-04T00:00:00.000Z");
    const { sid, retry } = await retryDueWhilePaused("resume-retry-early", t0);
    setNow(t0 + H + 45 * S);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    await expectAlarm(sid, t0 + H + 61 * S);
    await alarmAt(sid, t0 + H + 61 * S);
    await expectRunning(retry);
  });
});
