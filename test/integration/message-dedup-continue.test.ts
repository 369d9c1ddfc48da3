import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api, uid } from "./helpers.ts";

// A client whose signal answer was lost retries it with the same request_id; by then the run may
// have continued as new. The retry must not reach the new run as a second signal.

async function poll(queue: string) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "hand", wait_seconds: 2 });
}
async function complete(token: string, commands: unknown[]) {
  return api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands });
}
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
