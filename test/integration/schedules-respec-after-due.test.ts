import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, expectRunning, iso, runId, setNow, T } from "./schedule-helpers.ts";

// A spec change re-plans from now, but a fire that came due before the change, whose alarm had not
// run yet (a few seconds late under load, or the platform back from an outage), is the old spec's:
// it is decided first, as its alarm would have (started within the catch-up window, or skipped and
// counted), as a pause decides it. Before, the new plan from now dropped it without a count. A
// change that keeps the spec keeps the plan: the change runs the due fire under its new definition.

const M = 60_000;
const H = 60 * M;

describe("a spec change that lands after a fire is due, before its alarm has run", () => {
  it("PATCH: the old spec's due fire starts first, then the new spec plans from now", async () => {
    const t0 = T("2028-04-01T00:00:00.000Z");
    const sid = uid("due-patch");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due"), input: { v: 1 } });
    setNow(t0 + H + 2_000); // 01:00 is due; its alarm is 2 s late
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "30 * * * *", input: { v: 2 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ counters: { fired: 1, skipped_catchup: 0 }, last_fire_at: iso(t0 + H), running: [runId(sid, t0 + H)] });
    expect(patched.body.next_fire_times[0].nominal).toBe(iso(t0 + H + 30 * M));
    // It ran as the alarm would have run it: under the definition it came due under.
    expect((await expectRunning(runId(sid, t0 + H))).input).toMatchObject({ v: 1 });
    // The late alarm, when it comes, starts nothing more.
    await alarmAt(sid, t0 + H + 3_000);
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).body.counters).toMatchObject({ fired: 1 });
  });

  it("PATCH after an outage: what the catch-up window keeps starts, what it does not is counted skipped", async () => {
    const t0 = T("2028-04-02T00:00:00.000Z");
    const sid = uid("due-patch-outage");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due"), overlap: "ALLOW_ALL", catchup_window_seconds: "90m" });
    setNow(t0 + 3 * H + 5 * M); // down through 01:00, 02:00 and 03:00; 01:00 is past the window
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "*/20 * * * *" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ counters: { fired: 2, skipped_catchup: 1 } });
    await expectRunning(runId(sid, t0 + 2 * H));
    await expectRunning(runId(sid, t0 + 3 * H));
    expect(patched.body.next_fire_times[0].nominal).toBe(iso(t0 + 3 * H + 20 * M));
  });

  it("upsert (create of an existing workflow and key) with a new spec: the same", async () => {
    const t0 = T("2028-04-03T00:00:00.000Z");
    const key = uid("due-upsert");
    const body = { workflow: "due-wf", key, cron: "0 * * * *", task_queue: uid("q-due"), input: { v: 1 } };
    setNow(t0);
    const sid = (await createSchedule(body)).schedule_id as string;
    setNow(t0 + H + 2_000);
    const again = await api("POST", "/v1/workflows/schedules", { ...body, cron: "15 * * * *", input: { v: 2 } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ schedule_id: sid, counters: { fired: 1 }, running: [runId(sid, t0 + H)] });
    expect((await expectRunning(runId(sid, t0 + H))).input).toMatchObject({ v: 1 });
    expect(again.body.next_fire_times[0].nominal).toBe(iso(t0 + H + 15 * M));
  });

  it("a PATCH that keeps the spec runs the due fire under the new definition (its input too)", async () => {
    const t0 = T("2028-04-04T00:00:00.000Z");
    const sid = uid("due-patch-input");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "due-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-due"), input: { v: 1 } });
    setNow(t0 + H + 2_000);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { input: { v: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body.counters).toMatchObject({ fired: 1 });
    expect((await expectRunning(runId(sid, t0 + H))).input).toMatchObject({ v: 2 });
    await alarmAt(sid, t0 + H + 3_000);
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).body.counters).toMatchObject({ fired: 1 });
  });
});
