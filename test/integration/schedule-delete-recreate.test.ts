import { describe, expect, it } from "vitest";
import { whileFailing } from "./faults.ts";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, getRun, runId, setNow, T } from "./schedule-helpers.ts";

const M = 60_000;

describe("a schedule deleted with a start still undelivered", () => {
  it("the deleted schedule's start is not delivered as a run of the new schedule's workflow", async () => {
    const t0 = T("2027-11-03T12:00:00.000Z");
    const sid = uid("del-recreate");
    const oldQueue = uid("q-old");
    const newQueue = uid("q-new");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "old-wf", key: "old-key", cron: "* * * * *", task_queue: oldQueue, input: { old: true } });
    const stale = runId(sid, t0 + M);
    // The 12:01 fire is decided, but its start cannot be delivered: the outbox backs it off 1 s.
    await whileFailing(["start"], () => alarmAt(sid, t0 + M));
    expect((await getRun(stale)).status).toBe(404);

    // Deleted (the start still waits for its retry), then created again under the same id for another workflow.
    setNow(t0 + M + 100);
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(204);
    setNow(t0 + M + 200);
    await createSchedule({ schedule_id: sid, workflow: "new-wf", key: "new-key", cron: "0 0 1 1 *", task_queue: newQueue });

    // The outbox retry comes round.
    await alarmAt(sid, t0 + M + 5_000);
    const r = await getRun(stale);
    // Expected: the deleted schedule's undelivered start is gone with it (as it is when no create follows).
    // A run here is old-wf's fire, started as new-wf on new-wf's queue with old-wf's input.
    expect(r.status, JSON.stringify(r.body)).toBe(404);
    const d = await describeSchedule(sid);
    expect(d.running).toEqual([]);
  }, 30_000);

  it("without a re-create, the deleted schedule's undelivered start is dropped too", async () => {
    const t0 = T("2027-11-04T12:00:00.000Z");
    const sid = uid("del-only");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "old-wf", key: "old-key", cron: "* * * * *", task_queue: uid("q-old") });
    const stale = runId(sid, t0 + M);
    await whileFailing(["start"], () => alarmAt(sid, t0 + M));
    setNow(t0 + M + 100);
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(204);
    await alarmAt(sid, t0 + M + 5_000);
    expect((await getRun(stale)).status).toBe(404);
  }, 30_000);
});
