import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, poll, uid } from "./helpers.ts";

// A worker shutting down hands its unfinished workflow tasks back (the SDK fails them with the
// `WorkerShutdown` type, as it does activities): nothing went wrong with the code or the worker, so
// another worker gets the task at once, as the same attempt, where a real failure backs off.

type Event = { type: string; attempt?: number; failure?: { type?: string } };
const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[];
const handBack = { message: "worker w1 shut down before the workflow task finished", type: "WorkerShutdown", non_retryable: false };

/** A run of workflow "w" started now (the clock held there), its first workflow task polled. */
async function firstTask(prefix: string) {
  const id = uid(prefix);
  const queue = uid("q");
  const t0 = Date.now();
  clock.now = () => t0;
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  return { id, queue, wt: await poll("workflow", queue) };
}

describe("a workflow task handed back at shutdown", () => {
  it("goes out again at once, as the same attempt, to another poller", async () => {
    const { id, queue, wt } = await firstTask("wthb");
    expect((await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt.body.task_token, failure: handBack })).body).toEqual({ status: "accepted" });
    // Same instant: no backoff to wait out, no alarm needed.
    const again = await poll("workflow", queue);
    expect(again.status).toBe(200);
    expect(again.body.execution_id).toBe(id);
    expect(again.body.attempt).toBe(1);
    const h = await events(id);
    expect(h.map((e) => e.type)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started", "workflow_task_failed", "workflow_task_scheduled", "workflow_task_started"]);
    expect(h[3]!.failure?.type).toBe("WorkerShutdown");
    expect(h[4]!.attempt).toBe(1);
    // The hand-back sent again, or a completion of the handed-back task, is a duplicate and changes nothing.
    expect((await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt.body.task_token, failure: handBack })).body).toEqual({ status: "duplicate" });
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: 1 }] })).body).toEqual({ status: "duplicate" });
    expect((await events(id)).length).toBe(6);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: again.body.task_token, commands: [{ type: "complete_workflow", result: 2 }] })).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "completed", result: 2 });
  });

  it("handed back more than 3 times in a row, it counts as a failure and backs off", async () => {
    const { id, queue, wt } = await firstTask("wthb-loop");
    let token = wt.body.task_token as string;
    for (let i = 1; i <= 3; i++) {
      expect((await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: token, failure: handBack })).body).toEqual({ status: "accepted" });
      const again = await poll("workflow", queue, 0);
      expect([i, again.status, again.body.attempt]).toEqual([i, 200, 1]);
      token = again.body.task_token;
    }
    expect((await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: token, failure: handBack })).body).toEqual({ status: "accepted" });
    expect((await poll("workflow", queue, 0)).status).toBe(204);
    const last = (await events(id)).slice(-1)[0]!;
    expect(last).toMatchObject({ type: "workflow_task_failed", failure: { type: "WorkerShutdown" } });
    // A completed task between hand-backs starts the count again.
    const other = await firstTask("wthb-reset");
    let t = other.wt.body.task_token as string;
    for (let i = 1; i <= 3; i++) {
      await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: t, failure: handBack });
      t = (await poll("workflow", other.queue, 0)).body.task_token;
    }
    expect((await api("POST", `/v1/workflows/executions/${other.id}/signals/go`, {})).status).toBe(202);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: t, commands: [] });
    const next = await poll("workflow", other.queue, 0);
    expect(next.status).toBe(200);
    await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: next.body.task_token, failure: handBack });
    expect((await poll("workflow", other.queue, 0)).status).toBe(200);
  });

  it("a real failure still backs off (no task until its retry time)", async () => {
    const { queue, wt } = await firstTask("wtfail");
    await api("POST", "/v1/workflows/tasks/workflow/fail", { task_token: wt.body.task_token, failure: { message: "bug", type: "Error" } });
    expect((await poll("workflow", queue, 0)).status).toBe(204);
  });
});
