import { describe, expect, it } from "vitest";
import { whileFailing } from "./faults.ts";
import { api, poll, uid } from "./helpers.ts";

// A poll takes a task whose run cannot be reached while leasing it (the run's object reset or
// unreachable for a moment). That is no fault of the worker and says nothing about the other
// tasks: the task goes back to its queue (for a second) and the poll carries on waiting for
// another task until its deadline, never answering 500. The fault is injected into the real
// ExecutionObject (workerd offers no way to make a single object unreachable on demand).

async function startRun(queue: string): Promise<string> {
  const id = uid("unreach");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
  return id;
}

describe("a poll whose task's run throws while leasing", () => {
  it("puts the task back and gives the poller the next task instead of a 500", async () => {
    const queue = uid("q-unreach");
    const first = await startRun(queue);
    const second = await startRun(queue);
    const r = await whileFailing(["startWorkflowTask"], () => poll("workflow", queue, 3), 1);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: "workflow", execution_id: second });
    // The first run's task was put back: it goes out again a second later.
    const again = await poll("workflow", queue, 3);
    expect(again.body).toMatchObject({ kind: "workflow", execution_id: first, attempt: 1 });
  });

  it("with no other task, waits out its hold and answers 204 (not 500); the task is handed out later", async () => {
    const queue = uid("q-unreach");
    const id = await startRun(queue);
    const wt = await poll("workflow", queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: {} }] });
    const t0 = Date.now();
    const r = await whileFailing(["startActivityTask"], () => poll("activity", queue, 1));
    expect(r.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const again = await poll("activity", queue, 3);
    expect(again.body).toMatchObject({ kind: "activity", execution_id: id, seq: 1, attempt: 1 });
  });
});
