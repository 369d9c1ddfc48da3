import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectRunning, fail, iso, runId, setNow, T } from "./schedule-helpers.ts";

// DESIGN "Payload": `upcoming` is the next nominal fire. README: a schedule that is dead fires no
// more, and one whose last run has started has `upcoming: null`.

const M = 60_000;
const H = 60 * M;

describe("the payload's upcoming", () => {
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
