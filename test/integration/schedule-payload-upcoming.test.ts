import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectRunning, fail, iso, runId, setNow, T } from "./schedule-helpers.ts";

// DESIGN "Payload": `upcoming` is the next nominal fire. README: a schedule that is dead fires no
// more, and one whose last run has started has `upcoming: null`.

const M = 60_000;
const H = 60 * M;

describe("the payload's upcoming", () => {
  it("a backfilled fire before the schedule's creation has the next fire of the spec after it, as one after creation does", async () => {
    const t0 = T("2027-08-02T12:00:00.000Z");
    const sid = uid("upcoming-bf");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "upcoming-wf", key: sid, cron: "0 * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-upcoming-bf") });
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(t0 - 3 * H), end_at: iso(t0 - 2 * H) });
    expect(r.body).toEqual({ backfill_id: 1, fires: 2 });
    await alarmAt(sid, t0);
    const first = await expectRunning(runId(sid, t0 - 3 * H, ":backfill-1"));
    expect(first.schedule).toMatchObject({ timestamp: iso(t0 - 3 * H), last_timestamp: null, upcoming: iso(t0 - 2 * H) });
    const second = await expectRunning(runId(sid, t0 - 2 * H, ":backfill-1"));
    expect(second.schedule).toMatchObject({ timestamp: iso(t0 - 2 * H), last_timestamp: iso(t0 - 3 * H), upcoming: iso(t0 - H) });
  });

  it("so does one of an interval anchored at creation: the next fire on its grid before creation", async () => {
    const t0 = T("2027-08-04T10:17:00.000Z");
    const sid = uid("upcoming-bf-iv");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "upcoming-wf", key: sid, interval_seconds: 3600, overlap: "ALLOW_ALL", task_queue: uid("q-upcoming-bf-iv") });
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(t0 - 2 * H), end_at: iso(t0 - 2 * H + M) })).body).toEqual({ backfill_id: 1, fires: 1 });
    await alarmAt(sid, t0);
    expect((await expectRunning(runId(sid, t0 - 2 * H, ":backfill-1"))).schedule).toMatchObject({ timestamp: iso(t0 - 2 * H), upcoming: iso(t0 - H) });
  });

  it("a trigger of a dead schedule has no upcoming fire: it fires no more", async () => {
    const t0 = T("2027-08-03T00:00:00.000Z");
    const sid = uid("upcoming-dead");
    const queue = uid("q-upcoming-dead");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "upcoming-wf", key: sid, interval_seconds: 600, on_failure: "dead", task_queue: queue });
    await alarmAt(sid, t0 + 10 * M);
    await completeRun(queue, runId(sid, t0 + 10 * M), fail("boom"));
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("dead"));
    setNow(t0 + 15 * M);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {});
    expect(trig.status, JSON.stringify(trig.body)).toBe(202);
    expect((await expectRunning(trig.body.run_id)).schedule).toMatchObject({ last_timestamp: iso(t0 + 10 * M), upcoming: null });
    expect((await describeSchedule(sid)).next_fire_times).toEqual([]);
  });
});
