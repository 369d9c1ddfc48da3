import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";

async function poll(kind: "workflow" | "activity", queue: string, waitSeconds = 1) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "test-worker", wait_seconds: waitSeconds });
}

describe("executions over HTTP with a hand-driven worker", () => {
  it("runs start → workflow task → activity → workflow task → completed, and records the history", async () => {
    const id = uid("exec");
    const queue = uid("q");
    const start = await api("POST", "/v1/workflows/executions", { workflow: "greet", input: { name: "Ada" }, execution_id: id, task_queue: queue });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ execution_id: id, status: "running", started: true });

    const wt1 = await poll("workflow", queue);
    expect(wt1.status).toBe(200);
    expect(wt1.body.history.map((e: { type: string }) => e.type)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started"]);
    const c1 = await api("POST", "/v1/workflows/tasks/workflow/complete", {
      task_token: wt1.body.task_token,
      commands: [{ type: "schedule_activity", seq: 1, activity_type: "say_hello", input: { name: "Ada" } }],
    });
    expect(c1.body).toEqual({ status: "accepted" });
    // A retried completion is recognised, not applied twice.
    const again = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt1.body.task_token, commands: [] });
    expect(again.body).toEqual({ status: "duplicate" });

    const at = await poll("activity", queue);
    expect(at.status).toBe(200);
    expect(at.body).toMatchObject({ activity_type: "say_hello", attempt: 1, input: { name: "Ada" } });
    const hb = await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token, details: { step: 1 } });
    expect(hb.body).toEqual({ cancel_requested: false });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "hello Ada" })).body).toEqual({ status: "accepted" });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "again" })).body).toEqual({ status: "duplicate" });

    const wt2 = await poll("workflow", queue);
    expect(wt2.status).toBe(200);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "complete_workflow", result: "hello Ada" }] });

    const result = await api("GET", `/v1/workflows/executions/${id}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: "completed", result: "hello Ada" });
    const history = await api("GET", `/v1/workflows/executions/${id}/history?page_size=100`);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      "execution_started",
      "workflow_task_scheduled",
      "workflow_task_started",
      "workflow_task_completed",
      "activity_scheduled",
      "activity_started",
      "activity_completed",
      "workflow_task_scheduled",
      "workflow_task_started",
      "workflow_task_completed",
      "execution_completed",
    ]);
    expect(history.body.events.map((e: { id: number }) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

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
    const id = uid("lost");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { retry: { maximum_attempts: 1 } } }] });
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
    expect(wt2.body.history.filter((e: { type: string }) => e.type.startsWith("activity_")).map((e: { type: string }) => e.type)).toEqual(["activity_scheduled", "activity_timed_out"]);
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

  it("records the steps a workflow ran inline (ctx.step.run) in history, numbered in order", async () => {
    const id = uid("steps");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const bad = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "record_step", seq: 2, name: "fetch", result: 1 }] });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_command", field: "commands.0" });
    const both = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "record_step", seq: 1, name: "fetch", result: 1, failure: { message: "x" } }] });
    expect(both.status).toBe(422);
    const ok = await api("POST", "/v1/workflows/tasks/workflow/complete", {
      task_token: wt.body.task_token,
      commands: [
        { type: "record_step", seq: 1, name: "fetch_data", result: { rows: 3 } },
        { type: "record_step", seq: 2, name: "send", failure: { message: "smtp down", type: "SmtpError" } },
        { type: "start_timer", seq: 1, duration: 1 },
      ],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const history = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
    expect(history.filter((e) => e.type === "step_recorded")).toEqual([
      expect.objectContaining({ seq: 1, name: "fetch_data", result: { rows: 3 } }),
      expect.objectContaining({ seq: 2, name: "send", failure: expect.objectContaining({ message: "smtp down", type: "SmtpError" }) }),
    ]);
    // The numbering carries over to the next task: seq 3 next, not 1.
    clock.now = () => Date.now() + 1_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const wt2 = await poll("workflow", queue);
    const again = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "record_step", seq: 1, name: "fetch_data", result: 2 }] });
    expect(again.status).toBe(422);
    expect(again.body.detail).toContain("step seq 1 out of order (expected 3)");
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "record_step", seq: 3, name: "fetch_data", result: 2 }, { type: "complete_workflow", result: 2 }] });
    expect(done.status).toBe(200);
  });

  it("a zero-length timer (the SDK's step checkpoint) fires at once and brings the next workflow task", async () => {
    const id = uid("checkpoint");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const steps = Array.from({ length: 3 }, (_, i) => ({ type: "record_step", seq: i + 1, name: "s", result: i }));
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [...steps, { type: "start_timer", seq: 1, duration: 0 }] })).status).toBe(200);
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const next = await poll("workflow", queue);
    expect(next.status).toBe(200);
    const types = (next.body.history as { type: string }[]).map((e) => e.type);
    expect(types.slice(-4)).toEqual(["timer_started", "timer_fired", "workflow_task_scheduled", "workflow_task_started"]);
    expect(types.filter((t) => t === "step_recorded")).toHaveLength(3);
  });

  it("a workflow task failed with terminate_run ends the run (terminated, the failure as reason); a plain failure is retried", async () => {
    const id = uid("too-large");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const failure = { message: "the workflow task's commands were refused as too large", type: "PayloadTooLarge", non_retryable: true };
    const r = await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt.body.task_token, failure, terminate_run: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ status: "accepted" });
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body.status).toBe("terminated");
    expect(d.body.failure).toMatchObject({ type: "Terminated", message: `terminated: PayloadTooLarge: ${failure.message}` });
    const history = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
    expect(history.map((e) => e.type).slice(-2)).toEqual(["workflow_task_failed", "execution_terminated"]);
    // The same request again (a retried HTTP call) changes nothing.
    expect((await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt.body.task_token, failure, terminate_run: true })).body).toEqual({ status: "duplicate" });
    expect((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events).toHaveLength(history.length);

    const other = uid("retried");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: other, task_queue: queue });
    const wt2 = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt2.body.task_token, failure: { message: "bug" } });
    expect((await api("GET", `/v1/workflows/executions/${other}`)).body.status).toBe("running");
  });

  it("fires timers and enforces the execution timeout", async () => {
    const id = uid("timer");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "sleepy", execution_id: id, task_queue: queue, execution_timeout: 60 });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 10 }] });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(stub);
    const wt2 = await poll("workflow", queue);
    expect(wt2.body.history.some((e: { type: string }) => e.type === "timer_fired")).toBe(true);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "start_timer", seq: 2, duration: 3600 }] });
    clock.now = () => t0 + 60_000;
    await runDurableObjectAlarm(stub);
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body.status).toBe("timed_out");
    expect(d.body.failure.type).toBe("WORKFLOW_EXECUTION_TIMED_OUT");
  });

  it("re-queues a workflow task whose worker never completed it (workflow task timeout)", async () => {
    const id = uid("wtt");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const lost = await poll("workflow", queue);
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const retried = await poll("workflow", queue);
    expect(retried.body.attempt).toBe(2);
    expect(retried.body.history.map((e: { type: string }) => e.type)).toContain("workflow_task_timed_out");
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: lost.body.task_token, commands: [] })).status).toBe(409);
  });

  it("a workflow task that times out again and again backs off (1 s doubling) instead of filling history every 5 s", async () => {
    const id = uid("wtt-loop");
    const queue = uid("q");
    let t = Date.now();
    clock.now = () => t;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    expect((await poll("workflow", queue)).body.attempt).toBe(1);
    t += 5_000; // never acknowledged: a lost delivery, handed out again at once
    await runDurableObjectAlarm(stub);
    expect((await poll("workflow", queue)).body.attempt).toBe(2);
    t += 5_000; // again: the worker crashes on this task; the next attempt waits 2 s
    await runDurableObjectAlarm(stub);
    expect((await poll("workflow", queue, 0)).status).toBe(204);
    t += 2_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("workflow", queue)).body.attempt).toBe(3);
    t += 5_000;
    await runDurableObjectAlarm(stub);
    t += 2_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("workflow", queue, 0)).status).toBe(204); // 4 s this time
    t += 2_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("workflow", queue)).body.attempt).toBe(4);
  });

  it("each acknowledgement of a workflow task renews its timeout (a worker running slow steps keeps it); silence still times it out", async () => {
    const id = uid("wt-renew");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const task = await poll("workflow", queue);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const types = async () => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events.map((e: { type: string }) => e.type);
    for (const at of [1_000, 8_000, 16_000]) {
      clock.now = () => t0 + at;
      expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: task.body.task_token })).status).toBe(200);
      clock.now = () => t0 + at + 9_999;
      await runDurableObjectAlarm(stub);
      expect(await types()).not.toContain("workflow_task_timed_out");
    }
    // The completion 25 s after the lease began is still accepted.
    clock.now = () => t0 + 25_000;
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 60 }] })).status).toBe(200);
    // A worker that stops acknowledging loses the next task after the 10 s timeout as before.
    clock.now = () => t0 + 85_000;
    await runDurableObjectAlarm(stub);
    const next = await poll("workflow", queue);
    clock.now = () => t0 + 86_000;
    await api("POST", "/v1/workflows/tasks/ack", { task_token: next.body.task_token });
    clock.now = () => t0 + 96_000;
    await runDurableObjectAlarm(stub);
    expect(await types()).toContain("workflow_task_timed_out");
  });

  it("cancels (delivered to the workflow) and terminates (immediate)", async () => {
    const queue = uid("q");
    const a = uid("cancel");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: a, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 100 }] });
    const cancelled = await api("POST", `/v1/workflows/executions/${a}/cancel`, { reason: "user asked" });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.cancel_requested).toBe(true);
    const wt2 = await poll("workflow", queue);
    expect(wt2.body.history.at(-3)).toMatchObject({ type: "execution_cancel_requested", reason: "user asked" });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "cancel_timer", seq: 1 }, { type: "cancel_workflow" }] });
    expect((await api("GET", `/v1/workflows/executions/${a}`)).body.status).toBe("cancelled");

    const b = uid("term");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: b, task_queue: queue });
    const t = await api("POST", `/v1/workflows/executions/${b}/terminate`, { reason: "stop" });
    expect(t.body.status).toBe("terminated");
    expect((await api("GET", `/v1/workflows/executions/${b}/result`)).body.failure.message).toBe("terminated: stop");
  });

  it("start with wait_seconds answers once the run closed, with its result (start and wait in one call)", async () => {
    const id = uid("exec-wait");
    const queue = uid("q");
    const held = api("POST", "/v1/workflows/executions", { workflow: "greet", input: { name: "Ada" }, execution_id: id, task_queue: queue, wait_seconds: 10 });
    const wt = await poll("workflow", queue);
    expect(wt.status).toBe(200);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: "hello Ada" }] });
    const start = await held;
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ execution_id: id, status: "completed", result: "hello Ada", started: true, failure: null });
    expect(start.body.closed_at).not.toBeNull();

    // Already closed (use_existing): answered at once, as the run is.
    const again = await api("POST", "/v1/workflows/executions", { workflow: "greet", execution_id: id, task_queue: queue, wait_seconds: 10 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "completed", result: "hello Ada", started: false });
  });

  it("start with wait_seconds answers 'running' when the run outlives the wait; the wait is bounded and only on start", async () => {
    const id = uid("exec-wait");
    const began = Date.now();
    const start = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: uid("q"), wait_seconds: 1 });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ execution_id: id, status: "running", started: true });
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(Date.now() - began).toBeLessThan(5_000);

    // Terminated while the start is held: answered then, not at the end of the wait.
    const held = uid("exec-wait");
    const heldStart = api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: held, task_queue: uid("q"), wait_seconds: 30 });
    await new Promise((r) => setTimeout(r, 100));
    const terminatedAt = Date.now();
    expect((await api("POST", `/v1/workflows/executions/${held}/terminate`, { reason: "stop" })).status).toBe(200);
    expect((await heldStart).body).toMatchObject({ execution_id: held, status: "terminated", started: true, failure: { message: "terminated: stop" } });
    expect(Date.now() - terminatedAt).toBeLessThan(5_000);

    const tooLong = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: uid("exec-wait"), wait_seconds: 61 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toMatchObject({ code: "validation_failed", field: "wait_seconds" });
    const withSignal = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "w", execution_id: uid("exec-wait"), signal_name: "s", wait_seconds: 1 });
    expect(withSignal.status).toBe(422);
    expect(withSignal.body.code).toBe("validation_failed");
  });

  it("applies id-reuse policies", async () => {
    const id = uid("reuse");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id })).status).toBe(201);
    const same = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id });
    expect(same.status).toBe(200);
    expect(same.body.started).toBe(false);
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, id_reuse_policy: "reject_duplicate" })).status).toBe(409);
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, id_reuse_policy: "allow_duplicate" })).status).toBe(409);
    await api("POST", `/v1/workflows/executions/${id}/terminate`, {});
    const rerun = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, id_reuse_policy: "allow_duplicate_failed_only" });
    expect(rerun.status).toBe(201);
    expect(rerun.body.run_id).not.toBe(same.body.run_id);
  });

  it("accepts a cancel that raced with the activity finishing, and records it for replay", async () => {
    const id = uid("race");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null }, { type: "start_timer", seq: 1, duration: 1 }] });
    const at = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: 1 });
    const wt2 = await poll("workflow", queue);
    // The workflow decided to cancel before it saw the completion: not an error.
    const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "request_cancel_activity", seq: 1 }, { type: "cancel_timer", seq: 1 }] });
    expect(r.body).toEqual({ status: "accepted" });
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    const tail = h.body.events.slice(-2);
    expect(tail).toMatchObject([{ type: "activity_cancel_requested", seq: 1, scheduled_event_id: 5 }, { type: "timer_cancelled", seq: 1 }]);
    const bad = await poll("workflow", queue);
    expect(bad.status).toBe(204);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("running");
  });

  it("every payload a command carries is bounded (256 KiB of UTF-8 JSON): 413 naming the command, and nothing is written", async () => {
    const id = uid("payloads");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const before = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events.length;
    const big = "é".repeat(131_100); // 262,202 bytes of JSON but 131,102 characters
    const failure = { message: "no", details: big };
    for (const cmd of [
      { type: "schedule_activity", seq: 1, activity_type: "a", input: big, options: {} },
      { type: "start_child_workflow", seq: 1, workflow: "child", input: big, parent_close_policy: "TERMINATE" },
      { type: "record_step", seq: 1, name: "s", failure },
      { type: "continue_as_new", input: big },
      { type: "complete_workflow", result: big },
      { type: "fail_workflow", failure },
    ]) {
      const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 5 }, cmd] });
      expect(r.status, cmd.type).toBe(413);
      expect(r.body, cmd.type).toMatchObject({ code: "payload_too_large", field: "commands.1" });
    }
    expect((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events).toHaveLength(before);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: "é".repeat(1000) }] })).status).toBe(200);
  });

  it("heartbeat details and failures are bounded like any payload: 413 naming the field, and nothing changes", async () => {
    const id = uid("hb-size");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "upload", input: null, options: { heartbeat_timeout: 30 } }] });
    const at = await poll("activity", queue);
    expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token, details: { chunk: 7 } })).status).toBe(200);
    const big = await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token, details: { log: "é".repeat(131_100) } });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: "payload_too_large", field: "details" });
    // So are failures: the activity's, and a workflow task's.
    const failure = { message: "no", details: "é".repeat(131_100) };
    const af = await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: at.body.task_token, failure });
    expect(af.body).toMatchObject({ code: "payload_too_large", field: "failure" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities[0].state).toBe("started");
  });

  it("rejects invalid commands with a 422 naming the command", async () => {
    const id = uid("bad");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 2, activity_type: "x", input: null }] });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "invalid_command", field: "commands.0" });
  });

  it("a child's id, task queue and workflow follow the REST start request's rules: else 422 naming the field, and nothing is started", async () => {
    const id = uid("bad-child");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const before = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const child = { type: "start_child_workflow", seq: 1, workflow: "child", input: null };
    for (const [field, value] of [["execution_id", `${id}/kid`], ["execution_id", "kid 1"], ["task_queue", "my queue"], ["task_queue", "q/1"], ["workflow", "child workflow"]] as const) {
      const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ ...child, [field]: value }] });
      expect(r.status, `${field} ${value}`).toBe(422);
      expect(r.body).toMatchObject({ code: "validation_failed", field: `commands.0.${field}` });
    }
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_length).toBe(before);
    // The same task then starts a child REST can reach.
    const ok = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ ...child, execution_id: `${id}:kid`, task_queue: "q.1" }] });
    expect(ok.body).toEqual({ status: "accepted" });
    expect((await api("GET", `/v1/workflows/executions/${encodeURIComponent(`${id}:kid`)}`)).body).toMatchObject({ status: "running", task_queue: "q.1" });
  });

  it("lists executions from the D1 index with filters and cursor pagination", async () => {
    const wf = uid("listwf");
    for (let i = 0; i < 5; i++) await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: uid("l") });
    // The index is written through the outbox right after each change.
    await new Promise((r) => setTimeout(r, 50));
    const page1 = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=2`);
    expect(page1.body.executions).toHaveLength(2);
    const page2 = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=2&page_token=${page1.body.next_page_token}`);
    const page3 = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=2&page_token=${page2.body.next_page_token}`);
    const ids = [...page1.body.executions, ...page2.body.executions, ...page3.body.executions].map((e: { execution_id: string }) => e.execution_id);
    expect(new Set(ids).size).toBe(5);
    expect(page3.body.next_page_token).toBeNull();
  });
});
