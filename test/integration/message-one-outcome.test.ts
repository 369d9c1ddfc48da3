import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { complete, poll } from "./hand-worker.ts";

// A worker's answer to an update (complete_update) or a query (query/respond) that carries both a
// result and a failure is a 422 naming the field, writes nothing, and leaves the update or query
// answerable with a proper answer.

const failure = { message: "no" };
const historyOf = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];

async function started(queue: string) {
  const id = uid("oneout");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
  expect((await complete((await poll(queue)).body.task_token, [])).status).toBe(200);
  return id;
}

describe("an answer with both a result and a failure", () => {
  it("complete_update: 422 validation_failed naming commands.0.failure, nothing recorded, then the update completes with its result", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/place`, { input: 1, update_id: "u1", wait_seconds: 10 });
    const wt = await poll(queue);
    expect(wt.body.updates).toEqual([expect.objectContaining({ update_id: "u1" })]);
    expect((await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u1" }])).status).toBe(200);
    const wt2 = await poll(queue);
    const before = await historyOf(id);
    const both = await complete(wt2.body.task_token, [{ type: "complete_update", update_id: "u1", result: 7, failure }]);
    expect(both.status, JSON.stringify(both.body)).toBe(422);
    expect(both.headers.get("content-type")).toContain("application/problem+json");
    expect(both.body).toMatchObject({ code: "validation_failed", field: "commands.0.failure" });
    expect(await historyOf(id)).toEqual(before);
    // The same task, answered properly.
    expect((await complete(wt2.body.task_token, [{ type: "complete_update", update_id: "u1", result: 7 }])).status).toBe(200);
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ update_id: "u1", status: "completed", result: 7, failure: null });
    expect((await historyOf(id)).filter((e) => e.type === "update_completed")).toHaveLength(1);
  }, 30_000);

  it("query/respond: 422 validation_failed naming failure, then the query answers with the result", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const before = await historyOf(id);
    const pending = api("POST", `/v1/workflows/executions/${id}/queries/state`, { input: null, timeout_seconds: 10 });
    const task = await poll(queue);
    expect(task.body.query).toMatchObject({ name: "state" });
    const both = await api("POST", "/v1/workflows/tasks/query/respond", { task_token: task.body.task_token, result: { n: 1 }, failure });
    expect(both.status, JSON.stringify(both.body)).toBe(422);
    expect(both.body).toMatchObject({ code: "validation_failed", field: "failure" });
    expect((await api("POST", "/v1/workflows/tasks/query/respond", { task_token: task.body.task_token, result: { n: 1 } })).status).toBe(200);
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result).toEqual({ n: 1 });
    expect(await historyOf(id)).toEqual(before);
  }, 30_000);
});
