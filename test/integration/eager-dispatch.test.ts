import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";

// Eager dispatch: a completion that offers free slots gets the tasks it creates on its own queue
// leased to it in the response, instead of queued (sdk/src/protocol/tasks.ts).

/** A poll that does not wait: 204 when nothing is queued. */
async function poll(kind: "workflow" | "activity", queue: string, wait = 0) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "poller", wait_seconds: wait });
}

async function history(id: string): Promise<{ id: number; type: string; [k: string]: unknown }[]> {
  return (await api("GET", `/v1/workflows/executions/${id}/history?page_size=200`)).body.events;
}

const activity = (seq: number, extra: Record<string, unknown> = {}) => ({ type: "schedule_activity", seq, activity_type: "a", input: { n: seq }, ...extra });

/** Starts an execution on a fresh queue and polls its first workflow task. */
async function started(): Promise<{ id: string; queue: string; wt: { task_token: string } }> {
  const id = uid("eager");
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  const wt = await poll("workflow", queue, 1);
  expect(wt.status).toBe(200);
  return { id, queue, wt: wt.body };
}

describe("eager dispatch", () => {
  it("hands the scheduled activity back in the completion, leased and recorded like a polled one", async () => {
    const { id, queue, wt } = await started();
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1)], eager_activity_slots: 4, identity: "eager-worker" });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe("accepted");
    expect(c.body.activity_tasks).toHaveLength(1);
    const task = c.body.activity_tasks[0];
    expect(task).toMatchObject({ kind: "activity", execution_id: id, activity_type: "a", seq: 1, attempt: 1, input: { n: 1 }, heartbeat_timeout: null });
    expect(typeof task.task_token).toBe("string");
    expect(Date.parse(task.available_at)).toBeGreaterThan(0);
    // Never queued: a poller finds nothing.
    expect((await poll("activity", queue)).status).toBe(204);
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body.pending_activities[0]).toMatchObject({ seq: 1, state: "started", attempt: 1 });
    // The token works like a polled one: heartbeat, then complete.
    expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: task.task_token })).body).toEqual({ cancel_requested: false });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: task.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
    const h = await history(id);
    expect(h.find((e) => e.type === "activity_started")).toMatchObject({ scheduled_event_id: 5, attempt: 1, identity: "eager-worker" });
    expect(h.find((e) => e.type === "activity_completed")).toMatchObject({ seq: 1, result: "ok" });
  });

  it("hands nothing back when no slots are offered, and at most as many as offered", async () => {
    const { queue, wt } = await started();
    const none = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1)] });
    expect(none.body).toEqual({ status: "accepted" });
    expect((await poll("activity", queue)).body).toMatchObject({ seq: 1 });

    const other = await started();
    const zero = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: other.wt.task_token, commands: [activity(1)], eager_activity_slots: 0 });
    expect(zero.body).toEqual({ status: "accepted" });
    expect((await poll("activity", other.queue)).body).toMatchObject({ seq: 1 });

    const three = await started();
    const one = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: three.wt.task_token, commands: [activity(1), activity(2), activity(3)], eager_activity_slots: 2, identity: "w" });
    expect(one.body.activity_tasks.map((t: { seq: number }) => t.seq)).toEqual([1, 2]);
    expect((await poll("activity", three.queue)).body).toMatchObject({ seq: 3 });
    expect((await poll("activity", three.queue)).status).toBe(204);
  });

  it("queues activities bound for another task queue instead of handing them back", async () => {
    const { id, wt } = await started();
    const elsewhere = uid("other-q");
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1, { options: { task_queue: elsewhere } }), activity(2)], eager_activity_slots: 1, identity: "w" });
    expect(c.body.activity_tasks.map((t: { seq: number }) => t.seq)).toEqual([2]);
    expect((await poll("activity", elsewhere)).body).toMatchObject({ execution_id: id, seq: 1 });
  });

  it("answers a duplicate completion without handing anything out again or changing history", async () => {
    const { id, queue, wt } = await started();
    const body = { task_token: wt.task_token, commands: [activity(1)], eager_activity_slots: 1, identity: "w" };
    const first = await api("POST", "/v1/workflows/tasks/workflow/complete", body);
    expect(first.body.activity_tasks).toHaveLength(1);
    const before = await history(id);
    const again = await api("POST", "/v1/workflows/tasks/workflow/complete", body);
    expect(again.body).toEqual({ status: "duplicate" });
    expect(await history(id)).toEqual(before);
    expect((await poll("activity", queue)).status).toBe(204);
    // The same token with other commands is still that applied completion: nothing new is written or handed out.
    const stale = await api("POST", "/v1/workflows/tasks/workflow/complete", { ...body, commands: [activity(2)] });
    expect(stale.body).toEqual({ status: "duplicate" });
  });

  it("hands the next workflow task back to an activity completion that offers a workflow slot", async () => {
    const { id, queue, wt } = await started();
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1)], eager_activity_slots: 1, identity: "eager-worker" });
    const at = c.body.activity_tasks[0];
    const done = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.task_token, result: 42, eager_workflow_task: true, identity: "eager-worker" });
    expect(done.body.status).toBe("accepted");
    const next = done.body.workflow_task;
    expect(next).toMatchObject({ kind: "workflow", execution_id: id, workflow: "w", attempt: 1, continue_as_new_suggested: false });
    // The whole history, ending with the completion and this task's start.
    expect(next.history).toHaveLength(9);
    expect(next.history.slice(-3).map((e: { type: string }) => e.type)).toEqual(["activity_completed", "workflow_task_scheduled", "workflow_task_started"]);
    expect(next.history.at(-1)).toMatchObject({ scheduled_event_id: 8, identity: "eager-worker" });
    expect(next.available_at).toBe(next.history.at(-2).ts);
    expect((await poll("workflow", queue)).status).toBe(204);
    const fin = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: next.task_token, commands: [{ type: "complete_workflow", result: 42 }], eager_activity_slots: 3, identity: "eager-worker" });
    expect(fin.body).toEqual({ status: "accepted" });
    expect((await api("GET", `/v1/workflows/executions/${id}/result`)).body).toMatchObject({ status: "completed", result: 42 });
    // A retried activity completion is a duplicate and carries no task.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.task_token, result: 42, eager_workflow_task: true })).body).toEqual({ status: "duplicate" });
  });

  it("queues the workflow task as usual when no slot is offered, or when one is already running", async () => {
    const { queue, wt } = await started();
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1), activity(2)], eager_activity_slots: 2, identity: "w" });
    const [a1, a2] = c.body.activity_tasks;
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: a1.task_token, result: 1 })).body).toEqual({ status: "accepted" });
    const wt2 = await poll("workflow", queue);
    expect(wt2.status).toBe(200);
    // A workflow task is running: the second completion only notes that another one is needed.
    const d2 = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: a2.task_token, result: 2, eager_workflow_task: true, identity: "w" });
    expect(d2.body).toEqual({ status: "accepted" });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [] });
    expect((await poll("workflow", queue)).status).toBe(200);
  });

  it("hands a lost eager activity out again through the delivery-ack timeout", async () => {
    const { id, queue, wt } = await started();
    const t0 = Date.now();
    clock.now = () => t0;
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1, { options: { retry: { maximum_attempts: 1 } } })], eager_activity_slots: 1, identity: "vanished" });
    const lost = c.body.activity_tasks[0];
    // Never acknowledged (no ack, heartbeat or result): the same attempt is queued again.
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const again = await poll("activity", queue);
    expect(again.body).toMatchObject({ seq: 1, attempt: 1 });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: lost.task_token, result: "zombie" })).status).toBe(409);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: again.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
    expect((await history(id)).find((e) => e.type === "activity_started")).toMatchObject({ identity: "poller" });
  });

  it("hands a lost eager workflow task out again through the delivery-ack timeout", async () => {
    const { id, queue, wt } = await started();
    const c = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.task_token, commands: [activity(1)], eager_activity_slots: 1, identity: "w" });
    const t0 = Date.now();
    clock.now = () => t0;
    const done = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: c.body.activity_tasks[0].task_token, result: 1, eager_workflow_task: true, identity: "vanished" });
    const lost = done.body.workflow_task;
    expect(lost.attempt).toBe(1);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const retried = await poll("workflow", queue);
    expect(retried.body.attempt).toBe(2);
    expect(retried.body.history.map((e: { type: string }) => e.type)).toContain("workflow_task_timed_out");
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: lost.task_token, commands: [] })).status).toBe(409);
  });
});
