import { describe, expect, it } from "vitest";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { holdFirstCall } from "./faults.ts";
import { api, uid } from "./helpers.ts";
import { createSchedule, describeSchedule, setNow, T } from "./schedule-helpers.ts";

// A PATCH reads the schedule (to merge a partial spec, to check an input against its workflow)
// before it writes; another PATCH can land in between. Only the fields a PATCH names change.

describe("two PATCHes of different fields at once", () => {
  it("a PATCH naming no policy field does not write back the policy it read over a concurrent PATCH of the policy", async () => {
    const sid = uid("patch-race");
    setNow(T("2027-11-05T12:00:00.000Z"));
    await createSchedule({ schedule_id: sid, workflow: "race-wf", key: sid, cron: "0 9 * * *", task_queue: uid("q-race") });
    const hold = holdFirstCall(ScheduleObject.prototype, "update");
    try {
      // The input PATCH has read the schedule and is held on its way to the update.
      const inputPatch = api("PATCH", `/v1/workflows/schedules/${sid}`, { input: { v: 2 } });
      await hold.reached;
      const policyPatch = await api("PATCH", `/v1/workflows/schedules/${sid}`, { overlap: "BUFFER_ALL", retry_max: 3 });
      expect(policyPatch.status).toBe(200);
      expect(policyPatch.body.policy).toMatchObject({ overlap: "BUFFER_ALL", retry_max: 3 });
      hold.release();
      expect((await inputPatch).status).toBe(200);
    } finally {
      hold.release();
      hold.restore();
    }
    const d = await describeSchedule(sid);
    expect(d.input).toEqual({ v: 2 });
    expect(d.policy).toMatchObject({ overlap: "BUFFER_ALL", retry_max: 3 });
  });

  it("two PATCHes of different policy fields both hold; pause_on_failure still reads the on_failure of its moment", async () => {
    const sid = uid("patch-race-policy");
    setNow(T("2027-11-05T12:00:00.000Z"));
    await createSchedule({ schedule_id: sid, workflow: "race-wf", key: sid, cron: "0 9 * * *", task_queue: uid("q-race"), on_failure: "dead" });
    const hold = holdFirstCall(ScheduleObject.prototype, "update");
    try {
      const first = api("PATCH", `/v1/workflows/schedules/${sid}`, { policy: { catchup_window_seconds: 60 } });
      await hold.reached;
      expect((await api("PATCH", `/v1/workflows/schedules/${sid}`, { pause_on_failure: true })).status).toBe(200);
      hold.release();
      expect((await first).status).toBe(200);
    } finally {
      hold.release();
      hold.restore();
    }
    expect((await describeSchedule(sid)).policy).toMatchObject({ catchup_window_seconds: 60, on_failure: "pause" });
  });
});
