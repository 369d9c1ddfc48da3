import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, expectNoRun, expectRunning, iso, runId, setNow, T } from "./schedule-helpers.ts";

const M = 60_000;
const backfill = (sid: string, body: Record<string, unknown>) => api("POST", `/v1/workflows/schedules/${sid}/backfill`, body);

/** Which fires a backfill starts: the schedule's own grid, whatever range it names. */
describe("backfill grid", () => {
  it("an interval with an offset backfills its own grid whatever the range's start: a range starting after creation keeps the fire before the first live one", async () => {
    const t0 = T("2027-06-03T10:17:00.000Z");
    const sid = uid("backfill-offset");
    setNow(t0);
    // Every hour from creation, 30 minutes on: the grid is …:47, the first live fire 11:47.
    const created = await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, intervals: [{ every: "1h", offset: "30m" }], overlap: "ALLOW_ALL", task_queue: uid("q-bf-offset") });
    expect(created.next_fire_times[0].nominal).toBe("2027-06-03T11:47:00.000Z");
    setNow(t0 + 33 * M); // 10:50
    // From before creation: 08:47, 09:47, 10:47.
    const wide = await backfill(sid, { start_at: "2027-06-03T08:00:00Z", end_at: "2027-06-03T10:50:00Z" });
    expect([wide.status, wide.body]).toEqual([202, { backfill_id: 1, fires: 3 }]);
    // From after creation: 10:47 is on the same grid, in this range too.
    const narrow = await backfill(sid, { start_at: "2027-06-03T10:30:00Z", end_at: "2027-06-03T10:50:00Z" });
    expect([narrow.status, narrow.body]).toEqual([202, { backfill_id: 2, fires: 1 }]);
    // Exactly on creation: the grid's point there (10:17 - 30 min is no fire; 10:47 is).
    const fromCreation = await backfill(sid, { start_at: iso(t0), end_at: "2027-06-03T10:47:00Z" });
    expect([fromCreation.status, fromCreation.body]).toEqual([202, { backfill_id: 3, fires: 1 }]);
    await alarmAt(sid, t0 + 33 * M);
    for (const job of [1, 2, 3]) await expectRunning(runId(sid, T("2027-06-03T10:47:00Z"), `:backfill-${job}`));
    await expectRunning(runId(sid, T("2027-06-03T08:47:00Z"), ":backfill-1"));
    await expectNoRun(runId(sid, T("2027-06-03T11:47:00Z"), ":backfill-2"));
    // The live plan is unchanged.
    expect((await describeSchedule(sid)).next_fire_times[0].nominal).toBe("2027-06-03T11:47:00.000Z");
  });

  // An interval created at 10:17:30, every minute: its grid is …:30 s. A backfill of 07:00 … 09:59:59.999
  // is 180 fires, 07:00:30 … 09:59:30; the first alarm starts 100 of them, then the PATCH, then the rest.
  const regridCase = async (name: string, patch: Record<string, unknown>) => {
    const t0 = T("2027-06-07T10:17:30.000Z");
    const sid = uid(name);
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, intervals: [{ every: "1m" }], overlap: "ALLOW_ALL", task_queue: uid("q-bf-regrid") });
    const from = T("2027-06-07T07:00:00Z");
    const fire = (n: number) => runId(sid, from + 30_000 + n * M, ":backfill-1");
    expect((await backfill(sid, { start_at: iso(from), end_at: iso(from + 180 * M - 1) })).body).toEqual({ backfill_id: 1, fires: 180 });
    await alarmAt(sid, t0 + 1000);
    await expectRunning(fire(99));
    await expectNoRun(fire(100));
    setNow(t0 + 40_000);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, patch);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await alarmAt(sid, t0 + 41_000);
    // The rest of the backfill's answer: 08:40:30 … 09:59:30, and nothing on another grid.
    for (const n of [100, 140, 179]) await expectRunning(fire(n));
    await expectNoRun(runId(sid, from + 10_000 + 100 * M, ":backfill-1"));
    expect((await describeSchedule(sid)).counters.fired).toBe(180);
    return { sid, fire };
  };

  it("a PATCH that leaves the spec as it is (input, policy) during a backfill leaves its remaining fires where they were", async () => {
    await regridCase("backfill-patch-policy", { input: { n: 2 }, retry_max: 2, catchup_window_seconds: 3600 });
  }, 60_000);

  it("a PATCH of the spec during a backfill (jitter_seconds re-anchors the interval) leaves its remaining fires on the grid of the spec it was asked of", async () => {
    await regridCase("backfill-patch-jitter", { jitter_seconds: 1 });
  }, 60_000);

  it("a backfill's remaining fires keep the cron and the time zone of the spec it was asked of, in their payloads too, across a PATCH of both", async () => {
    const t0 = T("2027-06-08T12:00:00.000Z");
    const sid = uid("backfill-patch-cron");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf-cron") });
    const from = T("2027-06-08T06:00:00Z");
    const fire = (m: number) => runId(sid, from + m * M, ":backfill-1");
    expect((await backfill(sid, { start_at: iso(from), end_at: iso(from + 149 * M) })).body).toEqual({ backfill_id: 1, fires: 150 });
    await alarmAt(sid, t0 + 1000);
    await expectRunning(fire(99));
    setNow(t0 + 5_000);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "*/5 * * * *", timezone: "Asia/Kolkata" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await alarmAt(sid, t0 + 6_000);
    // 07:40 … 08:29 every minute, as the backfill's answer counted, each in UTC.
    for (const m of [100, 101, 149]) {
      const run = await expectRunning(fire(m));
      expect(run.schedule).toMatchObject({ timestamp: iso(from + m * M), timezone: "UTC", upcoming: iso(from + (m + 1) * M) });
    }
    expect((await describeSchedule(sid)).counters.fired).toBe(150);
  }, 60_000);
});
