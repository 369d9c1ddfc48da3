import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { activityScheduled, api, poll, uid } from "./helpers.ts";

// Activity tasks: retries, heartbeat, lease, start-to-close and schedule-to-close timeouts, cancellation.

describe("executions over HTTP with a hand-driven worker", () => {
  it("retries a failed activity with backoff and surfaces the final failure after maximum_attempts", async () => {
    const id = uid("retry");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "flaky", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", {
      task_token: wt.body.task_token,
      commands: [{ type: "schedule_activity", seq: 1, activity_type: "flaky", input: null, options: { retry: { initial_interval: 2, maximum_attempts: 2 } } }],
    });
    const a1 = await poll("activity", queue);
    expect(a1.body.attempt).toBe(1);
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: a1.body.task_token, failure: { message: "boom", type: "IOError" } });
    const d1 = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d1.body.pending_activities[0]).toMatchObject({ state: "backing_off", attempt: 2, last_failure: { message: "boom" } });
    // Not due yet: the alarm at t0 + 1 s changes nothing; at t0 + 2 s the second attempt is dispatched.
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    clock.now = () => t0 + 1_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("activity", queue)).status).toBe(204);
    clock.now = () => t0 + 2_000;
    await runDurableObjectAlarm(stub);
    const a2 = await poll("activity", queue);
    expect(a2.body.attempt).toBe(2);
    await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: a2.body.task_token, failure: { message: "boom again", type: "IOError" } });
    const history = await api("GET", `/v1/workflows/executions/${id}/history`);
    const failed = history.body.events.find((e: { type: string }) => e.type === "activity_failed");
    expect(failed).toMatchObject({ seq: 1, attempt: 2, failure: { message: "boom again" } });
  }, 20_000);

  it("a heartbeat's details reach the next attempt, and a heartbeat without details keeps the last ones", async () => {
    const id = uid("hb-details");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { retry: { initial_interval: 1 } } }] });
    const a1 = await poll("activity", queue);
    expect(a1.body.heartbeat_details).toBeUndefined();
    for (const body of [{ details: { cursor: 7 } }, {}]) expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: a1.body.task_token, ...body })).status).toBe(200);
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: a1.body.task_token, failure: { message: "boom" } });
    clock.now = () => t0 + 1_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const a2 = await poll("activity", queue);
    expect(a2.body).toMatchObject({ attempt: 2, heartbeat_details: { cursor: 7 } });
  });

  it("times out an activity whose worker stopped heartbeating and hands it to another worker", async () => {
    const id = uid("hb");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "slow", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", {
      task_token: wt.body.task_token,
      commands: [{ type: "schedule_activity", seq: 1, activity_type: "slow", input: null, options: { heartbeat_timeout: 5, retry: { initial_interval: 1 } } }],
    });
    const t0 = Date.now();
    clock.now = () => t0;
    const lost = await poll("activity", queue);
    expect(lost.body.attempt).toBe(1);
    // The worker confirms receipt with one heartbeat, then goes silent.
    await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: lost.body.task_token });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(stub); // heartbeat timeout → retry scheduled after 1 s
    clock.now = () => t0 + 6_000;
    await runDurableObjectAlarm(stub);
    const second = await poll("activity", queue);
    expect(second.body.attempt).toBe(2);
    // The first worker's late completion is stale and changes nothing.
    const late = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: lost.body.task_token, result: "late" });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("stale_task");
    await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: second.body.task_token, result: "done" });
    const history = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(history.body.events.filter((e: { type: string }) => e.type === "activity_completed")).toHaveLength(1);
  });

  it("hands out the same attempt again when a leased task is never acknowledged (lost delivery)", async () => {
    const { id, queue } = await activityScheduled("lost");
    const t0 = Date.now();
    clock.now = () => t0;
    const vanished = await poll("activity", queue);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    clock.now = () => t0 + 4_999;
    await runDurableObjectAlarm(stub);
    expect((await poll("activity", queue)).status).toBe(204);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(stub);
    const again = await poll("activity", queue);
    expect(again.body.attempt).toBe(1); // not a failed attempt: maximum_attempts 1 still allows it
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: vanished.body.task_token, result: "zombie" })).status).toBe(409);
    expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: again.body.task_token })).body).toEqual({ status: "accepted" });
    clock.now = () => t0 + 20_000;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities[0]).toMatchObject({ state: "started", attempt: 1 });
  });

  it("a lost lease stays stale after the attempt it lost was completed by the next lease (a 409, never a duplicate)", async () => {
    const { id, queue } = await activityScheduled("lost-late");
    const t0 = Date.now();
    clock.now = () => t0;
    const vanished = await poll("activity", queue);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const again = await poll("activity", queue);
    expect(again.body.attempt).toBe(1);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: again.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
    // The vanished worker's result was never applied: it must not be told it was (a duplicate).
    const late = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: vanished.body.task_token, result: "zombie" });
    expect([late.status, late.body.code]).toEqual([409, "stale_task"]);
    const lateFail = await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: vanished.body.task_token, failure: { message: "x", type: "E" } });
    expect([lateFail.status, lateFail.body.code]).toEqual([409, "stale_task"]);
    // The lease that did complete it still gets its duplicate.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: again.body.task_token, result: "ok" })).body).toEqual({ status: "duplicate" });
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string; result?: unknown }[];
    expect(events.filter((e) => e.type === "activity_completed").map((e) => e.result)).toEqual(["ok"]);
  });

  it("an attempt never acknowledged four times counts as failed (and its alarm does not spin on the past ack deadline)", async () => {
    const id = uid("lost4");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { start_to_close_timeout: 3600, retry: { initial_interval: 60, maximum_attempts: 2 } } }] });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    let t = Date.now();
    for (let lease = 1; lease <= 4; lease++) {
      clock.now = () => t;
      expect((await poll("activity", queue)).body).toMatchObject({ attempt: 1 });
      t += 5_000;
      clock.now = () => t;
      await runDurableObjectAlarm(stub);
    }
    // The fourth unacknowledged lease is a failed attempt: attempt 2 waits out its backoff.
    const pending = (await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities[0];
    expect(pending).toMatchObject({ state: "backing_off", attempt: 2 });
    const alarm = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(t + 59_000);
  });

  it("an activity the workflow asked to cancel is cancelled, not run again, when its worker is gone", async () => {
    const id = uid("cancel-lost");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { heartbeat_timeout: 10 } }] });
    const t0 = Date.now();
    clock.now = () => t0;
    const at = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: at.body.task_token });
    // The workflow cancels it (the worker would learn it at its next heartbeat, but it died).
    await api("POST", `/v1/workflows/executions/${id}/signals/go`, {});
    const wt2 = await poll("workflow", queue);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "request_cancel_activity", seq: 1 }] })).body).toEqual({ status: "accepted" });
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    expect((await poll("activity", queue)).status).toBe(204);
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
    expect(events.map((e) => e.type), JSON.stringify(events.map((e) => e.type))).toContain("activity_cancelled");
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toEqual([]);
  });

  it("start-to-close: an attempt that runs too long is retried, and the last one times out into history", async () => {
    const id = uid("stc");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const options = { start_to_close_timeout: 30, retry: { initial_interval: 1, maximum_attempts: 2 } };
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "slow", input: null, options }] });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const first = await poll("activity", queue);
    expect(first.body).toMatchObject({ attempt: 1, start_to_close_timeout: 30 });
    // The worker has it (acknowledged): running too long is a timeout, not a lost delivery.
    await api("POST", "/v1/workflows/tasks/ack", { task_token: first.body.task_token });
    clock.now = () => t0 + 29_999;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities[0]).toMatchObject({ state: "started", attempt: 1 });
    clock.now = () => t0 + 30_000;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities[0]).toMatchObject({ state: "backing_off", attempt: 2 });
    // Retried after the initial interval (1 s); the timed-out attempt's late result is refused.
    // History gets the last attempt only: activity_started (the worker held it), then its timeout.
    clock.now = () => t0 + 31_000;
    await runDurableObjectAlarm(stub);
    const second = await poll("activity", queue);
    expect(second.body.attempt).toBe(2);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: first.body.task_token, result: "late" })).status).toBe(409);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: second.body.task_token });
    clock.now = () => t0 + 61_000;
    await runDurableObjectAlarm(stub);
    const wt2 = await poll("workflow", queue);
    const timedOut = wt2.body.history.find((e: { type: string }) => e.type === "activity_timed_out");
    expect(timedOut).toMatchObject({ seq: 1, timeout_type: "start_to_close", attempt: 2 });
    expect(wt2.body.history.filter((e: { type: string }) => e.type.startsWith("activity_")).map((e: { type: string }) => e.type)).toEqual(["activity_scheduled", "activity_started", "activity_timed_out"]);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toEqual([]);
  });

  it("schedule-to-close: an activity no worker finished in time times out once, whatever retries remain", async () => {
    const id = uid("s2c");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    // Unlimited attempts (the default), but the whole activity must finish within 20 s of being scheduled.
    const options = { schedule_to_close_timeout: 20, start_to_close_timeout: 15, retry: { initial_interval: 1 } };
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options }] });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const first = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: first.body.task_token });
    // Attempt 1 fails at 10 s and is retried; attempt 2 is still running when the 20 s are up.
    clock.now = () => t0 + 10_000;
    await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: first.body.task_token, failure: { message: "flaky", type: "Flaky" } });
    clock.now = () => t0 + 11_000;
    await runDurableObjectAlarm(stub);
    const second = await poll("activity", queue);
    expect(second.body.attempt).toBe(2);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: second.body.task_token });
    clock.now = () => t0 + 19_999;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toHaveLength(1);
    clock.now = () => t0 + 20_000;
    await runDurableObjectAlarm(stub);
    const wt2 = await poll("workflow", queue);
    const timedOut = wt2.body.history.find((e: { type: string }) => e.type === "activity_timed_out");
    expect(timedOut).toMatchObject({ seq: 1, timeout_type: "schedule_to_close", attempt: 2 });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toEqual([]);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: second.body.task_token, result: "too late" })).status).toBe(409);
  });
});
