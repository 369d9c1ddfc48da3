import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, poll, uid } from "./helpers.ts";

// Workflow tasks: inline steps, timers, terminate_run, the execution timeout and workflow task timeouts.
describe("executions over HTTP with a hand-driven worker", () => {
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
  it("a payload a command leaves out is null (SDKs before 2026-12-06 sent a void workflow's completion and an input-less activity without one)", async () => {
    const id = uid("void");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const scheduled = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "ping" }] });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const at = await poll("activity", queue);
    expect(at.body).toMatchObject({ activity_type: "ping", input: null });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: null })).status).toBe(200);
    const wt2 = await poll("workflow", queue);
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "complete_workflow" }] });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}/result`)).body).toMatchObject({ status: "completed", result: null });
  });
});
