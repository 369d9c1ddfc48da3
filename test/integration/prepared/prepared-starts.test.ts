import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../../src/clock.ts";
import { ExecutionObject } from "../../../src/objects/execution-object.ts";
import { ScheduleObject } from "../../../src/objects/schedule-object.ts";
import type { ScheduleStore } from "../../../src/objects/schedule-store.ts";
import { prepareAt, settleAt } from "../../../src/core/schedule/prepare.ts";
import { api, uid } from "../helpers.ts";
import { alarmAt, createSchedule, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, fail, iso, runHistoryTypes, runId, scheduleObject, setNow, succeed, T } from "../schedule-helpers.ts";
import { AHEAD, changeAsRunBegins, M, poll, preparedSchedule, preparedWhileOpen, S, whileFailing } from "./prepared-helpers.ts";

// Prepared starts: what a schedule prepares and when, and how every change takes it back or keeps
// it. The catch-up window for prepared fires is in prepared-catchup.test.ts.

describe("prepared starts", () => {
  it("prepares between 60 and 30 s ahead; the first task is held until the fire time, then the fire's alarm starts nothing twice", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep");
    expect(prep).toBeGreaterThanOrEqual(fire - AHEAD);
    expect(prep).toBeLessThan(fire - AHEAD / 2);

    // The run exists ahead of time, starting at the fire time, with the schedule payload of that fire.
    const r = await expectRunning(run);
    expect(r).toMatchObject({ status: "running", started_at: iso(fire), schedule: { timestamp: iso(fire), schedule_id: sid, last_timestamp: null } });
    expect(await runHistoryTypes(run)).toEqual(["execution_started", "workflow_task_scheduled"]);
    // ... but no worker can have it before its time.
    expect((await poll(queue)).status).toBe(204);
    setNow(fire - 1);
    expect((await poll(queue)).status).toBe(204);
    // The schedule wakes 1-5 s after the fire to record it (the run does not wait for that).
    await expectAlarm(sid, settleAt(sid, fire));
    expect(settleAt(sid, fire) - fire).toBeGreaterThanOrEqual(1_000);
    expect(settleAt(sid, fire) - fire).toBeLessThan(5_000);

    // At the fire time the queue hands it out.
    setNow(fire);
    const task = await poll(queue);
    expect(task.status).toBe(200);
    expect(task.body.execution_id).toBe(run);

    // The fire's alarm (delivered twice, even) records the start; it makes no second run or start.
    expect(await alarmAt(sid, fire + 5)).toBe(true);
    await runDurableObjectAlarm(env.SCHEDULES.getByName(`default/${sid}`));
    const d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(1);
    expect(d.recent_actions[0]).toMatchObject({ run_id: run, outcome: "started" });
    expect(await runHistoryTypes(run)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started"]);
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() });
    expect(done.status).toBe(200);
    // The next fire is prepared ahead again.
    await expectAlarm(sid, prepareAt(sid, fire + 10 * M, AHEAD));
  });

  it("the task queue's own timer releases the task to a poller already waiting at the fire time", async () => {
    const { queue, fire, run } = await preparedSchedule("prep-wait");
    setNow(fire - 20);
    const waiting = api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "waiter", wait_seconds: 5 });
    // The queue's timer was armed for the fire time (real time is far behind the fake clock, so
    // nothing fires on its own); move the clock to the fire time and run the queue's alarm.
    await new Promise((r) => setTimeout(r, 50));
    setNow(fire);
    await runDurableObjectAlarm(env.TASK_QUEUES.getByName(`default/${queue}/0`));
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(got.body.execution_id).toBe(run);
  });

  it("pausing before the fire withdraws the prepared run (it never existed); resuming prepares it again", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep-pause");
    await expectRunning(run);
    setNow(prep + 5 * S);
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "hold" });
    expect(paused.status).toBe(200);
    // The pause's answer comes after the withdraw: the run is gone, from the object and the index.
    await expectNoRun(run);
    const list = await api("GET", `/v1/workflows/executions?schedule_id=${encodeURIComponent(sid)}`);
    expect(list.body.executions).toEqual([]);
    setNow(fire);
    expect((await poll(queue)).status).toBe(204);
    expect((await describeSchedule(sid)).counters.fired).toBe(0);

    setNow(fire - 25 * S);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.status).toBe(200);
    // Past the preparing instant (always > 30 s before the fire): the alarm is due now and prepares the same run again.
    await expectAlarm(sid, fire - 25 * S);
    expect(await alarmAt(sid, fire - 25 * S)).toBe(true);
    expect(await expectRunning(run)).toMatchObject({ started_at: iso(fire) });
  });

  it("a withdraw delivered only after the same fire was prepared again (a pause whose withdraw failed, then a resume) leaves the fire prepared, not a run that no longer exists", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep-wd-retry");
    await whileFailing(["discardPrepared"], async () => {
      setNow(prep + 5 * S);
      expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
      expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
      // The resume's alarm prepares the same fire again; its start finds the old run, still there.
      expect(await alarmAt(sid, prep + 5 * S)).toBe(true);
      await expectRunning(run);
    });
    // The withdraw lands on its retry and removes that run: the schedule prepares the fire anew.
    expect(await alarmAt(sid, prep + 20 * S)).toBe(true);
    await expectAlarm(sid, prep + 20 * S);
    expect(await alarmAt(sid, prep + 20 * S)).toBe(true);
    expect(await expectRunning(run)).toMatchObject({ status: "running", started_at: iso(fire) });
    setNow(fire);
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(run);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() })).status).toBe(200);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.counters).toMatchObject({ fired: 1 });
      expect(d.running).toEqual([]);
    });
  });

  it("a withdraw delivered just before the start of the same fire prepared again keeps that fire prepared: the run the start creates is the one a later pause withdraws", async () => {
    const { sid, fire, prep, run } = await preparedSchedule("prep-wd-order");
    await whileFailing(["discardPrepared", "startPrepared"], async () => {
      setNow(prep + 5 * S);
      expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
      expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
      expect(await alarmAt(sid, prep + 5 * S)).toBe(true);
    });
    // Both retried in one delivery, the withdraw first (it was written first): it removes the old run, the start creates it again.
    expect(await alarmAt(sid, prep + 20 * S)).toBe(true);
    expect(await expectRunning(run)).toMatchObject({ status: "running", started_at: iso(fire) });
    // The schedule still holds it as prepared: a pause before the fire withdraws it.
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
    await expectNoRun(run);
  });

  it("a withdraw delivered only after its run began and closed adopts the run as closed: it holds no slot, and the next fire is not skipped", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep-wd-closed", { overlap: "SKIP" });
    await whileFailing(["discardPrepared"], async () => {
      setNow(prep + 5 * S);
      expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
      // The withdraw failed: the run is still there, its task released at the fire. A worker takes it and completes it.
      setNow(fire);
      const task = await poll(queue);
      expect(task.body.execution_id).toBe(run);
      expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() })).status).toBe(200);
      await eventually(async () => expect((await expectRunning(run)).status).toBe("completed"));
    });
    // The withdraw lands on its retry (with the run's close notice, or the alarm), refused since
    // the run began: the schedule adopts the run, which has already closed.
    await alarmAt(sid, fire + 20 * S);
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.running).toEqual([]);
      expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 0 });
    });
    // Resumed, the next fire starts: no run is left holding SKIP's slot.
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    const next = fire + 10 * M;
    await alarmAt(sid, prepareAt(sid, next, AHEAD));
    await alarmAt(sid, next);
    await expectRunning(runId(sid, next));
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 2, skipped_overlap: 0 });
  });

  it("once its fire time has passed, a prepared run is kept and counted even if no worker has taken it yet", async () => {
    const { sid, fire, run } = await preparedSchedule("prep-passed", { overlap: "SKIP" });
    setNow(fire + 1);
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, {});
    expect(paused.status).toBe(200);
    // The pause answers with the fire counted (the load soak compares these counters with listings).
    expect(paused.body.counters.fired).toBe(1);
    expect(paused.body.running).toEqual([run]);
    await expectRunning(run);
    const d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(1);
    expect(d.running).toEqual([run]);
  });

  it("a prepared run a worker has already begun is kept and counted when a pause arrives before the schedule's alarm", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-adopt", { overlap: "SKIP" });
    setNow(fire + 10);
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(run);
    // The schedule's own alarm for the fire has not run yet (late); a pause comes first.
    const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, {});
    expect(paused.status).toBe(200);
    expect(paused.body.counters.fired).toBe(1);
    expect(paused.body.running).toContain(run);
    await expectRunning(run);
    const d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(1);
    expect(d.running).toContain(run);
    expect(d.recent_actions.some((a: { run_id: string | null; outcome: string }) => a.run_id === run && a.outcome === "started")).toBe(true);
    // It closes like any run of the schedule and frees the slot.
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() });
    expect(done.status).toBe(200);
    await eventually(async () => expect((await describeSchedule(sid)).recent_actions.find((a: { run_id: string | null }) => a.run_id === run)?.outcome).toBe("completed"));
  });

  it("a withdraw that reaches a run already begun (the execution's clock a little ahead) adopts it: kept, counted once, in the change's answer", async () => {
    const { sid, fire, run } = await preparedSchedule("prep-skew", { overlap: "SKIP" });
    // The schedule decides at fire - 1 ms (not begun: it queues a withdraw); by the time the
    // withdraw reaches the execution, that machine's clock reads fire + 1 ms and it has begun, so
    // it refuses. One workerd shares one clock, so the skew is made at that very call.
    setNow(fire - 1);
    const original = ExecutionObject.prototype.discardPrepared;
    let calls = 0;
    ExecutionObject.prototype.discardPrepared = function (this: ExecutionObject) {
      calls++;
      setNow(fire + 1);
      return original.call(this);
    };
    try {
      const paused = await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "skew" });
      expect(paused.status).toBe(200);
      expect(calls).toBe(1);
      expect(paused.body.counters.fired).toBe(1);
      expect(paused.body.running).toEqual([run]);
    } finally {
      ExecutionObject.prototype.discardPrepared = original;
    }
    expect(await expectRunning(run)).toMatchObject({ status: "running", started_at: iso(fire) });
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_catchup: 0, skipped_overlap: 0 });
    expect(d.recent_actions.filter((a: { run_id: string | null }) => a.run_id === run)).toHaveLength(1);
    // The schedule's later alarm (it is paused now) records nothing more for that fire.
    await alarmAt(sid, fire + 10 * S);
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
  });

  it("a run a spec change's withdraw adopted as the old spec's fire keeps the old spec's zone for its retry", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-skew-zone", { overlap: "SKIP", retry_max: 1, retry_delay_seconds: 10 });
    // As above: the change decides at fire - 1 ms, and the withdraw finds the run begun at fire + 1 ms.
    const changed = await changeAsRunBegins(fire, "PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 900, timezone: "Asia/Tokyo" });
    expect(changed.running).toEqual([run]);
    // The adopted run fails; its retry is that old fire's, so its payload keeps the old spec's zone.
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(run);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: fail() })).status).toBe(200);
    await eventually(async () => expect((await describeSchedule(sid)).counters.failed).toBe(1));
    await alarmAt(sid, fire + 20 * S);
    const retry = await expectRunning(`${run}:retry-1`);
    expect(retry.schedule).toMatchObject({ timestamp: iso(fire), timezone: "UTC" });
  });

  it("a prepared run that closes before the schedule records its fire is counted, frees its slot, and the next fire is not skipped", async () => {
    const { sid, queue, fire, run } = await preparedSchedule("prep-fast", { overlap: "SKIP" });
    setNow(fire + 50);
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(run);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: succeed() })).status).toBe(200);
    // The close notice reaches the schedule before its own alarm (1-5 s after the fire) has run.
    await eventually(async () => {
      const d = await describeSchedule(sid);
      expect(d.counters.fired).toBe(1);
      expect(d.running).toEqual([]);
      expect(d.recent_actions.find((a: { run_id: string | null }) => a.run_id === run)?.outcome).toBe("completed");
    });
    // The late alarm changes nothing; the next fire is prepared and starts.
    expect(await alarmAt(sid, settleAt(sid, fire))).toBe(true);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 0 });
    const next = fire + 10 * M;
    await expectAlarm(sid, prepareAt(sid, next, AHEAD));
    expect(await alarmAt(sid, prepareAt(sid, next, AHEAD))).toBe(true);
    await expectRunning(runId(sid, next));
  });

  it("a frequent schedule wakes for its next fire even if the prepared one's bookkeeping would come later", async () => {
    const t0 = T("2027-06-02T00:00:00.000Z");
    const sid = uid("prep-freq");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "prep-wf", key: sid, interval_seconds: 2, overlap: "ALLOW_ALL", task_queue: uid("q-freq") });
    // The first fire (t0 + 2 s) is inside the lead time at once: prepared by the first alarm.
    await expectAlarm(sid, t0);
    expect(await alarmAt(sid, t0)).toBe(true);
    await expectRunning(runId(sid, t0 + 2 * S));
    await expectAlarm(sid, Math.min(settleAt(sid, t0 + 2 * S), t0 + 4 * S));
  });

  it("SKIP: a trigger before the fire withdraws the prepared run, and the fire is then skipped by the overlap policy", async () => {
    const { sid, fire, prep, run } = await preparedSchedule("prep-trigger", { overlap: "SKIP" });
    setNow(prep + S);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "t1" });
    expect(trig.status).toBe(202);
    expect(trig.body.started).toBe(true);
    await expectNoRun(run);
    // While the triggered run is open, the next fire is not prepared (its start depends on that run).
    await expectAlarm(sid, fire);
    expect(await alarmAt(sid, fire)).toBe(true);
    await expectNoRun(run);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 1 });
  });

  it("ALLOW_ALL prepares the next fire even while a run is open", async () => {
    const { nextRun } = await preparedWhileOpen("prep-all");
    expect(await expectRunning(nextRun)).toMatchObject({ status: "running" });
  });

  it("a start delivered again for a run that failed meanwhile pauses the schedule (on_failure) from inside the delivery without waiting on itself", async () => {
    const original = ScheduleObject.prototype.runClosed;
    const { sid, task, run, fire, nextRun } = await preparedWhileOpen("prep-redeliver", { on_failure: "pause" });
    try {
      // The run fails, and its close notice cannot reach the schedule yet.
      ScheduleObject.prototype.runClosed = async () => {
        throw new Error("injected: notice not delivered");
      };
      expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: fail() })).status).toBe(200);
      expect(await expectRunning(run)).toMatchObject({ status: "failed" });
    } finally {
      ScheduleObject.prototype.runClosed = original;
    }
    // Its start goes out again (the schedule restarted mid-delivery, say) and is answered: closed, failed.
    // (Written through the object's own outbox, as a restarted object would read it back.)
    await runInDurableObject(scheduleObject(sid), async (obj) => {
      const entry = { runId: run, payload: {}, input: null, startAt: fire, startBy: fire + 86_400_000 };
      (obj as unknown as { store: ScheduleStore }).store.outbox.put(`start:${run}`, entry, fire);
    });
    // The alarm delivers it; the failure pauses the schedule, which withdraws the next prepared run. It completes.
    expect(await alarmAt(sid, fire + 2 * M)).toBe(true);
    const d = await describeSchedule(sid);
    expect(d.status).toBe("paused");
    expect(d.counters).toMatchObject({ failed: 1 });
    await eventually(() => expectNoRun(nextRun));
  });

  it("deleting the schedule or changing its spec withdraws the prepared run", async () => {
    const a = await preparedSchedule("prep-del");
    setNow(a.prep + S);
    expect((await api("DELETE", `/v1/workflows/schedules/${a.sid}`)).status).toBe(204);
    await expectNoRun(a.run);

    const b = await preparedSchedule("prep-upd");
    setNow(b.prep + S);
    const upd = await api("PATCH", `/v1/workflows/schedules/${b.sid}`, { interval_seconds: 3600 });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    await expectNoRun(b.run);
    // A bad patch changes nothing, not even the prepared run.
    const c = await preparedSchedule("prep-bad");
    setNow(c.prep + S);
    const bad = await api("PATCH", `/v1/workflows/schedules/${c.sid}`, { cron: "61 * * * *" });
    expect(bad.status).toBe(422);
    await expectRunning(c.run);
  });
});
