import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectRunning, fail, iso, runId, setNow, succeed, T } from "./schedule-helpers.ts";

const M = 60_000;
const H = 60 * M;

// README "Schedules": "A retry keeps the payload of the run it retries (same `timestamp`,
// `actual_timestamp`, `last_timestamp`, `upcoming`)"; README "A spec change while a fire waits on
// its jitter": the old spec's fire keeps "its payload the old spec's: its `timezone` too, also for its retries".
describe("payloads across a spec change", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a timezone PATCH (its zone and upcoming stay)", { timezone: "Asia/Tokyo" }, "2027-09-01"],
    ["a cron PATCH (its upcoming, the old spec's next fire, stays)", { cron: "0 12 * * *" }, "2027-09-03"],
  ])("a retry of a run open at %s keeps the payload of the run it retries", async (_what, change, day) => {
    const t0 = T(`${day}T00:00:00.000Z`);
    const sid = uid("respec-retry");
    const queue = uid("q-respec-retry");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "respec-wf", key: sid, cron: "0 9 * * *", task_queue: queue, retry_max: 1, retry_delay_seconds: 10 });
    const fire = T(`${day}T09:00:00.000Z`);
    await alarmAt(sid, fire);
    const run = runId(sid, fire);
    const original = await expectRunning(run);
    expect(original.schedule).toMatchObject({ timestamp: iso(fire), timezone: "UTC", upcoming: iso(fire + 24 * H) });
    setNow(fire + M);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, change);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await completeRun(queue, run, fail());
    await eventually(async () => expect((await describeSchedule(sid)).counters.failed).toBe(1));
    await alarmAt(sid, fire + M + 10_000);
    const retry = await expectRunning(`${run}:retry-1`);
    expect(retry.schedule).toEqual(original.schedule);
  });

  it("BUFFER_ONE: a fire of the old spec waiting in the buffer at a timezone PATCH starts with the old spec's zone", async () => {
    const t0 = T("2027-09-02T00:00:00.000Z");
    const sid = uid("respec-buffer-zone");
    const queue = uid("q-respec-buffer-zone");
    setNow(t0);
    // The first run stays open past an hour: its execution timeout must not end it first.
    await createSchedule({ schedule_id: sid, workflow: "respec-wf", key: sid, cron: "0 * * * *", task_queue: queue, overlap: "BUFFER_ONE", execution_timeout: 4 * 3600 });
    await alarmAt(sid, t0 + H);
    await expectRunning(runId(sid, t0 + H));
    await alarmAt(sid, t0 + 2 * H);
    expect((await describeSchedule(sid)).buffered).toBe(1);
    setNow(t0 + 2 * H + M);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { timezone: "Asia/Kolkata" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await completeRun(queue, runId(sid, t0 + H), succeed());
    const buffered = await expectRunning(runId(sid, t0 + 2 * H));
    // The spec before the change would have had its next fire at t0 + 3h.
    expect(buffered.schedule).toMatchObject({ timestamp: iso(t0 + 2 * H), last_timestamp: iso(t0 + H), timezone: "UTC" });
  });

});
