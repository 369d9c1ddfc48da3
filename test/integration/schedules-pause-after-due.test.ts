import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, expectRunning, iso, runId, setNow, T } from "./schedule-helpers.ts";

// README "Guarantees": every fire due between a schedule's creation and its pause, within the
// catch-up window, starts once. A pause that lands after a fire is due but before the schedule's
// alarm for it has run (the alarm a few seconds late under load, or the platform back from an
// outage) decides that fire first, as the alarm would have; a prepared run is adopted the same way.
// The fire was passed over by the resume as "due while paused", and never ran.

const M = 60_000;
const H = 60 * M;

describe("a pause that lands after a fire is due, before its alarm has run", () => {
  it("starts the due fire first: the resume does not pass it over", async () => {
    const t0 = T("2028-03-01T00:00:00.000Z");
    const sid = uid("due-pause");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due") });
    setNow(t0 + H + 2_000); // 01:00 is due; its alarm is 2 s late
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "hold" });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: "paused", note: "hold", counters: { fired: 1 }, last_fire_at: iso(t0 + H), running: [runId(sid, t0 + H)] });
    await expectRunning(runId(sid, t0 + H));
    // A stray alarm, should one still come, starts nothing more.
    await alarmAt(sid, t0 + H + 3_000);
    setNow(t0 + H + 10_000);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.body.recent_actions[0].outcome).toBe("resumed");
    expect(resumed.body.counters).toMatchObject({ fired: 1, skipped_catchup: 0 });
    expect(resumed.body.next_fire_times[0].nominal).toBe(iso(t0 + 2 * H));
  });

  it("a create that pauses the schedule (paused: true, same spec) decides the due fire first too", async () => {
    const t0 = T("2028-03-04T00:00:00.000Z");
    const sid = uid("due-pause-create");
    const body = { schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due") };
    setNow(t0);
    await createSchedule(body);
    setNow(t0 + H + 2_000); // 01:00 is due; its alarm is 2 s late
    const paused = await api("POST", "/v1/workflows/schedules", { ...body, paused: true });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ status: "paused", counters: { fired: 1 }, last_fire_at: iso(t0 + H), running: [runId(sid, t0 + H)] });
    await expectRunning(runId(sid, t0 + H));
    setNow(t0 + H + 10_000);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.body.recent_actions[0].outcome).toBe("resumed");
    expect(resumed.body.counters).toMatchObject({ fired: 1, skipped_catchup: 0 });
  });

  it("after an outage, starts what the catch-up window keeps before pausing, and counts what it skips", async () => {
    const t0 = T("2028-03-02T00:00:00.000Z");
    const sid = uid("due-pause-outage");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due"), overlap: "ALLOW_ALL", catchup_window_seconds: "90m" });
    setNow(t0 + 3 * H + 5 * M); // down through 01:00, 02:00 and 03:00; 01:00 is past the window
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, {});
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: "paused", counters: { fired: 2, skipped_catchup: 1 } });
    await expectRunning(runId(sid, t0 + 2 * H));
    await expectRunning(runId(sid, t0 + 3 * H));
  });

  it("a one-shot whose only fire the catch-up window skipped is completed by that decision: the pause is a 409 and it stays completed", async () => {
    const t0 = T("2028-03-03T00:00:00.000Z");
    const sid = uid("due-pause-done");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, at: iso(t0 + H), task_queue: uid("q-due"), catchup_window_seconds: 60 });
    setNow(t0 + H + 5 * M); // down through 01:00, past its 1-minute window
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "hold" });
    expect(paused.status, JSON.stringify(paused.body)).toBe(409);
    expect(paused.body).toMatchObject({ code: "schedule_not_active" });
    const d = (await api("GET", `/v1/workflows/schedules/${sid}`)).body;
    expect(d).toMatchObject({ status: "completed", counters: { fired: 0, skipped_catchup: 1 } });
    expect(d.note).not.toBe("hold");
  });
});
