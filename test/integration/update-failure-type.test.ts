import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { complete, poll } from "./hand-worker.ts";

// "ExecutionClosed" is the failure type the platform gives an update its run ended without
// answering (a 409 execution_closed for its caller). A workflow's own error may have that name
// too (an order-execution domain, say): its update answers with the workflow's failure, never
// with the platform's 409, before and after a continue-as-new and a reset.

const userFailure = { message: "the order book is closed", type: "ExecutionClosed", non_retryable: true };

async function taskWithUpdate(queue: string) {
  for (let i = 0; i < 50; i++) {
    const t = await poll(queue);
    if (t.status === 200 && (t.body.updates as unknown[]).length > 0) return t;
    if (t.status === 200) await complete(t.body.task_token, []);
  }
  throw new Error("no workflow task with the update");
}

async function started(queue: string) {
  const id = uid("updtype");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
  await complete((await poll(queue)).body.task_token, []);
  return id;
}

const send = (id: string, updateId: string, waitSeconds = 10) => api("POST", `/v1/workflows/executions/${id}/updates/place`, { input: 1, update_id: updateId, wait_seconds: waitSeconds });

describe("an update failure the workflow named ExecutionClosed", () => {
  it("a validator's rejection is a 422 update_rejected, not the platform's 409, and a retry says so again", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const pending = send(id, "u1");
    const wt = await taskWithUpdate(queue);
    expect((await complete(wt.body.task_token, [{ type: "reject_update", update_id: "u1", failure: userFailure }])).status).toBe(200);
    const first = await pending;
    expect(first.status, JSON.stringify(first.body)).toBe(422);
    expect(first.body.code).toBe("update_rejected");
    const retry = await send(id, "u1", 1);
    expect(retry.status).toBe(422);
    expect(retry.body.code).toBe("update_rejected");
    // A reset keeps the workflow's rejection (the platform's ExecutionClosed would be forgotten).
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
    const point = events.filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    const afterReset = await send(id, "u1", 1);
    expect(afterReset.status, JSON.stringify(afterReset.body)).toBe(422);
    expect(afterReset.body.code).toBe("update_rejected");
  }, 30_000);

  it("a handler's failure answers as the update's outcome after a continue-as-new", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const pending = send(id, "u1");
    const wt = await taskWithUpdate(queue);
    expect((await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u1" }])).status).toBe(200);
    expect((await complete((await poll(queue)).body.task_token, [{ type: "complete_update", update_id: "u1", failure: userFailure }])).status).toBe(200);
    const first = await pending;
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ update_id: "u1", status: "completed", failure: { type: "ExecutionClosed" } });
    // A signal for a workflow task in which the run continues as new.
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/go`, {})).status).toBe(202);
    const wt2 = await poll(queue);
    expect((await complete(wt2.body.task_token, [{ type: "continue_as_new", input: null }])).status).toBe(200);
    const again = await send(id, "u1", 1);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ update_id: "u1", status: "completed", failure: { type: "ExecutionClosed", message: userFailure.message } });
  }, 30_000);
});
