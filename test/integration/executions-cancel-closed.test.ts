import { describe, expect, it } from "vitest";
import { api, poll, uid } from "./helpers.ts";

// A cancel of an execution that has already closed (Temporal: RequestCancelWorkflowExecution on a
// closed run is an error). A cancel sent again to a run that closed as cancelled is a retry of the
// request that ended it: a success (202), nothing written. Any other closed run is a 409
// `execution_closed` naming `execution_id`, and its history is left as it is.

async function closedRun(commands: unknown[]): Promise<string> {
  const queue = uid("q-cc");
  const id = uid("cancel-closed");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
  const wt = await poll("workflow", queue);
  expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands })).body).toEqual({ status: "accepted" });
  return id;
}

const historyLength = async (id: string): Promise<number> => (await api("GET", `/v1/workflows/executions/${id}/history?page_size=500`)).body.events.length;

/** A stop (`cancel` or `terminate`) of a run that completed or failed: 409 execution_closed naming execution_id, nothing recorded. */
function refusedOnceClosed(action: "cancel" | "terminate"): void {
  it.each([
    ["completed", [{ type: "complete_workflow", result: 1 }]],
    ["failed", [{ type: "fail_workflow", failure: { message: "boom", type: "E" } }]],
  ])("%s: 409 execution_closed naming execution_id, nothing recorded", async (status, commands) => {
    const id = await closedRun(commands);
    const before = await historyLength(id);
    const r = await api("POST", `/v1/workflows/executions/${id}/${action}`, { reason: "too late" });
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "execution_closed", field: "execution_id" });
    expect(r.body.detail).toContain(status);
    expect(await historyLength(id)).toBe(before);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status, cancel_requested: false });
  });
}

describe("cancel of a closed execution", () => {
  refusedOnceClosed("cancel");

  it("terminated: 409 execution_closed", async () => {
    const queue = uid("q-cc");
    const id = uid("cancel-term");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "stop" })).body.status).toBe("terminated");
    expect((await api("POST", `/v1/workflows/executions/${id}/cancel`, {})).body).toMatchObject({ status: 409, code: "execution_closed", field: "execution_id" });
  });

  it("cancelled: a retry of the cancel stays a success (202), nothing recorded twice", async () => {
    const queue = uid("q-cc");
    const id = uid("cancel-again");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue)).body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 100 }] });
    expect((await api("POST", `/v1/workflows/executions/${id}/cancel`, { reason: "user asked" })).status).toBe(202);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue)).body.task_token, commands: [{ type: "cancel_timer", seq: 1 }, { type: "cancel_workflow" }] });
    const before = await historyLength(id);
    const again = await api("POST", `/v1/workflows/executions/${id}/cancel`, { reason: "user asked" });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ execution_id: id, status: "cancelled", cancel_requested: true });
    expect(await historyLength(id)).toBe(before);
  });
});

// Terminate follows the same rule: a retry of the terminate that ended the run is a success (200,
// nothing recorded twice); any other closed run is a 409 `execution_closed` (Temporal's
// TerminateWorkflowExecution on a closed run is an error too).
describe("terminate of a closed execution", () => {
  refusedOnceClosed("terminate");

  it("terminated: a retry of the terminate stays a success (200), nothing recorded twice", async () => {
    const queue = uid("q-tc");
    const id = uid("term-again");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "stop" })).body.status).toBe("terminated");
    const before = await historyLength(id);
    const again = await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "stop" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ execution_id: id, status: "terminated" });
    expect(await historyLength(id)).toBe(before);
  });

  it("cancelled: 409 execution_closed", async () => {
    const queue = uid("q-tc");
    const id = uid("term-cancelled");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    expect((await api("POST", `/v1/workflows/executions/${id}/cancel`, {})).status).toBe(202);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue)).body.task_token, commands: [{ type: "cancel_workflow" }] });
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, {})).body).toMatchObject({ status: 409, code: "execution_closed", field: "execution_id" });
  });
});
