import { describe, expect, it } from "vitest";
import { api, poll, uid } from "./helpers.ts";

// The activity-task and workflow-task paths are in executions-activities.test.ts and executions-workflow-tasks.test.ts.
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

  it("a workflow that returns null has result null in …/result as in describe and start-and-wait (not a missing result)", async () => {
    const id = uid("exec-null");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: null }] });
    const described = await api("GET", `/v1/workflows/executions/${id}`);
    expect(described.body).toHaveProperty("result", null);
    const result = await api("GET", `/v1/workflows/executions/${id}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ execution_id: id, status: "completed", result: null, failure: null });
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
