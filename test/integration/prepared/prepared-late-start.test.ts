import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { prepareAt } from "../../../src/core/schedule/prepare.ts";
import { api, uid } from "../helpers.ts";
import { alarmAt, createSchedule, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, iso, runId, scheduleObject, setNow, succeed, T } from "../schedule-helpers.ts";
import { AHEAD, M, poll, preparedSchedule, preparedWhileOpen, queuedTasks, S, whileFailing } from "./prepared-helpers.ts";

// A prepared fire the platform comes back to more than the catch-up window late is skipped
// whichever call reaches the schedule first (its alarm, or a trigger, pause or update), and no
// start delivered late can bring its run back (README "Beyond the catch-up window").

async function outboxKeys(sid: string): Promise<string[]> {
  return runInDurableObject(scheduleObject(sid), async (_obj, state) => state.storage.sql.exec<{ key: string }>("SELECT key FROM outbox").toArray().map((r) => r.key));
}

describe("late prepared starts", () => {
  it("a trigger that reaches the schedule before its alarm after an outage past the window skips the prepared run first: with SKIP it starts instead of being skipped by overlap", async () => {
    const { sid, fire, run } = await preparedSchedule("prep-late-trigger", { catchup_window_seconds: 10, overlap: "SKIP" });
    setNow(fire + 11 * S);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "after-outage" });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ started: true, outcome: "started" });
    await expectNoRun(run);
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 1, skipped_overlap: 0 });
    expect(d.running).toEqual([r.body.run_id]);
    expect(d.recent_actions.find((a: { run_id: string | null }) => a.run_id === run)?.outcome).toBe("skipped_catchup");
  });

  it("a pause after an outage past the window counts the prepared fire as skipped, not as a run holding a slot", async () => {
    const { sid, fire, run } = await preparedSchedule("prep-late-pause", { catchup_window_seconds: 10 });
    setNow(fire + 11 * S);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "after the outage" })).status).toBe(200);
    await expectNoRun(run);
    const d = await describeSchedule(sid);
    expect(d.status).toBe("paused");
    expect(d.counters).toMatchObject({ fired: 0, skipped_catchup: 1 });
    expect(d.running).toEqual([]);
  });

  it("a change that writes nothing still lists the next fire after skipping the late prepared one (next_fire_at is not left at the skipped fire)", async () => {
    const { sid, fire, run } = await preparedSchedule("prep-late-noop", { catchup_window_seconds: 10 });
    setNow(fire + 11 * S);
    const r = await api("PATCH", `/v1/workflows/schedules/${sid}`, { task_queue: (await describeSchedule(sid)).task_queue });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectNoRun(run);
    expect((await describeSchedule(sid)).counters).toMatchObject({ skipped_catchup: 1 });
    await eventually(async () => {
      const listed = (await api("GET", `/v1/workflows/schedules?key=${sid}`)).body.schedules[0];
      expect(listed.next_fire_at).toBe(iso(fire + 10 * M));
    });
  });

  it("a schedule alarm later than the window keeps a prepared run its queue released in time (a worker just has not taken it yet), and a lease under way decides for itself", async () => {
    const a = await preparedSchedule("prep-late-alarm", { catchup_window_seconds: 10, overlap: "SKIP" });
    setNow(a.fire);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${a.queue}/0`));
    // The schedule's alarm is 11 s late (a burst of fires), the queue was not.
    expect(await alarmAt(a.sid, a.fire + 11 * S)).toBe(true);
    let d = await describeSchedule(a.sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 0 });
    expect(d.running).toEqual([a.run]);
    const task = await poll(a.queue);
    expect(task.body).toMatchObject({ execution_id: a.run, available_at: iso(a.fire) });

    // Taken from the queue by a poll whose lease has not reached the run yet: the run stays, adopted, and that lease judges it.
    const b = await preparedSchedule("prep-late-leasing", { catchup_window_seconds: 10, overlap: "SKIP" });
    await runInDurableObject(env.TASK_QUEUES.getByName(`default/${b.queue}/0`), async (_obj, state) => void state.storage.sql.exec("DELETE FROM tasks"));
    expect(await alarmAt(b.sid, b.fire + 11 * S)).toBe(true);
    d = await describeSchedule(b.sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 0 });
    expect(await expectRunning(b.run)).toMatchObject({ status: "running" });
  });

  it("ALLOW_ALL: a run that closes after an outage past the window has the next, prepared fire skipped before its close plans anything", async () => {
    const { sid, task, next, nextRun } = await preparedWhileOpen("prep-late-close", { catchup_window_seconds: 10 });
    // Down from before the next fire until 11 s after it; the first run's completion reaches the schedule first.
    setNow(next + 11 * S);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() })).status).toBe(200);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 1 });
      expect(d.running).toEqual([]);
    });
    await expectNoRun(nextRun);
  });

  it("a start never delivered before the outage is dropped when the fire is skipped, and one delivered late creates no run", async () => {
    const t0 = T("2027-06-01T00:00:00.000Z");
    const sid = uid("prep-undelivered");
    const fire = t0 + 10 * M;
    const run = runId(sid, fire);
    // The start of the prepared run cannot reach its execution (the process was killed, say).
    await whileFailing(["startPrepared"], async () => {
      setNow(t0);
      await createSchedule({ schedule_id: sid, workflow: "prep-wf", key: sid, interval_seconds: 600, task_queue: uid("q"), catchup_window_seconds: 10, overlap: "SKIP" });
      const prep = prepareAt(sid, fire, AHEAD);
      await expectAlarm(sid, prep);
      expect(await alarmAt(sid, prep)).toBe(true);
      await eventually(async () => expect(await outboxKeys(sid)).toContain(`start:${run}`));
      // Back 11 s after the fire: the alarm asks the run (it does not exist) and skips the fire; its start is not sent after that.
      expect(await alarmAt(sid, fire + 11 * S)).toBe(true);
      expect(await outboxKeys(sid)).not.toContain(`start:${run}`);
    });
    await expectNoRun(run);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 0, skipped_catchup: 1 });

    // The same start arriving now anyway (a delivery already under way, or retried after a lost reply) creates nothing.
    const stub = env.EXECUTIONS.getByName(`default/${run}`);
    const args = { namespace: "default", execution_id: run, workflow: "prep-wf", input: null, task_queue: "q", execution_timeout: 3600, id_reuse_policy: "use_existing" as const, schedule: null, callback: { schedule_id: sid }, start_at: fire, start_by: fire + 10 * S };
    expect(await stub.startPrepared(args)).toEqual({ ok: true, value: { skipped: true } });
    await expectNoRun(run);
    // Within the window it is created as usual.
    setNow(fire + 10 * S);
    expect(await stub.startPrepared(args)).toMatchObject({ ok: true, value: { started: true, execution: { execution_id: run, status: "running" } } });
  });

  it("a task whose run could not be reached when a poll took it goes back to its queue for a second, keeping when it became available", async () => {
    const { queue, fire, run } = await preparedSchedule("prep-put-back", { catchup_window_seconds: 10 });
    setNow(fire);
    // The poll is not failed for it (it waits out its hold: none here) and the task goes back.
    await whileFailing(["startWorkflowTask"], async () => expect((await poll(queue)).status).toBe(204));
    expect(await queuedTasks(queue)).toMatchObject([{ execution_id: run, visible_at: fire + 1000, released_at: fire }]);
    expect((await poll(queue)).status).toBe(204);
    setNow(fire + 1000);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${queue}/0`));
    const task = await poll(queue);
    expect(task.body).toMatchObject({ execution_id: run, available_at: iso(fire) });
  });
});
