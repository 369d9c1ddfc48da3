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
});
