import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import { complete, describeExec, eventually, poll, storeOf, stub } from "./hand-worker.ts";

// What a continue-as-new does to the work the old run left open (README, "Child workflows and
// continue-as-new"): its activities and timers end with it, its children follow their policy.

const realNow = clock.now;
afterEach(() => {
  clock.now = realNow;
});

const historyTypes = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events.map((e: { type: string }) => e.type);

describe("continue-as-new with work still open", () => {
  it("drops the old run's activities and timers: a lease still held hears 409 stale_task, a queued attempt and the timer never reach the new run", async () => {
    const queue = uid("q");
    const id = uid("can-pending");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const once = { retry: { maximum_attempts: 1 } };
    await complete((await poll(queue)).body.task_token, [
      { type: "schedule_activity", seq: 1, activity_type: "a", input: "old-1", options: once },
      { type: "schedule_activity", seq: 2, activity_type: "a", input: "old-2", options: once },
      { type: "start_timer", seq: 1, duration: 30 },
    ]);
    const held = await poll(queue, "activity");
    expect(held.body).toMatchObject({ seq: 1, input: "old-1" });
    // A signal wakes the run, whose task continues it as new with seq 2 still queued and the timer running.
    await api("POST", `/v1/workflows/executions/${id}/signals/go`, {});
    expect((await complete((await poll(queue)).body.task_token, [{ type: "continue_as_new", input: 2 }])).status).toBe(200);
    const next = await poll(queue);
    expect(next.body).toMatchObject({ execution_id: id, run_number: 2 });
    // The new run numbers its activities from 1 again: the old lease must not complete this one.
    await complete(next.body.task_token, [{ type: "schedule_activity", seq: 1, activity_type: "a", input: "new-1", options: once }]);
    for (const path of ["heartbeat", "complete"]) {
      const late = await api("POST", `/v1/workflows/tasks/activity/${path}`, { task_token: held.body.task_token, ...(path === "complete" ? { result: "late" } : {}) });
      expect(late.status).toBe(409);
      expect(late.body.code).toBe("stale_task");
    }
    expect((await poll(queue, "activity")).body).toMatchObject({ seq: 1, input: "new-1" });
    expect((await poll(queue, "activity")).status).toBe(204);
    clock.now = () => Date.now() + 31_000;
    await runDurableObjectAlarm(stub(id));
    expect(await historyTypes(id)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started", "workflow_task_completed", "activity_scheduled"]);
    expect((await describeExec(id)).pending_activities).toEqual([expect.objectContaining({ seq: 1, activity_type: "a" })]);
  });

  it("applies each child's parent close policy, and an abandoned child's later outcome goes to no run", async () => {
    const queue = uid("q");
    const parent = uid("can-kids");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, (["ABANDON", "REQUEST_CANCEL", "TERMINATE"] as const).map((policy, i) => ({ type: "start_child_workflow", seq: i + 1, workflow: "child", input: null, parent_close_policy: policy })));
    const [abandoned, asked, terminated] = [1, 2, 3].map((n) => `${parent}:child-${n}`) as [string, string, string];
    const tasks: { body: { execution_id: string; task_token: string } }[] = [];
    for (let i = 0; i < 4; i++) tasks.push((await poll(queue)) as (typeof tasks)[number]);
    const taskOf = (id: string) => tasks.find((t) => t.body.execution_id === id)!.body.task_token;
    expect((await complete(taskOf(parent), [{ type: "continue_as_new", input: null }])).status).toBe(200);
    await eventually(async () => (await describeExec(terminated)).status === "terminated");
    const stop = (await api("GET", `/v1/workflows/executions/${terminated}/history`)).body.events.at(-1);
    expect(stop).toMatchObject({ type: "execution_terminated", reason: "parent closed (parent close policy TERMINATE)" });
    await eventually(async () => (await describeExec(asked)).cancel_requested === true);
    expect(await describeExec(abandoned)).toMatchObject({ status: "running", cancel_requested: false });
    await complete(taskOf(abandoned), [{ type: "complete_workflow", result: 7 }]);
    await eventually(async () => (await describeExec(abandoned)).status === "completed");
    // The abandoned child's close notice was delivered (it left the child's outbox) and not recorded.
    await eventually(() => runInDurableObject(stub(abandoned), (obj) => !storeOf(obj).outbox.has("callback")));
    expect(await historyTypes(parent)).toEqual(["execution_started", "workflow_task_scheduled"]);
    expect(await describeExec(parent)).toMatchObject({ status: "running", run_number: 2 });
  });
});
