import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

async function poll(queue: string) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "hand", wait_seconds: 1 });
}
const types = (events: { type: string }[]) => events.map((e) => e.type);

async function started(queue: string) {
  const id = uid("msg");
  await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue });
  const wt = await poll(queue);
  await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [] });
  return id;
}

describe("signals, updates and queries over HTTP (hand-driven worker)", () => {
  it("records a signal before answering, de-duplicates by request_id, and refuses a closed execution", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const s1 = await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input: { by: "ada" }, request_id: "r1" });
    expect(s1.status).toBe(202);
    expect(s1.body).toEqual({ recorded: true });
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input: { by: "ada" }, request_id: "r1" })).body).toEqual({ recorded: false });
    const wt = await poll(queue);
    const signals = wt.body.history.filter((e: { type: string }) => e.type === "signal_received");
    expect(signals).toEqual([expect.objectContaining({ name: "approve", input: { by: "ada" }, request_id: "r1" })]);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: "approved" }] });
    const late = await api("POST", `/v1/workflows/executions/${id}/signals/approve`, {});
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("execution_closed");
  });

  it("a signal, an update or a signal-with-start refused by a closed run names execution_id, as a refused cancel does", async () => {
    const queue = uid("q");
    const id = await started(queue);
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "done" })).status).toBe(200);
    const before = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const refusals = [
      await api("POST", `/v1/workflows/executions/${id}/cancel`, {}),
      await api("POST", `/v1/workflows/executions/${id}/signals/approve`, {}),
      await api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { update_id: "u-closed", wait_seconds: 1 }),
      await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", id_reuse_policy: "use_existing" }),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "execution_closed", field: "execution_id" });
    }
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_length).toBe(before);
  });

  it("a signal retried with its recorded request_id after the run closed is a 202 duplicate; a new request_id is still refused", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const send = (requestId: string) => api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input: { by: "ada" }, request_id: requestId });
    expect((await send("r1")).body).toEqual({ recorded: true });
    const wt = await poll(queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: "approved" }] });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("completed");
    // The sender's answer to r1 was lost and it sends again: the signal was delivered, so this is a success.
    const retried = await send("r1");
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ recorded: false });
    const fresh = await send("r2");
    expect(fresh.status).toBe(409);
    expect(fresh.body).toMatchObject({ code: "execution_closed" });
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(types(h.body.events).filter((t: string) => t === "signal_received")).toHaveLength(1);
  });

  it("signal-with-start starts once and signals every time", async () => {
    const queue = uid("q");
    const id = uid("sws");
    const body = { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", signal_input: 1 };
    const a = await api("POST", "/v1/workflows/executions/signal-with-start", body);
    const b = await api("POST", "/v1/workflows/executions/signal-with-start", { ...body, signal_input: 2 });
    expect([a.status, b.status]).toEqual([201, 200]);
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(types(h.body.events).filter((t: string) => t === "execution_started" || t === "signal_received")).toEqual(["execution_started", "signal_received", "signal_received"]);
  });

  it("runs an update through validation, records it, and returns the same result to a retried call", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { input: { limit: 5 }, update_id: "u1", wait_seconds: 10 });
    const wt = await poll(queue);
    expect(wt.body.updates).toEqual([{ update_id: "u1", name: "update_config", input: { limit: 5 } }]);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "accept_update", update_id: "u1" }] });
    const wt2 = await poll(queue);
    expect(wt2.body.history.find((e: { type: string }) => e.type === "update_accepted")).toMatchObject({ update_id: "u1", name: "update_config", input: { limit: 5 } });
    expect(wt2.body.updates).toEqual([]);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "complete_update", update_id: "u1", result: { limit: 5, ok: true } }] });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ update_id: "u1", status: "completed", result: { limit: 5, ok: true } });
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { input: { limit: 999 }, update_id: "u1" });
    expect(again.body.result).toEqual({ limit: 5, ok: true });
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(types(h.body.events).filter((t: string) => t.startsWith("update_"))).toEqual(["update_accepted", "update_completed"]);
  });

  it("at most 10 updates in flight per run (Temporal's limit): the 11th is a 422 limit_exceeded, a retried update_id still answers, and a finished one frees its place", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const send = (n: number) => api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { input: { limit: n }, update_id: `u${n}`, wait_seconds: 1 });
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i + 1)));
    expect(first.map((r) => r.status)).toEqual(Array(10).fill(202));
    const refused = await send(11);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "limit_exceeded", field: "update_id" });
    expect((await send(3)).status).toBe(202); // the same update again: no new one
    const wt = await poll(queue);
    expect(wt.body.updates).toHaveLength(10);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "reject_update", update_id: "u1", failure: { message: "no" } }] });
    expect((await send(11)).status).toBe(202);
  });

  it("a validator's rejection is a 422 and writes nothing to history", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const before = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { input: { limit: -1 }, update_id: "bad", wait_seconds: 10 });
    const wt = await poll(queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "reject_update", update_id: "bad", failure: { message: "limit must be positive" } }] });
    const res = await pending;
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "update_rejected" });
    expect(res.body.detail).toContain("limit must be positive");
    // The validator's failure itself, as the SDK's SundialApiError.failure reads it.
    expect(res.body.failure).toMatchObject({ message: "limit must be positive" });
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(types(h.body.events).some((t: string) => t.startsWith("update_"))).toBe(false);
    // Only the empty workflow task it rode on was added.
    expect(h.body.events.length).toBe(before + 3);
  });

  it("answers a query through a worker, also on a closed execution, and times out clearly without one", async () => {
    const queue = uid("q");
    const id = await started(queue);
    const q = api("POST", `/v1/workflows/executions/${id}/queries/get_status`, { input: null, timeout_seconds: 10 });
    const task = await poll(queue);
    expect(task.body.query).toMatchObject({ name: "get_status", input: null });
    expect(task.body.history.length).toBeGreaterThan(0);
    await api("POST", "/v1/workflows/tasks/query/respond", { task_token: task.body.task_token, result: { progress: 0.5 } });
    expect((await q).body).toMatchObject({ result: { progress: 0.5 } });
    await api("POST", `/v1/workflows/executions/${id}/terminate`, {});
    const closed = api("POST", `/v1/workflows/executions/${id}/queries/get_status`, {});
    const t2 = await poll(queue);
    await api("POST", "/v1/workflows/tasks/query/respond", { task_token: t2.body.task_token, result: "done" });
    expect((await closed).body.result).toBe("done");
    // A handler that threw: a 422 query_failed carrying its failure.
    const failing = api("POST", `/v1/workflows/executions/${id}/queries/get_status`, {});
    const t3 = await poll(queue);
    await api("POST", "/v1/workflows/tasks/query/respond", { task_token: t3.body.task_token, failure: { message: "no such status", type: "LookupError" } });
    const failed = await failing;
    expect(failed.status).toBe(422);
    expect(failed.body).toMatchObject({ code: "query_failed", failure: { message: "no such status", type: "LookupError" } });
    const timeout = await api("POST", `/v1/workflows/executions/${id}/queries/get_status`, { timeout_seconds: 1 });
    expect(timeout.status).toBe(408);
    expect(timeout.body.code).toBe("query_timeout");
  });
});
