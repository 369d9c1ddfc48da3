import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ExecutionObject } from "../../../src/objects/execution-object.ts";
import { prepareAt } from "../../../src/core/schedule/prepare.ts";
import { api } from "../helpers.ts";
import { alarmAt, completeRun, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, iso, runId, scheduleObject, setNow, succeed } from "../schedule-helpers.ts";
import { AHEAD, M, poll, preparedSchedule, S } from "./prepared-helpers.ts";

// The catch-up window holds for prepared fires too (DESIGN "Catch-up"; README "Time semantics").
// The run decides once, the first time either a worker is handed its first task (judged by when
// the queue made that task available) or a withdraw reaches it (judged by when it arrives, unless
// the queue released the task in time: prepared-late-start.test.ts): in
// time, it has begun; later, it is forgotten and the fire counts in skipped_catchup, not fired.

describe("prepared starts and the catch-up window", () => {
  it("after an outage longer than the catch-up window, the schedule's late alarm has the prepared run forgotten: skipped and counted like the fires after it, holding no slot", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-outage", { catchup_window_seconds: 10, overlap: "SKIP" });
    // The platform was down from before the fire until 20 min 5 s after it: the schedule's alarm
    // comes only then. The prepared run and the fire after it (fire + 10 min) are older than the
    // 10 s window; fire + 20 min is 5 s late, inside it, and starts: no slot is held for the run
    // no worker can get any more.
    expect(await alarmAt(sid, fire + 20 * M + 5 * S)).toBe(true);
    await expectNoRun(run);
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 2, skipped_overlap: 0, failed: 0 });
    expect(d.running).toEqual([runId(sid, fire + 20 * M)]);
    expect(d.recent_actions.find((a: { run_id: string | null }) => a.run_id === run)?.outcome).toBe("skipped_catchup");
    await expectNoRun(runId(sid, fire + 10 * M));
    await eventually(async () => {
      const list = await api("GET", `/v1/workflows/executions?schedule_id=${encodeURIComponent(sid)}`);
      expect(list.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual([runId(sid, fire + 20 * M)]);
    });
    // Workers get the fire that ran, not the forgotten one.
    const task = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "prepared-test", wait_seconds: 2 });
    expect(task.body.execution_id).toBe(runId(sid, fire + 20 * M));
  });

  it("a prepared run the schedule adopted in time, but whose task the queue released late, is skipped at its first lease: moved from fired to skipped, its slot freed", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-adopted-late", { catchup_window_seconds: 10 });
    // The schedule's alarm is on time and adopts the run; the queue's release never came (its
    // object was down) until a worker polls 25 min later.
    expect(await alarmAt(sid, fire + 2 * S)).toBe(true);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_catchup: 0 });
    setNow(fire + 25 * M);
    expect((await poll(queue)).status).toBe(204);
    await expectNoRun(run);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      // It and, planned at once with its slot free, the two fires since (fire + 10 min, + 20 min): all too old.
      expect(d.counters).toMatchObject({ fired: 0, skipped_catchup: 3, failed: 0 });
      expect(d.running).toEqual([]);
      expect(d.recent_actions.find((a: { run_id: string | null }) => a.run_id === run)?.outcome).toBe("skipped_catchup");
    });
    // The next fire is prepared and runs as usual.
    const next = fire + 30 * M;
    expect(await alarmAt(sid, fire + 25 * M)).toBe(true);
    await expectAlarm(sid, prepareAt(sid, next, AHEAD));
    expect(await alarmAt(sid, prepareAt(sid, next, AHEAD))).toBe(true);
    // Its payload's last_timestamp is not the skipped fire, which never ran.
    expect(await expectRunning(runId(sid, next))).toMatchObject({ schedule: { timestamp: iso(next), last_timestamp: null } });
    setNow(next);
    expect((await poll(queue)).body.execution_id).toBe(runId(sid, next));
  });

  it("a prepared run found late before the schedule recorded its fire is skipped once: the schedule's later alarm starts nothing for that fire", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-late-first", { catchup_window_seconds: 10, overlap: "SKIP" });
    // Back 11 s after the fire: a worker polls before the schedule's alarm has run.
    setNow(fire + 11 * S);
    expect((await poll(queue)).status).toBe(204);
    await expectNoRun(run);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.counters).toMatchObject({ fired: 0, skipped_catchup: 1 });
      expect(d.recent_actions[0]).toMatchObject({ run_id: run, outcome: "skipped_catchup" });
    });
    // The notice delivered twice, and the schedule's own alarm, change nothing.
    await scheduleObject(sid).runClosed({ namespace: "default", schedule_id: sid, execution_id: run, status: "skipped_catchup", failure: null, closed_at: fire + 11 * S });
    expect(await alarmAt(sid, fire + 12 * S)).toBe(true);
    await expectNoRun(run);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 0, skipped_catchup: 1, skipped_overlap: 0 });
  });

  it("a prepared run released at its fire time is kept however late a worker takes it; one first available inside the window too", async () => {
    // Released on time by the queue's timer, leased 25 min later with a 10 s window: it was available in time.
    const a = await preparedSchedule("prep-released", { catchup_window_seconds: 10 });
    setNow(a.fire);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${a.queue}/0`));
    setNow(a.fire + 25 * M);
    const late = await poll(a.queue);
    expect(late.status).toBe(200);
    expect(late.body.execution_id).toBe(a.run);
    expect(late.body.available_at).toBe(iso(a.fire));
    // Never released by the timer, first available (and leased) 10 s after the fire: the window's edge, in time.
    const b = await preparedSchedule("prep-edge", { catchup_window_seconds: 10 });
    setNow(b.fire + 10 * S);
    const edge = await poll(b.queue);
    expect(edge.status).toBe(200);
    expect(edge.body.execution_id).toBe(b.run);
    // A task put back in the queue (its poller left before the lease) keeps when it first became available.
    const q = env.TASK_QUEUES.getByName(`default/${b.queue}/0`);
    await q.enqueue({ kind: "activity", execution_id: "put-back", ref: 1, attempt: 1, available_at: b.fire });
    expect(await q.poll("activity", 0)).toMatchObject({ execution_id: "put-back", available_at: b.fire });
    // One held back a while (its run could not be reached) keeps it too, and is released by the queue's timer.
    const at = b.fire + 10 * S;
    await q.enqueue({ kind: "activity", execution_id: "held-back", ref: 1, attempt: 1, available_at: b.fire, visible_at: at + 1000 });
    expect(await q.poll("activity", 0)).toBeNull();
    setNow(at + 1000);
    await runDurableObjectAlarm(q);
    expect(await q.poll("activity", 0)).toMatchObject({ execution_id: "held-back", available_at: b.fire });
    setNow(at);
    // Decided once: a later lease of the same run (its task timed out) is not judged again.
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: edge.body.task_token, commands: succeed() })).status).toBe(200);
    await eventually(async () => expect((await describeSchedule(b.sid)).counters).toMatchObject({ fired: 1, skipped_catchup: 0 }));
  });

  it("a one-run schedule whose prepared fire is found late uses no run on it: the next fire runs, and then the schedule completes", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-last", { catchup_window_seconds: 10, repeat_count: 1 });
    setNow(fire + 11 * S);
    expect((await poll(queue)).status).toBe(204);
    await expectNoRun(run);
    // repeat_count counts runs (DESIGN: max runs): a fire skipped by catch-up is not one.
    const next = fire + 10 * M;
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.status).toBe("active");
      expect(d.counters).toMatchObject({ fired: 0, skipped_catchup: 1 });
      expect(d.current_repeat).toBe(0);
      expect(d.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(next)]);
    });
    expect(await alarmAt(sid, prepareAt(sid, next, AHEAD))).toBe(true);
    setNow(next + S);
    await completeRun(queue, runId(sid, next), succeed());
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.status).toBe("completed");
      expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 1 });
      expect(d.current_repeat).toBe(1);
      expect(d.next_fire_times).toEqual([]);
    });
  });

  it("a withdraw that reaches the run more than the window after its fire forgets it; one in time keeps it for good, however late a worker comes", async () => {
    // Each withdraw is queued just before the fire (a trigger) and reaches the run later: the
    // execution's clock is moved at that very call (one workerd shares one clock).
    const original = ExecutionObject.prototype.discardPrepared;
    const arriveAt = (t: number) => {
      ExecutionObject.prototype.discardPrepared = function (this: ExecutionObject) {
        setNow(t);
        return original.call(this);
      };
    };
    try {
      const late = await preparedSchedule("prep-wd-late", { catchup_window_seconds: 10, overlap: "ALLOW_ALL" });
      setNow(late.fire - 1);
      arriveAt(late.fire + 11 * S);
      expect((await api("POST", `/v1/workflows/schedules/${late.sid}/trigger`, { request_id: "t" })).status).toBe(202);
      await expectNoRun(late.run);
      let d = await describeSchedule(late.sid);
      expect(d.running).not.toContain(late.run);
      expect(d.counters.fired).toBe(1); // the trigger's run only

      const ok = await preparedSchedule("prep-wd-ok", { catchup_window_seconds: 10, overlap: "ALLOW_ALL" });
      setNow(ok.fire - 1);
      arriveAt(ok.fire + 5 * S);
      expect((await api("POST", `/v1/workflows/schedules/${ok.sid}/trigger`, { request_id: "t" })).status).toBe(202);
      ExecutionObject.prototype.discardPrepared = original;
      d = await describeSchedule(ok.sid);
      expect(d.running).toContain(ok.run);
      expect(d.counters.fired).toBe(2);
      // Adopted as begun: a worker's first lease 25 min later cannot skip it any more.
      setNow(ok.fire + 25 * M);
      const task = await poll(ok.queue);
      expect(task.status).toBe(200);
      const polled = task.body.execution_id === ok.run ? task : await poll(ok.queue);
      expect(polled.body.execution_id).toBe(ok.run);
      expect((await describeSchedule(ok.sid)).counters).toMatchObject({ fired: 2, skipped_catchup: 0 });
    } finally {
      ExecutionObject.prototype.discardPrepared = original;
    }
  });
  it("a prepared run no worker took before its execution timeout asks the queue: released late (an outage longer than the timeout), its fire is skipped; released on time, it times out", async () => {
    const late = await preparedSchedule("prep-to-late", { catchup_window_seconds: 10 });
    // Down from before the fire until 2 h 5 min after it: the run's overdue alarm comes before any poll.
    setNow(late.fire + 125 * M);
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${late.run}`))).toBe(true);
    await expectNoRun(late.run);
    // The schedule is told before its own alarm: that fire and the 12 after it (every 10 min) are all too old.
    await eventually(async () => expect((await describeSchedule(late.sid)).counters).toMatchObject({ fired: 0, skipped_catchup: 13, failed: 0 }));

    const onTime = await preparedSchedule("prep-to-ok", { catchup_window_seconds: 10 });
    setNow(onTime.fire);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${onTime.queue}/0`));
    setNow(onTime.fire + 125 * M);
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${onTime.run}`))).toBe(true);
    expect(await expectRunning(onTime.run)).toMatchObject({ status: "timed_out" });
    await eventually(async () => expect((await describeSchedule(onTime.sid)).counters).toMatchObject({ fired: 1, skipped_catchup: 12, failed: 1 }));
  });
  it("a prepared run first released after its timeout but inside the window (an outage longer than the timeout) gets its whole timeout from the release, not a failure", async () => {
    // 3 h window, the default 1 h timeout, down from before the fire until 2 h 5 min after it.
    const a = await preparedSchedule("prep-to-window", { catchup_window_seconds: 3 * 3600 });
    setNow(a.fire + 125 * M);
    // The run's overdue alarm comes before the queue's: the task is not released yet, and no worker had a chance.
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${a.run}`))).toBe(true);
    expect(await expectRunning(a.run)).toMatchObject({ status: "running" });
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${a.queue}/0`));
    setNow(a.fire + 150 * M);
    const task = await poll(a.queue);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ execution_id: a.run, available_at: iso(a.fire + 125 * M) });
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() })).status).toBe(200);
    await eventually(async () => expect((await describeSchedule(a.sid)).counters).toMatchObject({ failed: 0, skipped_catchup: 0 }));

    // Released first this time (at the end of the outage), and nobody comes: it times out an hour after the release.
    const b = await preparedSchedule("prep-to-window-expire", { catchup_window_seconds: 3 * 3600 });
    setNow(b.fire + 125 * M);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${b.queue}/0`));
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${b.run}`))).toBe(true);
    expect(await expectRunning(b.run)).toMatchObject({ status: "running" });
    setNow(b.fire + 185 * M - 1);
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${b.run}`));
    expect(await expectRunning(b.run)).toMatchObject({ status: "running" });
    setNow(b.fire + 185 * M);
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${b.run}`))).toBe(true);
    expect(await expectRunning(b.run)).toMatchObject({ status: "timed_out" });

    // A worker takes it as soon as the queue releases it, before the run's overdue alarm: the lease settles the same.
    const c = await preparedSchedule("prep-to-window-leased", { catchup_window_seconds: 3 * 3600 });
    setNow(c.fire + 125 * M);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${c.queue}/0`));
    expect((await poll(c.queue)).body.execution_id).toBe(c.run);
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${c.run}`));
    expect(await expectRunning(c.run)).toMatchObject({ status: "running" });
  });

  it("a prepared run whose task is no longer in its queue at the timeout (taken by a poll whose lease is still under way) times out rather than guessing it late", async () => {
    const { fire, run, queue } = await preparedSchedule("prep-to-absent", { catchup_window_seconds: 10 });
    await runInDurableObject(env.TASK_QUEUES.getByName(`default/${queue}/0`), async (_obj, state) => void state.storage.sql.exec("DELETE FROM tasks"));
    setNow(fire + 125 * M);
    expect(await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${run}`))).toBe(true);
    expect(await expectRunning(run)).toMatchObject({ status: "timed_out" });
  });
});
