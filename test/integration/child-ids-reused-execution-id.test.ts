import { describe, expect, it } from "vitest";
import { defaultChildExecutionId } from "@sundial/sdk/protocol";
import { api, uid } from "./helpers.ts";
import { complete, describeExec, eventually, poll } from "./hand-worker.ts";

// A start (id_reuse_policy allow_duplicate, or signal-with-start's default) that begins a new
// execution under a closed id numbers on from the id's last run: run numbers never repeat under
// one id, so the new run's default child ids are never an earlier run's children's.

type Event = { type: string; seq?: number; execution_id?: string; result?: unknown; failure?: { message: string } };

const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[];
const childNews = (events: Event[]) => events.filter((e) => e.type.startsWith("child_workflow_") && e.type !== "child_workflow_initiated");

/** The next workflow task of `id` on `queue`, passing over (and leaving leased) any other execution's. */
async function taskOf(queue: string, id: string) {
  return eventually(async () => {
    const t = await poll(queue);
    return t.body?.execution_id === id ? t : null;
  });
}

describe("default child ids of a new execution begun under a closed execution id", () => {
  it("a start with allow_duplicate is run 2, and its child really runs instead of getting the first run's child's result", async () => {
    const queue = uid("q");
    const parent = uid("dup-parent");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    await complete((await taskOf(queue, parent)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
    // The child's first task and the parent's (child started), in either order.
    const tasks = [await poll(queue), await poll(queue)];
    const task = (id: string) => tasks.find((t) => t.body?.execution_id === id)!;
    await complete(task(parent).body.task_token, []);
    await complete(task(`${parent}:child-1`).body.task_token, [{ type: "complete_workflow", result: "first run's child" }]);
    await complete((await taskOf(queue, parent)).body.task_token, [{ type: "complete_workflow", result: "done 1" }]);
    expect((await describeExec(parent)).status).toBe("completed");

    const again = await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue, id_reuse_policy: "allow_duplicate", input: { second: true } });
    expect(again.status).toBe(201);
    // A new execution: nothing links it to the closed run, but its number goes on.
    expect(await describeExec(parent)).toMatchObject({ status: "running", run_number: 2, previous_run_id: null });
    const wt = await taskOf(queue, parent);
    expect(wt.body.run_number).toBe(2);
    await complete(wt.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: { second: true } }]);
    // The SDK names the child from the task's run number, as the platform does.
    const kidId = defaultChildExecutionId(parent, wt.body.run_number, 1);
    expect(kidId).toBe(`${parent}:run-2:child-1`);
    const kidTask = await taskOf(queue, kidId);
    expect(kidTask.body.history[0]).toMatchObject({ type: "execution_started", input: { second: true }, parent_execution_id: parent });
    const news = await eventually(async () => {
      const n = childNews(await history(parent));
      return n.length > 0 ? n : null;
    });
    expect(news).toEqual([expect.objectContaining({ type: "child_workflow_started", seq: 1, execution_id: kidId })]);
    // The first run's child is untouched.
    expect(await describeExec(`${parent}:child-1`)).toMatchObject({ status: "completed", result: "first run's child" });
  });

  it("a signal-with-start that begins the id anew starts its child while the earlier run's abandoned child still runs", async () => {
    const queue = uid("q");
    const parent = uid("sws-parent");
    await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
    // The first run starts an ABANDON child and ends; the child keeps running, as documented.
    await complete((await taskOf(queue, parent)).body.task_token, [
      { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, parent_close_policy: "ABANDON" },
      { type: "complete_workflow", result: "done 1" },
    ]);
    await eventually(async () => (await describeExec(`${parent}:child-1`)).status === "running");
    const sws = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "parent", execution_id: parent, task_queue: queue, signal_name: "go" });
    expect(sws.status).toBe(201);
    const wt = await taskOf(queue, parent);
    expect(wt.body.run_number).toBe(2);
    await complete(wt.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
    const news = await eventually(async () => {
      const n = childNews(await history(parent));
      return n.length > 0 ? n : null;
    });
    expect(news).toEqual([expect.objectContaining({ type: "child_workflow_started", seq: 1, execution_id: `${parent}:run-2:child-1` })]);
    expect((await describeExec(`${parent}:child-1`)).status).toBe("running");
  });

  it("run numbers go on through every way a run begins: a reset of a run begun anew is run 3", async () => {
    const queue = uid("q");
    const parent = uid("renum");
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "first" })).status).toBe(200);
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue, id_reuse_policy: "allow_duplicate" });
    const begun = await describeExec(parent);
    expect(begun).toMatchObject({ run_number: 2, previous_run_id: null });
    await complete((await taskOf(queue, parent)).body.task_token, [{ type: "start_timer", seq: 1, duration: 60 }]);
    const point = (await history(parent)).find((e) => e.type === "workflow_task_completed") as { id: number } | undefined;
    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point!.id, reason: "again" })).status).toBe(200);
    expect(await describeExec(parent)).toMatchObject({ run_number: 3, previous_run_id: begun.run_id });
  });
});
