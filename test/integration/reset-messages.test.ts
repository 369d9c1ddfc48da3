import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api, uid } from "./helpers.ts";
import { poll, complete } from "./hand-worker.ts";

// What a reset does to the messages a client may send again: signal request ids, and updates
// completed, excluded or still waiting to be accepted.

async function history(id: string) {
  return (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
}
const lastCompleted = async (id: string) => (await history(id)).filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
async function start(prefix: string) {
  const queue = uid("q");
  const id = uid(prefix);
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  return { queue, id };
}

describe("reset and messages sent again", () => {
  it("a signal sent again with the request id of one in the kept history is not recorded twice", async () => {
    const { queue, id } = await start("rs-sig");
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: 1, request_id: "sig-1" })).status).toBe(202);
    await complete((await poll(queue)).body.task_token, []);
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: await lastCompleted(id), reason: "again" })).status).toBe(200);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: 1, request_id: "sig-1" })).body).toEqual({ recorded: false });
    expect((await history(id)).filter((e) => e.type === "signal_received")).toHaveLength(1);
  });

  it("an update completed in the kept history, sent again, answers with its outcome instead of running again", async () => {
    const { queue, id } = await start("rs-done");
    await complete((await poll(queue)).body.task_token, []);
    const first = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u1", wait_seconds: 5 });
    const wt = await poll(queue);
    expect(wt.body.updates).toEqual([expect.objectContaining({ update_id: "u1" })]);
    await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u1" }]);
    await complete((await poll(queue)).body.task_token, [{ type: "complete_update", update_id: "u1", result: "five" }]);
    expect((await first).body).toMatchObject({ status: "completed", result: "five" });
    await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, {});
    await complete((await poll(queue)).body.task_token, []);
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: await lastCompleted(id), reason: "again" })).status).toBe(200);
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u1", wait_seconds: 1 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ update_id: "u1", status: "completed", result: "five" });
    expect((await poll(queue)).body.updates ?? []).toEqual([]);
  });

  it("an update the reset excluded, sent again, is a 409 execution_closed", async () => {
    const { queue, id } = await start("rs-excl");
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    const first = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u1", wait_seconds: 1 });
    await complete((await poll(queue)).body.task_token, [{ type: "accept_update", update_id: "u1" }]);
    expect((await first).status).toBe(202); // accepted, still running
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again", exclude_updates: true })).status).toBe(200);
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u1", wait_seconds: 1 });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "execution_closed" });
  });

  it("an update requested but not yet accepted when the run is reset is offered to the new run, and its caller gets the outcome", async () => {
    const { queue, id } = await start("rs-req");
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 7, update_id: "u2", wait_seconds: 10 });
    // Requested: a workflow task is due to offer it, and nobody has taken it yet.
    for (let i = 0; i < 50 && (await history(id)).at(-1)!.type !== "workflow_task_scheduled"; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    const wt = await poll(queue);
    expect(wt.body.run_number).toBe(2);
    expect(wt.body.updates).toEqual([expect.objectContaining({ update_id: "u2", input: 7 })]);
    await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u2" }]);
    await complete((await poll(queue)).body.task_token, [{ type: "complete_update", update_id: "u2", result: "seven" }]);
    expect((await pending).body).toMatchObject({ status: "completed", result: "seven" });
  });
  it("keeps what earlier runs handed on and the request ids of signals it excludes: none is delivered or run twice", async () => {
    const { queue, id } = await start("rs-carry");
    await complete((await poll(queue)).body.task_token, []);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: 1, request_id: "run1-sig" })).body).toEqual({ recorded: true });
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/bump`, { input: 1, update_id: "run1-upd", wait_seconds: 10 });
    let wt = await poll(queue);
    for (let i = 0; i < 20 && wt.body.updates?.length !== 1; i++) wt = await poll(queue);
    await complete(wt.body.task_token, [{ type: "accept_update", update_id: "run1-upd" }]);
    await complete((await poll(queue)).body.task_token, [{ type: "complete_update", update_id: "run1-upd", result: "done" }, { type: "continue_as_new", input: null }]);
    expect((await pending).body).toMatchObject({ status: "completed", result: "done" });
    // Run 2: a task to reset to, then a signal after it that the reset excludes.
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: 2, request_id: "run2-sig" })).body).toEqual({ recorded: true });
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again", exclude_signals: true })).status).toBe(200);

    for (const requestId of ["run1-sig", "run2-sig"]) {
      expect((await api("POST", `/v1/workflows/executions/${id}/signals/nudge`, { input: 1, request_id: requestId })).body).toEqual({ recorded: false });
    }
    expect((await history(id)).filter((e) => e.type === "signal_received")).toHaveLength(0);
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/bump`, { input: 1, update_id: "run1-upd", wait_seconds: 1 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ update_id: "run1-upd", status: "completed", result: "done" });
  }, 30_000);
});

describe("reset of a closed run and updates its close failed", () => {
  it("an update requested but never accepted when the run closed, sent again after a reset, is offered to the new run instead of a 409 forever", async () => {
    const { queue, id } = await start("rs-closed-req");
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 3, update_id: "u3", wait_seconds: 10 });
    for (let i = 0; i < 50 && (await history(id)).at(-1)!.type !== "workflow_task_scheduled"; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "ops" })).status).toBe(200);
    // Its caller learns that the run closed before the update completed: "send it again".
    expect((await pending).body).toMatchObject({ code: "execution_closed" });
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    const again = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 3, update_id: "u3", wait_seconds: 10 });
    const wt = await poll(queue);
    expect(wt.body.run_number).toBe(2);
    expect(wt.body.updates).toEqual([expect.objectContaining({ update_id: "u3", input: 3 })]);
    await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u3" }]);
    await complete((await poll(queue)).body.task_token, [{ type: "complete_update", update_id: "u3", result: "three" }]);
    expect((await again).body).toMatchObject({ status: "completed", result: "three" });
  });
});

describe("an update a reset excluded, across a later reset", () => {
  it("still answers 409 execution_closed when sent again after a second reset", async () => {
    const { queue, id } = await start("rs-excl2");
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    const first = api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u4", wait_seconds: 1 });
    await complete((await poll(queue)).body.task_token, [{ type: "accept_update", update_id: "u4" }]);
    expect((await first).status).toBe(202);
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "once", exclude_updates: true })).status).toBe(200);
    await complete((await poll(queue)).body.task_token, []);
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: await lastCompleted(id), reason: "twice" })).status).toBe(200);
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/set`, { input: 5, update_id: "u4", wait_seconds: 1 });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "execution_closed" });
  });
  it("keeps every outcome earlier runs handed on, up to the bound, whatever this run's own closed updates", async () => {
    const { queue, id } = await start("rs-bound");
    await complete((await poll(queue)).body.task_token, []);
    const point = await lastCompleted(id);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const closed = JSON.stringify({ message: "the execution continued as new before the update completed", type: "ExecutionClosed", non_retryable: true });
    await runInDurableObject(stub, (obj) => {
      const store = (obj as unknown as { store: ExecutionStore }).store;
      // As if earlier runs had handed on a full set of outcomes, and this run had an update failed since (newer).
      for (let i = 0; i < LIMITS.updateOutcomesKept; i++) store.insertUpdate({ update_id: `old-${i}`, name: "bump", input: "null", state: "carried", result: JSON.stringify(i), failure: null, created_at: 1_000 + i });
      store.insertUpdate({ update_id: "mine", name: "bump", input: "null", state: "rejected", result: null, failure: closed, created_at: Date.now() });
    });
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    const carried = await runInDurableObject(stub, (_obj, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM updates WHERE state = 'carried'").one().n);
    expect(carried).toBe(LIMITS.updateOutcomesKept);
    expect((await api("POST", `/v1/workflows/executions/${id}/updates/bump`, { update_id: "old-0", wait_seconds: 1 })).body).toMatchObject({ status: "completed", result: 0 });
  }, 30_000);
});
