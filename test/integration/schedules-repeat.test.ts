import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectRunning, getRun, iso, runId, setNow, succeed, T } from "./schedule-helpers.ts";

// Pipelit's repeat_count over the REST API: the most runs a schedule starts (DESIGN "Specs": max
// runs). A fire that comes while the schedule is paused is no run, so a two-run schedule paused
// across one of its fires still runs twice; the last run's payload has no upcoming fire, and the
// list's current_repeat counts the runs. A resume revives a dead schedule, never a completed one.
// An end_at that leaves no fire completes a schedule the same way (DESIGN: "completed": no more fire times).

const M = 60_000;

describe("repeat_count and resume over the REST API", () => {
  it("a two-run interval schedule paused across a fire runs twice, then completes", async () => {
    const t0 = T("2027-07-01T00:00:00.000Z");
    const wf = uid("repeat-wf");
    const queue = uid("q-repeat");
    setNow(t0);
    const created = await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, repeat_count: 2, task_queue: queue });
    const sid = created.schedule_id as string;
    expect(created.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 10 * M), iso(t0 + 20 * M)]);

    expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
    await expectRunning(runId(sid, t0 + 10 * M));
    await completeRun(queue, runId(sid, t0 + 10 * M), succeed());

    setNow(t0 + 15 * M);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "away" })).status).toBe(200);
    // Paused through 00:20; resumed at 00:25, it plans from now: one run is left, at 00:30.
    setNow(t0 + 25 * M);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.status).toBe("active");
      expect(d.current_repeat).toBe(1);
      expect(d.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 30 * M)]);
    });

    expect(await alarmAt(sid, t0 + 30 * M)).toBe(true);
    const last = await expectRunning(runId(sid, t0 + 30 * M));
    expect(last.schedule).toMatchObject({ timestamp: iso(t0 + 30 * M), upcoming: null, last_timestamp: iso(t0 + 10 * M) });
    await completeRun(queue, runId(sid, t0 + 30 * M), succeed());
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.status).toBe("completed");
      expect(d.current_repeat).toBe(2);
      expect(d.counters).toMatchObject({ fired: 2 });
      expect(d.next_fire_times).toEqual([]);
    });
    await eventually(async () => {
      const list = await api("GET", `/v1/workflows/schedules?workflow=${wf}`);
      expect(list.body.schedules).toMatchObject([{ schedule_id: sid, status: "completed", current_repeat: 2, next_fire_at: null }]);
    });
    expect((await getRun(runId(sid, t0 + 20 * M))).status).toBe(404);

    // A resume cannot give it runs back: it completes again at once.
    setNow(t0 + 40 * M);
    const again = await api("POST", `/v1/workflows/schedules/${sid}/resume`, { note: "more?" });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ status: "completed", next_fire_times: [] });
  });

  it("with its last run waiting under CANCEL_OTHER, describe and the list show the next fire, which would take its place; under BUFFER_ONE none", async () => {
    const t0 = T("2027-07-02T00:00:00.000Z");
    for (const [overlap, expected] of [["CANCEL_OTHER", [iso(t0 + 30 * M)]], ["BUFFER_ONE", []]] as const) {
      const wf = uid("repeat-wait-wf");
      setNow(t0);
      const created = await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, repeat_count: 2, overlap, task_queue: uid("q-repeat-wait") });
      const sid = created.schedule_id as string;
      expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
      expect(await alarmAt(sid, t0 + 20 * M)).toBe(true);
      const d = await describeSchedule(sid);
      expect(d.buffered).toBe(1);
      expect(d.next_fire_times.map((f: { nominal: string }) => f.nominal), overlap).toEqual(expected);
      await eventually(async () => {
        const list = await api("GET", `/v1/workflows/schedules?workflow=${wf}`);
        expect(list.body.schedules).toMatchObject([{ schedule_id: sid, next_fire_at: expected[0] ?? null }]);
      });
    }
  });

  it("a trigger once no scheduled run is left has no upcoming fire in its payload; one before the last run has the next fire", async () => {
    const t0 = T("2027-07-03T00:00:00.000Z");
    const wf = uid("repeat-trig-wf");
    const queue = uid("q-repeat-trig");
    setNow(t0);
    const sid = (await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, repeat_count: 1, overlap: "ALLOW_ALL", task_queue: queue })).schedule_id as string;
    setNow(t0 + 5 * M);
    const before = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {});
    expect(before.status, JSON.stringify(before.body)).toBe(202);
    expect((await expectRunning(before.body.run_id)).schedule).toMatchObject({ upcoming: iso(t0 + 10 * M) });
    await completeRun(queue, before.body.run_id, succeed());

    expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
    await expectRunning(runId(sid, t0 + 10 * M));
    // The one run repeat_count allows is running: 00:20 will never fire.
    setNow(t0 + 15 * M);
    const after = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {});
    expect(after.status, JSON.stringify(after.body)).toBe(202);
    expect((await expectRunning(after.body.run_id)).schedule).toMatchObject({ upcoming: null });
  });

  it("a resume revives a dead schedule: it fires again, from now", async () => {
    const t0 = T("2027-07-02T00:00:00.000Z");
    const wf = uid("dead-wf");
    const queue = uid("q-dead");
    setNow(t0);
    const sid = (await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, on_failure: "dead", task_queue: queue })).schedule_id as string;
    expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
    await completeRun(queue, runId(sid, t0 + 10 * M), [{ type: "fail_workflow", failure: { message: "boom", type: "TestFailure" } }]);
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("dead"));
    setNow(t0 + 25 * M);
    const revived = await api("POST", `/v1/workflows/schedules/${sid}/resume`, { note: "fixed" });
    expect(revived.status, JSON.stringify(revived.body)).toBe(200);
    expect(revived.body.status).toBe("active");
    expect(revived.body.next_fire_times[0].nominal).toBe(iso(t0 + 30 * M));
    expect(await alarmAt(sid, t0 + 30 * M)).toBe(true);
    await expectRunning(runId(sid, t0 + 30 * M));
  });

  it("a schedule whose end_at leaves no fire completes after its last run; a PATCH clearing end_at revives it", async () => {
    const t0 = T("2027-07-04T00:00:00.000Z");
    const wf = uid("end-wf");
    const queue = uid("q-end");
    setNow(t0);
    const created = await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, end_at: iso(t0 + 25 * M), task_queue: queue });
    const sid = created.schedule_id as string;
    expect(created.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 10 * M), iso(t0 + 20 * M)]);
    expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
    await completeRun(queue, runId(sid, t0 + 10 * M), succeed());
    // The schedule hears of the close before its next fire (else SKIP would skip that fire).
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    expect(await alarmAt(sid, t0 + 20 * M)).toBe(true);
    const last = await expectRunning(runId(sid, t0 + 20 * M));
    expect(last.schedule).toMatchObject({ upcoming: null, last_timestamp: iso(t0 + 10 * M) });
    await completeRun(queue, runId(sid, t0 + 20 * M), succeed());
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d).toMatchObject({ status: "completed", next_fire_times: [], next_run_at: null, counters: { fired: 2 } });
    });
    await eventually(async () => {
      const list = await api("GET", `/v1/workflows/schedules?workflow=${wf}`);
      expect(list.body.schedules).toMatchObject([{ schedule_id: sid, status: "completed", next_fire_at: null, next_run_at: null }]);
    });
    setNow(t0 + 35 * M);
    const revived = await api("PATCH", `/v1/workflows/schedules/${sid}`, { end_at: null });
    expect(revived.status, JSON.stringify(revived.body)).toBe(200);
    expect(revived.body).toMatchObject({ status: "active", next_run_at: iso(t0 + 45 * M) });
  });

  it("a PATCH that sends the spec it already has keeps the plan: interval anchor, runs counted, catch-up position", async () => {
    const t0 = T("2027-07-05T00:00:00.000Z");
    const wf = uid("same-spec-wf");
    const queue = uid("q-same-spec");
    setNow(t0);
    const created = await createSchedule({ workflow: wf, key: "u1", interval_seconds: 600, repeat_count: 3, task_queue: queue });
    const sid = created.schedule_id as string;
    expect(await alarmAt(sid, t0 + 10 * M)).toBe(true);
    await completeRun(queue, runId(sid, t0 + 10 * M), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));

    // A client that always sends the whole spec (with a new input, say) at 00:15: nothing about
    // when it fires changed, so the next fire stays 00:20 and one of the three runs is used.
    setNow(t0 + 15 * M);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 600, repeat_count: 3, timezone: "UTC", input: { v: 2 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ version: 2, current_repeat: 1, input: { v: 2 }, next_run_at: iso(t0 + 20 * M) });
    expect(patched.body.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 20 * M), iso(t0 + 30 * M)]);

    // A spec that does change re-plans from now, with its runs counted afresh.
    const changed = await api("PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 300 });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ version: 3, current_repeat: 0 });
    expect(changed.body.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 20 * M), iso(t0 + 25 * M), iso(t0 + 30 * M)]);
  });
});
