import { describe, expect, it } from "vitest";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { api, uid } from "./helpers.ts";

// A completion that offers a free workflow task slot (`next_workflow_task_queue`) gets the oldest
// workflow task waiting in that queue, of any run, leased to it in the response: under a backlog
// a worker picks up its next task without a poll (sdk/src/protocol/tasks.ts).

async function poll(kind: "workflow" | "activity", queue: string, wait = 0) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "poller", wait_seconds: wait });
}

async function start(queue: string, prefix = "next"): Promise<string> {
  const id = uid(prefix);
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
  return id;
}

async function history(id: string): Promise<{ type: string; [k: string]: unknown }[]> {
  return (await api("GET", `/v1/workflows/executions/${id}/history?page_size=200`)).body.events;
}

const complete = (token: string, extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [{ type: "complete_workflow", result: "done" }], ...extra });

describe("a completion offering a free workflow task slot", () => {
  it("gets the oldest waiting workflow task of the queue, leased to it and recorded like a polled one", async () => {
    const queue = uid("q-next");
    const a = await start(queue);
    const first = await poll("workflow", queue);
    // Taken from the queue, with nothing behind it.
    expect(first.body).toMatchObject({ execution_id: a, more_queued: false });
    const b = await start(queue);
    const c = await start(queue);
    const done = await complete(first.body.task_token, { next_workflow_task_queue: queue, identity: "busy-worker" });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe("accepted");
    // c waits behind b: the worker keeps asking on its completions.
    expect(done.body.workflow_task).toMatchObject({ kind: "workflow", execution_id: b, attempt: 1, more_queued: true });
    expect(Date.parse(done.body.workflow_task.available_at)).toBeGreaterThan(0);
    expect((await history(b)).find((e) => e.type === "workflow_task_started")).toMatchObject({ identity: "busy-worker" });
    // c is still queued, for the next poll or completion; a is closed.
    expect((await poll("workflow", queue)).body).toMatchObject({ execution_id: c, more_queued: false });
    // A task handed straight to a waiting poll was never queued: no more_queued at all.
    const waiting = poll("workflow", queue, 5);
    await new Promise((r) => setTimeout(r, 200));
    const d = await start(queue);
    const direct = (await waiting).body;
    expect(direct.execution_id).toBe(d);
    expect(direct.more_queued).toBeUndefined();
    expect((await api("GET", `/v1/workflows/executions/${a}`)).body.status).toBe("completed");
    // The task handed back completes like any other.
    expect((await complete(done.body.workflow_task.task_token)).body).toEqual({ status: "accepted" });
    expect((await api("GET", `/v1/workflows/executions/${b}`)).body).toMatchObject({ status: "completed", result: "done" });
  });

  it("gets nothing when the queue is empty or the offer names another queue, and nothing without the offer", async () => {
    const queue = uid("q-next-empty");
    await start(queue);
    const t1 = await poll("workflow", queue);
    expect((await complete(t1.body.task_token, { next_workflow_task_queue: queue })).body).toEqual({ status: "accepted" });

    await start(queue);
    const t2 = await poll("workflow", queue);
    const waiting = await start(queue);
    // No offer: the waiting task stays queued.
    expect((await complete(t2.body.task_token)).body).toEqual({ status: "accepted" });
    await start(queue);
    const t3 = await poll("workflow", queue);
    expect(t3.body.execution_id).toBe(waiting);
    // An offer for another queue takes nothing from this one.
    expect((await complete(t3.body.task_token, { next_workflow_task_queue: uid("q-other") })).body).toEqual({ status: "accepted" });
    expect((await poll("workflow", queue)).status).toBe(200);
  });

  it("on an activity completion: the run's own next workflow task wins; without it, a waiting one of another run", async () => {
    const queue = uid("q-next-act");
    const a = await start(queue);
    const wt = await poll("workflow", queue);
    const scheduled = await api("POST", "/v1/workflows/tasks/workflow/complete", {
      task_token: wt.body.task_token,
      commands: [{ type: "schedule_activity", seq: 1, activity_type: "x", input: null }, { type: "schedule_activity", seq: 2, activity_type: "x", input: null }],
      eager_activity_slots: 2,
    });
    const [act1, act2] = scheduled.body.activity_tasks;
    const b = await start(queue);
    // Eager and next offered: the activity's own run's workflow task comes back, b stays queued.
    const own = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: act1.task_token, result: 1, eager_workflow_task: true, next_workflow_task_queue: queue });
    expect(own.body.workflow_task).toMatchObject({ execution_id: a });
    // a's workflow task is running now, so the second result causes none: b's comes back instead.
    const other = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: act2.task_token, result: 2, eager_workflow_task: true, next_workflow_task_queue: queue });
    expect(other.body).toMatchObject({ status: "accepted", workflow_task: { execution_id: b } });
    expect((await poll("workflow", queue)).status).toBe(204);
  });

  it("skips stale entries, and answers the completion even when the waiting task's run cannot be reached (the task goes back)", async () => {
    const queue = uid("q-next-stale");
    const a = await start(queue);
    const first = await poll("workflow", queue);
    const stale = await start(queue);
    await api("POST", `/v1/workflows/executions/${stale}/terminate`, { reason: "gone" });
    const live = await start(queue);
    const done = await complete(first.body.task_token, { next_workflow_task_queue: queue });
    expect(done.body.workflow_task).toMatchObject({ execution_id: live });
    expect((await api("GET", `/v1/workflows/executions/${a}`)).body.status).toBe("completed");

    const t = done.body.workflow_task;
    const unreachable = await start(queue);
    const proto = ExecutionObject.prototype as unknown as { startWorkflowTask: (...args: unknown[]) => unknown };
    const original = proto.startWorkflowTask;
    proto.startWorkflowTask = function () {
      throw new Error("injected fault: run unreachable");
    };
    let answered;
    try {
      answered = await complete(t.task_token, { next_workflow_task_queue: queue });
    } finally {
      proto.startWorkflowTask = original;
    }
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ status: "accepted" });
    expect((await api("GET", `/v1/workflows/executions/${live}`)).body.status).toBe("completed");
    // Put back for a second, then polled as usual.
    const again = await poll("workflow", queue, 3);
    expect(again.body.execution_id).toBe(unreachable);
  });

  it("rejects a malformed queue name with a 422 naming the field, and applies nothing", async () => {
    const queue = uid("q-next-bad");
    const id = await start(queue);
    const t = await poll("workflow", queue);
    const bad = await complete(t.body.task_token, { next_workflow_task_queue: "" });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("next_workflow_task_queue");
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("running");
  });
});
