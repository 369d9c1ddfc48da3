import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api, uid } from "./helpers.ts";
import { poll, complete } from "./hand-worker.ts";

// A client whose signal answer was lost retries it with the same request_id; by then the run may
// have continued as new. The retry must not reach the new run as a second signal.

const signal = (id: string, requestId: string, input: unknown) => api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input, request_id: requestId });
const signalsIn = (events: { type: string }[]) => events.filter((e) => e.type === "signal_received");

describe("signal request_id across continue-as-new", () => {
  it("a retried signal after the run continued as new answers 202 recorded: false and is not delivered to the new run", async () => {
    const queue = uid("q");
    const id = uid("dedupcan");
    await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    expect((await signal(id, "r1", 1)).body).toEqual({ recorded: true });
    const wt = await poll(queue);
    expect(signalsIn(wt.body.history)).toHaveLength(1);
    await complete(wt.body.task_token, [{ type: "continue_as_new", input: { n: 2 } }]);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "running", run_number: 2 });

    const retry = await signal(id, "r1", 1);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ recorded: false });
    // A new request id still reaches the new run, once.
    expect((await signal(id, "r2", 2)).body).toEqual({ recorded: true });
    expect((await signal(id, "r2", 2)).body).toEqual({ recorded: false });
    const next = await poll(queue);
    expect(next.body.history[0]).toMatchObject({ type: "execution_started", input: { n: 2 } });
    expect(signalsIn(next.body.history)).toEqual([expect.objectContaining({ request_id: "r2", input: 2 })]);

    // And on to a third run: marks made in either earlier run still answer.
    await complete(next.body.task_token, [{ type: "continue_as_new", input: { n: 3 } }]);
    expect((await signal(id, "r1", 1)).body).toEqual({ recorded: false });
    expect((await signal(id, "r2", 2)).body).toEqual({ recorded: false });
    const h = await api("GET", `/v1/workflows/executions/${id}/history`);
    expect(signalsIn(h.body.events)).toEqual([]);
  });

  it("carries only the newest request ids, up to the limit, and none of the old run's task completions", async () => {
    const queue = uid("q");
    const id = uid("dedupbound");
    await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    // As if earlier runs had carried a full set of marks: all older than the signal sent below.
    await runInDurableObject(stub, (obj) => {
      const store = (obj as unknown as { store: ExecutionStore }).store;
      for (let i = 0; i < LIMITS.signalRequestIdsKept; i++) store.markCompleted(`s:old-${i}`, 1_000 + i);
    });
    expect((await signal(id, "fresh", 1)).body).toEqual({ recorded: true });
    await complete((await poll(queue)).body.task_token, [{ type: "continue_as_new", input: null }]);
    const rows = await runInDurableObject(stub, (_obj, state) => state.storage.sql.exec<{ task_key: string }>("SELECT task_key FROM completions ORDER BY rowid").toArray().map((r) => r.task_key));
    expect(rows).toHaveLength(LIMITS.signalRequestIdsKept);
    expect(rows.every((k) => k.startsWith("s:"))).toBe(true);
    expect(rows[0]).toBe("s:old-1");
    expect(rows.at(-1)).toBe("s:fresh");
    expect((await signal(id, "fresh", 1)).body).toEqual({ recorded: false });
    expect((await signal(id, "old-1", 1)).body).toEqual({ recorded: false });
    // The oldest fell out of the window: a send with it is a new signal.
    expect((await signal(id, "old-0", 1)).body).toEqual({ recorded: true });
  });
});

describe("update_id across continue-as-new", () => {
  async function taskWithUpdate(queue: string) {
    for (let i = 0; i < 50; i++) {
      const t = await poll(queue);
      if (t.status === 200) return t;
    }
    throw new Error("no workflow task");
  }

  it("an update completed by the task that continues as new answers its caller and a retry with its result, and is not offered to the new run", async () => {
    const queue = uid("q");
    const id = uid("updcan");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    let answeredAt = 0;
    const pending = api("POST", `/v1/workflows/executions/${id}/updates/bump`, { input: 1, update_id: "u1", wait_seconds: 15 }).then((r) => ((answeredAt = Date.now()), r));
    const wt = await taskWithUpdate(queue);
    expect(wt.body.updates).toEqual([{ update_id: "u1", name: "bump", input: 1 }]);
    expect((await complete(wt.body.task_token, [{ type: "accept_update", update_id: "u1" }])).status).toBe(200);
    const wt2 = await poll(queue);
    const completedAt = Date.now();
    expect((await complete(wt2.body.task_token, [{ type: "complete_update", update_id: "u1", result: { n: 2 } }, { type: "continue_as_new", input: { n: 2 } }])).status).toBe(200);
    const first = await pending;
    // Answered when the task completed, not when its 15 s wait ran out.
    expect(answeredAt - completedAt).toBeLessThan(7_000);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ update_id: "u1", status: "completed", result: { n: 2 } });

    const retry = await api("POST", `/v1/workflows/executions/${id}/updates/bump`, { input: 1, update_id: "u1", wait_seconds: 1 });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ update_id: "u1", status: "completed", result: { n: 2 } });
    expect((await api("POST", `/v1/workflows/executions/${id}/updates/other`, { input: 1, update_id: "u1", wait_seconds: 1 })).body.code).toBe("update_id_reused");
    const next = await poll(queue);
    expect(next.body.history[0]).toMatchObject({ type: "execution_started", input: { n: 2 } });
    expect(next.body.updates).toEqual([]);
    expect(next.body.history.filter((e: { type: string }) => e.type.startsWith("update_"))).toEqual([]);
  }, 30_000);

  async function continuedAfterSeeding(seed: (store: ExecutionStore) => void) {
    const queue = uid("q");
    const id = uid("updbound");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    await runInDurableObject(stub, (obj) => seed((obj as unknown as { store: ExecutionStore }).store));
    await complete((await poll(queue)).body.task_token, [{ type: "continue_as_new", input: null }]);
    const rows = await runInDurableObject(stub, (_obj, state) => state.storage.sql.exec<{ update_id: string; state: string; input: string }>("SELECT update_id, state, input FROM updates ORDER BY rowid").toArray());
    return { id, queue, rows };
  }
  const finished = (updateId: string, createdAt: number, result: unknown) => ({ update_id: updateId, name: "bump", input: JSON.stringify({ big: "input" }), state: "completed" as const, result: JSON.stringify(result), failure: null, created_at: createdAt });

  it("carries the newest completed updates up to the count limit, without their inputs, and they do not count toward the new run's limits", async () => {
    const { id, queue, rows } = await continuedAfterSeeding((store) => {
      for (let i = 0; i <= LIMITS.updateOutcomesKept; i++) store.insertUpdate(finished(`old-${i}`, 1_000 + i, i));
    });
    expect(rows).toHaveLength(LIMITS.updateOutcomesKept);
    expect(rows[0]).toEqual({ update_id: "old-1", state: "carried", input: "null" });
    expect(rows.at(-1)?.update_id).toBe(`old-${LIMITS.updateOutcomesKept}`);
    const again = await api("POST", `/v1/workflows/executions/${id}/updates/bump`, { update_id: "old-7" });
    expect(again.body).toMatchObject({ update_id: "old-7", status: "completed", result: 7 });
    // 2,000 carried outcomes leave the new run its own 2,000: a new update is admitted.
    const fresh = await api("POST", `/v1/workflows/executions/${id}/updates/bump`, { update_id: "new-1", wait_seconds: 1 });
    expect(fresh.status).toBe(202);
    expect((await poll(queue)).body.updates).toEqual([{ update_id: "new-1", name: "bump", input: null }]);
  }, 30_000);

  it("carries no more than the byte limit of results, newest first", async () => {
    const result = "x".repeat(250 * 1024);
    const each = JSON.stringify(result).length;
    const { rows } = await continuedAfterSeeding((store) => {
      for (let i = 0; i < 40; i++) store.insertUpdate(finished(`big-${i}`, 1_000 + i, result));
    });
    const fit = Math.floor(LIMITS.updateOutcomesKeptBytes / each);
    expect(fit).toBeLessThan(40);
    expect(rows.map((r) => r.update_id)).toEqual(Array.from({ length: fit }, (_, k) => `big-${40 - fit + k}`));
  }, 30_000);
});
