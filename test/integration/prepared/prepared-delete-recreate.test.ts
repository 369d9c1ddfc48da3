import { describe, expect, it } from "vitest";
import { api, uid } from "../helpers.ts";
import { alarmAt, createSchedule, describeSchedule, setNow } from "../schedule-helpers.ts";
import { preparedSchedule, S, whileFailing } from "./prepared-helpers.ts";

describe("a schedule deleted with its prepared run's withdraw undelivered", () => {
  it("the deleted schedule's prepared run is not adopted as a running run of the new schedule", async () => {
    const { sid, fire, prep, run } = await preparedSchedule("del-recreate-prep");
    // Deleted before the fire; the withdraw of its prepared run cannot be delivered (retried later).
    setNow(prep + 5 * S);
    const del = await whileFailing(["discardPrepared"], () => api("DELETE", `/v1/workflows/schedules/${sid}`));
    expect(del.status).toBe(204);
    // The same id is created again, for another workflow with a daily cron.
    setNow(prep + 5 * S + 500);
    await createSchedule({ schedule_id: sid, workflow: "other-wf", key: "other-key", cron: "0 9 * * *", task_queue: uid("q-other") });
    expect((await describeSchedule(sid)).running).toEqual([]);
    // The withdraw's retry reaches the run only after its fire time: it has begun and refuses.
    await alarmAt(sid, fire + 10 * S);
    const d = await describeSchedule(sid);
    // Expected: the new schedule holds no run of the deleted one (it started none).
    expect(d.running.map((r: { run_id?: string; execution_id?: string }) => r.run_id ?? r.execution_id ?? r)).not.toContain(run);
    expect(d.running).toEqual([]);
    expect(d.counters.fired).toBe(0);
  }, 30_000);
});
