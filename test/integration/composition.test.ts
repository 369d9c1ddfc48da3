import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultChildExecutionId } from "@sundial/sdk/protocol";
import { clock } from "../../src/clock.ts";
import { recordChildStarted } from "../../src/objects/execution-children.ts";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api, uid } from "./helpers.ts";
import { poll, complete, eventually, describeExec } from "./hand-worker.ts";


describe("child workflows and continue-as-new (hand-driven worker)", () => {
  it("starts a child with a deterministic id and delivers its result to the parent", async () => {
    const queue = uid("q");
    const parent = uid("parent");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    const wt = await poll(queue);
    expect((await complete(wt.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "child", input: { n: 1 } }])).body.status).toBe("accepted");
    const childId = `${parent}:child-1`;
    // Two workflow tasks are now due on the queue: the child's first and the parent's (child started).
    const tasks = [await poll(queue), await poll(queue)];
    const childTask = tasks.find((t) => t.body.execution_id === childId)!;
    const parentTask = tasks.find((t) => t.body.execution_id === parent)!;
    expect(childTask.body.history[0]).toMatchObject({ type: "execution_started", input: { n: 1 }, parent_execution_id: parent });
    expect(parentTask.body.history.map((e: { type: string }) => e.type)).toContain("child_workflow_started");
    await complete(parentTask.body.task_token, []);
    await complete(childTask.body.task_token, [{ type: "complete_workflow", result: 42 }]);
    const wt3 = await poll(queue);
    expect(wt3.body.execution_id).toBe(parent);
    expect(wt3.body.history.find((e: { type: string }) => e.type === "child_workflow_completed")).toMatchObject({ seq: 1, execution_id: childId, result: 42 });
    await complete(wt3.body.task_token, [{ type: "complete_workflow", result: "done" }]);
    expect((await describeExec(childId)).parent_execution_id).toBe(parent);
  });

  it("applies parent close policies ABANDON, REQUEST_CANCEL and TERMINATE", async () => {
    const queue = uid("q");
    const parent = uid("pcp");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    const wt = await poll(queue);
    await complete(wt.body.task_token, [
      { type: "start_child_workflow", seq: 1, workflow: "child", input: null, parent_close_policy: "ABANDON" },
      { type: "start_child_workflow", seq: 2, workflow: "child", input: null, parent_close_policy: "REQUEST_CANCEL" },
      { type: "start_child_workflow", seq: 3, workflow: "child", input: null, parent_close_policy: "TERMINATE" },
      { type: "complete_workflow", result: null },
    ]);
    const [a, b, c] = [1, 2, 3].map((n) => `${parent}:child-${n}`);
    await eventually(async () => (await describeExec(c!)).status === "terminated");
    await eventually(async () => (await describeExec(b!)).cancel_requested === true);
    expect((await describeExec(a!)).status).toBe("running");
    expect((await describeExec(b!)).status).toBe("running");
  });

  it("surfaces a child failure in the parent as child_workflow_failed", async () => {
    const queue = uid("q");
    const parent = uid("pf");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    const wt = await poll(queue);
    await complete(wt.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "child", input: null, execution_id: `${parent}-kid` }]);
    await eventually(async () => (await describeExec(`${parent}-kid`)).status === "running");
    await api("POST", `/v1/workflows/executions/${parent}-kid/terminate`, { reason: "boom" });
    const failed = await eventually(async () => {
      const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events;
      return h.find((e: { type: string }) => e.type === "child_workflow_failed");
    });
    expect(failed).toMatchObject({ seq: 1, status: "terminated", failure: { message: "terminated: boom" } });
  });

  it("continues as new with a fresh history, the next run number and the new input", async () => {
    const queue = uid("q");
    const id = uid("can");
    const first = await api("POST", "/v1/workflows/executions", { workflow: "counter", execution_id: id, task_queue: queue, input: { count: 0 } });
    let runId = first.body.run_id;
    for (let i = 1; i <= 3; i++) {
      const wt = await poll(queue);
      expect(wt.body.history[0]).toMatchObject({ type: "execution_started", input: { count: i - 1 } });
      expect(wt.body.history).toHaveLength(3);
      await complete(wt.body.task_token, [{ type: "continue_as_new", input: { count: i } }]);
      const d = await describeExec(id);
      expect(d).toMatchObject({ status: "running", run_number: i + 1, previous_run_id: runId, input: { count: i } });
      runId = d.run_id;
    }
    const wt = await poll(queue);
    await complete(wt.body.task_token, [{ type: "complete_workflow", result: 3 }]);
    expect((await api("GET", `/v1/workflows/executions/${id}/result`)).body).toMatchObject({ status: "completed", result: 3 });
  });
});

describe("reset", () => {
  it("re-runs a failed run from a workflow task on current code, with the reason in history and earlier signals kept once", async () => {
    const queue = uid("q");
    const id = uid("reset");
    await api("POST", "/v1/workflows/executions", { workflow: "buggy", execution_id: id, task_queue: queue });
    const wt1 = await poll(queue);
    await complete(wt1.body.task_token, [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null }]);
    const at = await poll(queue, "activity");
    await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: 7 });
    await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: "after" });
    const wt2 = await poll(queue);
    // The bug: the workflow fails instead of using the result.
    await complete(wt2.body.task_token, [{ type: "fail_workflow", failure: { message: "bug" } }]);
    const before = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
    const completedIds = before.filter((e) => e.type === "workflow_task_completed").map((e) => e.id);
    const bad = await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: 1, reason: "x" });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_reset_point", field: "event_id" });
    expect(bad.body.detail).toBe("event_id: event 1 is an execution_started; reset needs a workflow_task_completed event");

    const r = await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: completedIds[1], reason: "bug fixed in activity logic" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "running", run_number: 2 });
    const wt3 = await poll(queue);
    const types = wt3.body.history.map((e: { type: string }) => e.type);
    expect(types).not.toContain("execution_failed");
    expect(wt3.body.history.find((e: { type: string }) => e.type === "workflow_task_failed")).toMatchObject({ failure: { message: "reset: bug fixed in activity logic", type: "ResetWorkflow" } });
    expect(wt3.body.history.find((e: { type: string }) => e.type === "activity_completed")).toMatchObject({ result: 7 });
    expect(types.filter((t: string) => t === "signal_received")).toHaveLength(1);
    await complete(wt3.body.task_token, [{ type: "complete_workflow", result: 7 }]);
    expect((await api("GET", `/v1/workflows/executions/${id}/result`)).body).toMatchObject({ status: "completed", result: 7 });
  });
});

describe("reset: messages after the reset point", () => {
  /** A run that accepted an update and got a signal after its first workflow task, then failed; returns that task's completed event id. */
  async function failedAfterMessages(prefix: string) {
    const queue = uid("q");
    const id = uid(prefix);
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    const update = api("POST", `/v1/workflows/executions/${id}/updates/set_limit`, { input: 5, update_id: `${id}-u1`, wait_seconds: 1 });
    const wt2 = await eventually(async () => {
      const t = await poll(queue);
      return t.status === 200 && t.body.updates.length > 0 ? t : null;
    });
    expect((await complete(wt2.body.task_token, [{ type: "accept_update", update_id: `${id}-u1` }])).status).toBe(200);
    await update; // accepted, not completed yet
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: "later" })).status).toBe(202);
    const wt3 = await poll(queue);
    expect((await complete(wt3.body.task_token, [{ type: "fail_workflow", failure: { message: "bug" } }])).status).toBe(200);
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
    const resetPoint = events.find((e) => e.type === "workflow_task_completed")!.id;
    return { id, queue, resetPoint };
  }

  const messageTypes = (history: { type: string }[]) => history.map((e) => e.type).filter((t) => t === "signal_received" || t === "update_accepted");

  it("are delivered again by default", async () => {
    const { id, queue, resetPoint } = await failedAfterMessages("reset-keep");
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: resetPoint, reason: "fixed" })).status).toBe(200);
    const wt = await poll(queue);
    expect(messageTypes(wt.body.history)).toEqual(["update_accepted", "signal_received"]);
    expect(wt.body.history.find((e: { type: string }) => e.type === "signal_received")).toMatchObject({ name: "nudge", input: "later" });
    expect(wt.body.history.find((e: { type: string }) => e.type === "update_accepted")).toMatchObject({ name: "set_limit", input: 5, update_id: `${id}-u1` });
  });

  it("exclude_signals and exclude_updates leave them out", async () => {
    const { id, queue, resetPoint } = await failedAfterMessages("reset-excl");
    const r = await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: resetPoint, reason: "fixed", exclude_signals: true, exclude_updates: true });
    expect(r.status).toBe(200);
    const wt = await poll(queue);
    expect(messageTypes(wt.body.history)).toEqual([]);
    expect(wt.body.history.at(-1)).toMatchObject({ type: "workflow_task_started" });
  });

  it("excluding only signals keeps the update", async () => {
    const { id, queue, resetPoint } = await failedAfterMessages("reset-sig");
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: resetPoint, reason: "fixed", exclude_signals: true })).status).toBe(200);
    expect(messageTypes((await poll(queue)).body.history)).toEqual(["update_accepted"]);
  });
});

describe("composition edge cases", () => {
  it("an update accepted or pending when the run continues as new ends with a 409, and the new run starts", async () => {
    const queue = uid("q");
    const id = uid("canupd");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/u`, { input: 1, update_id: "u1", wait_seconds: 5 });
    const wt = await eventually(async () => {
      const t = await poll(queue);
      return t.status === 200 ? t : null;
    });
    expect((await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u1" }, { type: "continue_as_new", input: { n: 2 } }])).status).toBe(200);
    const u = await pending;
    expect(u.status).toBe(409);
    expect(u.body.code).toBe("execution_closed");
    const next = await poll(queue);
    expect(next.body.history[0]).toMatchObject({ type: "execution_started", input: { n: 2 } });
  });

  it("gives children of later runs their own default ids, so a continued run's child really runs", async () => {
    const queue = uid("q");
    const parent = uid("cankid");
    await api("POST", "/v1/workflows/executions", { workflow: "loop", execution_id: parent, task_queue: queue });
    const first = await poll(queue);
    expect(first.body.run_number).toBe(1);
    await complete(first.body.task_token, [{ type: "continue_as_new", input: { i: 2 } }]);
    const second = await poll(queue);
    // The task says which run it is, so the SDK names the child as the platform does.
    expect(second.body.run_number).toBe(2);
    await complete(second.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: { i: 2 } }]);
    expect(defaultChildExecutionId(parent, second.body.run_number, 1)).toBe(`${parent}:run-2:child-1`);
    const kid = await eventually(async () => {
      const d = await describeExec(`${parent}:run-2:child-1`);
      return d.status === "running" ? d : null;
    });
    expect(kid.input).toEqual({ i: 2 });
  });

  it("a reset raises the run number its tasks carry, and a child started after it is named with it", async () => {
    const queue = uid("q");
    const parent = uid("resetnum");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "start_timer", seq: 1, duration: 0 }]);
    const wt = await eventually(async () => (await poll(queue)).body);
    await complete(wt.task_token, [{ type: "fail_workflow", failure: { message: "bug" } }]);
    const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { id: number; type: string }[];
    const point = h.filter((e) => e.type === "workflow_task_completed")[1]!.id;
    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fix" })).status).toBe(200);
    const again = await poll(queue);
    expect(again.body.run_number).toBe(2);
    await complete(again.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
    const childId = defaultChildExecutionId(parent, again.body.run_number, 1);
    expect(childId).toBe(`${parent}:run-2:child-1`);
    expect(await eventually(async () => (await describeExec(childId)).status === "running")).toBe(true);
  });

  it("a reset to before a child's result delivers that result again", async () => {
    const queue = uid("q");
    const parent = uid("resetkid");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
    const tasks = [await poll(queue), await poll(queue)];
    const kidTask = tasks.find((t) => t.body.execution_id === `${parent}:child-1`)!;
    const parentTask = tasks.find((t) => t.body.execution_id === parent)!;
    await complete(parentTask.body.task_token, []);
    await complete(kidTask.body.task_token, [{ type: "complete_workflow", result: 7 }]);
    const wt = await poll(queue);
    await complete(wt.body.task_token, [{ type: "fail_workflow", failure: { message: "bug" } }]);
    const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { id: number; type: string; run_id?: string }[];
    const afterStarted = h.filter((e) => e.type === "workflow_task_completed")[1]!.id;
    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: afterStarted, reason: "fix" })).status).toBe(200);
    const again = await poll(queue);
    expect(again.body.history.find((e: { type: string }) => e.type === "child_workflow_completed")).toMatchObject({ seq: 1, result: 7 });
    // The copied start keeps the first run's id, which seeds the workflow's deterministic random.
    expect(again.body.history[0].run_id).toBe(h[0]!.run_id);
  });

  it("a reset of a run that was asked to cancel starts a run that was not, and a new cancel reaches it", async () => {
    const queue = uid("q");
    const id = uid("resetcancel");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "start_timer", seq: 1, duration: 3600 }]);
    expect((await api("POST", `/v1/workflows/executions/${id}/cancel`, { reason: "first" })).status).toBe(202);
    await complete((await poll(queue)).body.task_token, [{ type: "cancel_workflow" }]);
    const h = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
    const first = h.find((e) => e.type === "workflow_task_completed")!.id;
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: first, reason: "again" })).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "running", cancel_requested: false });
    await complete((await poll(queue)).body.task_token, [{ type: "start_timer", seq: 1, duration: 3600 }]);
    expect((await api("POST", `/v1/workflows/executions/${id}/cancel`, { reason: "second" })).status).toBe(202);
    const task = await poll(queue);
    expect(task.body.history.map((e: { type: string }) => e.type)).toContain("execution_cancel_requested");
    // A reset to after that request keeps it: the workflow, replayed, may still cancel.
    await complete(task.body.task_token, []);
    const h2 = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
    const afterCancel = h2.filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: afterCancel, reason: "keep" })).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "running", cancel_requested: true });
    const replay = await poll(queue);
    expect((await complete(replay.body.task_token, [{ type: "cancel_workflow" }])).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("cancelled");
  });

  it("a reset keeps an activity cancel of the kept history: the activity is cancelled, not handed out again to a worker unaware of it", async () => {
    const queue = uid("q");
    const id = uid("reset-cancelled-activity");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { start_to_close_timeout: 100 } }]);
    const running = await poll(queue, "activity");
    await api("POST", "/v1/workflows/tasks/ack", { task_token: running.body.task_token });
    await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: 1 });
    expect((await complete((await poll(queue)).body.task_token, [{ type: "request_cancel_activity", seq: 1 }])).status).toBe(200);
    await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: 2 });
    expect((await complete((await poll(queue)).body.task_token, [])).status).toBe(200);
    const history = async () => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string; seq?: number }[];
    const point = (await history()).filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
    const reset = await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "r" });
    expect(reset.status).toBe(200);
    expect(reset.body.pending_activities).toEqual([]);
    // Before, the activity went out again as a fresh attempt whose heartbeats said no cancel was requested.
    expect((await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "activity", identity: "hand", wait_seconds: 0 })).status).toBe(204);
    const types = (await history()).map((e) => e.type);
    expect(types.slice(types.indexOf("activity_cancel_requested"))).toEqual(["activity_cancel_requested", "signal_received", "workflow_task_scheduled", "workflow_task_started", "workflow_task_failed", "activity_cancelled", "workflow_task_scheduled"]);
    const replay = await poll(queue);
    expect(replay.body.history.filter((e: { type: string }) => e.type === "activity_cancelled")).toEqual([expect.objectContaining({ seq: 1 })]);
    expect((await complete(replay.body.task_token, [{ type: "complete_workflow", result: "done" }])).status).toBe(200);
  });

  it("a child whose id names a closed execution gets that execution's outcome; one running for someone else fails to start", async () => {
    const queue = uid("q");
    const done = uid("done-kid");
    // An execution that ran and closed on its own.
    await api("POST", "/v1/workflows/executions", { workflow: "kid", execution_id: done, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "complete_workflow", result: "earlier" }]);
    const busy = uid("busy-kid");
    await api("POST", "/v1/workflows/executions", { workflow: "kid", execution_id: busy, task_queue: queue });
    const busyTask = await poll(queue);
    expect(busyTask.body.execution_id).toBe(busy);

    const parent = uid("reuse-parent");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [
      { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: done },
      { type: "start_child_workflow", seq: 2, workflow: "kid", input: null, execution_id: busy },
    ]);
    const next = await poll(queue);
    expect(next.body.execution_id).toBe(parent);
    const types = (next.body.history as { type: string; seq?: number; result?: unknown; failure?: { type: string } }[]).filter((e) => e.type.startsWith("child_workflow_") && e.type !== "child_workflow_initiated");
    expect(types).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: "child_workflow_started", seq: 1 }),
      expect.objectContaining({ type: "child_workflow_completed", seq: 1, result: "earlier" }),
      expect.objectContaining({ type: "child_workflow_start_failed", seq: 2, failure: expect.objectContaining({ type: "ChildWorkflowStartFailed" }) }),
    ]));
  });

  it("a child whose start is still waiting when its parent closes is stopped once it starts (policy TERMINATE), not left running", async () => {
    const queue = uid("q");
    const parent = uid("orphan-parent");
    const kid = `${parent}:child-1`;
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    // The child's object cannot be reached for now: the parent's outbox backs off its start.
    const proto = ExecutionObject.prototype as unknown as { start: (...a: unknown[]) => Promise<unknown> };
    const original = proto.start;
    proto.start = async function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { execution_id: string }).execution_id === kid) throw new Error("child object unavailable (test)");
      return original.apply(this, args);
    };
    try {
      await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, parent_close_policy: "TERMINATE" }]);
      await new Promise((r) => setTimeout(r, 100)); // the first delivery fails
      expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "done" })).status).toBe(200);
    } finally {
      proto.start = original;
    }
    // Later retries of the parent's outbox: the start is gone, so the child never runs.
    for (const dt of [2_000, 10_000, 60_000]) {
      clock.now = () => t0 + dt;
      await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${parent}`));
    }
    await eventually(async () => (await describeExec(kid)).status === "terminated");
  });

  it("news of a child start is recorded only for the child of that id (a start carried over from the previous run is not this run's child)", async () => {
    const queue = uid("q");
    const parent = uid("carried");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const proto = ExecutionObject.prototype as unknown as { start: (...a: unknown[]) => Promise<unknown> };
    const original = proto.start;
    proto.start = async function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { execution_id: string }).execution_id === `${parent}:mine`) throw new Error("unavailable (test)");
      return original.apply(this, args);
    };
    try {
      await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: `${parent}:mine` }]);
      await runInDurableObject(env.EXECUTIONS.getByName(`default/${parent}`), (obj) => {
        const store = (obj as unknown as { store: ExecutionStore }).store;
        recordChildStarted(store, Date.now(), 1, `${parent}:child-1`, "someone-elses-run", []);
        expect(store.child(1)).toMatchObject({ state: "initiated", execution_id: `${parent}:mine` });
      });
    } finally {
      proto.start = original;
    }
  });
});
