import { describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
import { alarmAt, describeSchedule, eventually, expectRunning, fail, iso, setNow } from "../schedule-helpers.ts";
import { poll, preparedSchedule, S } from "./prepared-helpers.ts";

// README "A spec change while a fire waits on its jitter": "Likewise a run that had begun when the
// change withdrew it (prepared ahead, its time just come) stays the old spec's fire, its retries in
// the old spec's zone." README "Schedules": "A retry keeps the payload of the run it retries".
describe("a prepared run begun before a timezone PATCH (no clock skew)", () => {
  it("its retry keeps the old spec's zone when the PATCH lands after the fire time", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-zone", { overlap: "SKIP", retry_max: 1, retry_delay_seconds: 10 });
    // The fire time has come (the queue released the run); the schedule's settle alarm has not run yet.
    setNow(fire + 100);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 900, timezone: "Asia/Tokyo" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.running).toEqual([run]);
    const original = await expectRunning(run);
    expect(original.schedule).toMatchObject({ timestamp: iso(fire), timezone: "UTC" });
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(run);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: fail() })).status).toBe(200);
    await eventually(async () => expect((await describeSchedule(sid)).counters.failed).toBe(1));
    await alarmAt(sid, fire + 20 * S);
    const retry = await expectRunning(`${run}:retry-1`);
    expect(retry.schedule).toEqual(original.schedule);
  });
});
