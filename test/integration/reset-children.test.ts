import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { api, uid } from "./helpers.ts";
import { poll, complete, eventually, describeExec, stub, storeOf } from "./hand-worker.ts";

// What a reset does to the children of the old run: those of the kept history stay the new run's
// (nothing the old run queued stops them), and those started after the reset point follow the old
// run's parent close policy.

/** The next workflow task of `id` on `queue` (its children's tasks share the queue and are skipped). */
async function taskOf(queue: string, id: string) {
  for (let i = 0; i < 10; i++) {
    const t = await poll(queue);
    if (t.body?.execution_id === id) return t;
  }
  throw new Error(`no task for ${id}`);
}
const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history`)).body.events as { id: number; type: string; seq?: number }[];
const lastCompleted = async (id: string) => (await history(id)).filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
const realNow = clock.now;
afterEach(() => {
  clock.now = realNow;
});

/** Makes the objects with these ids refuse `method` calls (their deliveries fail) until the returned function is called. */
function unreachable(method: "terminate" | "cancel", ...ids: string[]): () => void {
  const proto = ExecutionObject.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const original = proto[method]!;
  proto[method] = async function (this: unknown, ...args: unknown[]) {
    if (ids.includes(storeOf(this).run()?.execution_id ?? "")) throw new Error(`${method} unavailable (test)`);
    return original.apply(this, args);
  };
  return () => {
    proto[method] = original;
  };
}

/** Runs the parent's alarm at a few later instants, so its outbox retries whatever backed off. */
async function retryOutbox(parent: string, t0: number) {
  for (const dt of [2_000, 10_000, 60_000]) {
    clock.now = () => t0 + dt;
    await runDurableObjectAlarm(stub(parent));
  }
}

/** A parent whose child `kid` (id fixed, with `policy`) has started; returns the reset point after the start. */
async function parentWithChild(prefix: string, policy: string) {
  const queue = uid("q");
  const parent = uid(prefix);
  const kid = `${parent}:kid`;
  await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
  await complete((await taskOf(queue, parent)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid, parent_close_policy: policy }]);
  const second = await taskOf(queue, parent);
  expect(second.body.history.map((e: { type: string }) => e.type)).toContain("child_workflow_started");
  await complete(second.body.task_token, []);
  return { queue, parent, kid, point: await lastCompleted(parent) };
}

describe("a reset of a closed parent keeps the children of the kept history", () => {
  it("a stop the old run's close policy queued for a kept child and had not delivered is dropped: the child runs on, started in the new run's books", async () => {
    const { parent, kid, point } = await parentWithChild("rc-stop", "TERMINATE");
    const t0 = Date.now();
    clock.now = () => t0;
    const reachable = unreachable("terminate", kid);
    try {
      expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "bug" })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100)); // the stop's first delivery fails
      await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).outbox.entries().filter((e) => e.key.startsWith("terminate-child:"))).toHaveLength(1));
      expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fixed" })).status).toBe(200);
    } finally {
      reachable();
    }
    await retryOutbox(parent, t0);
    expect(await describeExec(kid)).toMatchObject({ status: "running", cancel_requested: false });
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.child(1)).toMatchObject({ execution_id: kid, state: "started" });
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
    });
  });
});

describe("a reset's lookup of a kept child whose id was used again", () => {
  it("a kept child that closed while the parent was closed, its id now running for a client, closes in the new run with a failure saying so", async () => {
    const { queue, parent, kid, point } = await parentWithChild("rc-reused", "ABANDON");
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "bug" })).status).toBe(200);
    // The abandoned child ends; the closed parent refuses its close notice.
    expect((await api("POST", `/v1/workflows/executions/${encodeURIComponent(kid)}/terminate`, { reason: "done" })).status).toBe(200);
    await eventually(async () => runInDurableObject(stub(kid), (obj) => storeOf(obj).outbox.entries().length === 0));
    // A client starts an unrelated execution under the child's id.
    const other = await api("POST", "/v1/workflows/executions", { workflow: "other", execution_id: kid, task_queue: uid("q"), id_reuse_policy: "allow_duplicate" });
    expect(other.body).toMatchObject({ status: "running" });

    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fixed" })).status).toBe(200);
    const failed = await eventually(async () => (await history(parent)).find((e) => e.type === "child_workflow_failed"));
    expect(failed).toMatchObject({ seq: 1, execution_id: kid, status: "terminated", failure: { type: "ChildExecutionIdReused", message: expect.stringContaining("belongs to another execution") } });
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).child(1)).toMatchObject({ state: "closed" }));
    // The workflow hears of it: a task with the child's failure.
    const task = await taskOf(queue, parent);
    expect(task.body.history.map((e: { type: string }) => e.type)).toContain("child_workflow_failed");
    // The execution that owns the id now is left alone.
    expect(await describeExec(kid)).toMatchObject({ workflow: "other", status: "running", cancel_requested: false });
  });
});

describe("a reset's lookup of a kept child whose id was used again by an execution that closed too", () => {
  it("the other execution's outcome is not taken for the child's: the child closes with ChildExecutionIdReused", async () => {
    const { queue, parent, kid, point } = await parentWithChild("rc-reused-closed", "ABANDON");
    expect(await describeExec(kid)).toMatchObject({ parent_execution_id: parent, parent_run_id: (await describeExec(parent)).run_id });
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "bug" })).status).toBe(200);
    expect((await api("POST", `/v1/workflows/executions/${encodeURIComponent(kid)}/terminate`, { reason: "done" })).status).toBe(200);
    await eventually(async () => runInDurableObject(stub(kid), (obj) => storeOf(obj).outbox.entries().length === 0));
    // A client's unrelated execution under the child's id, which completes before the reset.
    const otherQueue = uid("q");
    const other = await api("POST", "/v1/workflows/executions", { workflow: "other", execution_id: kid, task_queue: otherQueue, id_reuse_policy: "allow_duplicate" });
    expect(other.body).toMatchObject({ status: "running", parent_execution_id: null });
    await complete((await taskOf(otherQueue, kid)).body.task_token, [{ type: "complete_workflow", result: "the client's result" }]);
    expect(await describeExec(kid)).toMatchObject({ workflow: "other", status: "completed" });

    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fixed" })).status).toBe(200);
    const closed = await eventually(async () => (await history(parent)).find((e) => e.type === "child_workflow_failed" || e.type === "child_workflow_completed"));
    expect(closed).toMatchObject({ type: "child_workflow_failed", seq: 1, execution_id: kid, status: "terminated", failure: { type: "ChildExecutionIdReused", message: expect.stringContaining("belongs to another execution") } });
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).child(1)).toMatchObject({ state: "closed" }));
    expect((await taskOf(queue, parent)).body.history.map((e: { type: string }) => e.type)).toContain("child_workflow_failed");
  });
});

describe("a reset of a running parent and the children it started after the reset point", () => {
  it("they follow the old run's parent close policy (terminated, asked to cancel, or abandoned); children of the kept history run on", async () => {
    const queue = uid("q");
    const parent = uid("rc-running");
    const [keep, gone, asked, left] = ["keep", "gone", "asked", "left"].map((k) => `${parent}:${k}`) as [string, string, string, string];
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await taskOf(queue, parent)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: keep, parent_close_policy: "TERMINATE" }]);
    await complete((await taskOf(queue, parent)).body.task_token, []);
    const point = await lastCompleted(parent);
    await api("POST", `/v1/workflows/executions/${parent}/signals/nudge`, {});
    await complete((await taskOf(queue, parent)).body.task_token, [
      { type: "start_child_workflow", seq: 2, workflow: "kid", input: null, execution_id: gone, parent_close_policy: "TERMINATE" },
      { type: "start_child_workflow", seq: 3, workflow: "kid", input: null, execution_id: asked, parent_close_policy: "REQUEST_CANCEL" },
      { type: "start_child_workflow", seq: 4, workflow: "kid", input: null, execution_id: left, parent_close_policy: "ABANDON" },
    ]);
    for (const kid of [keep, gone, asked, left]) await eventually(async () => (await describeExec(kid)).status === "running");

    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fixed" })).status).toBe(200);
    expect(await eventually(async () => (await describeExec(gone)).status === "terminated")).toBe(true);
    expect(await eventually(async () => (await describeExec(asked)).cancel_requested === true)).toBe(true);
    // Their stops say the parent was reset, not that it closed.
    expect((await history(gone)).find((e) => e.type === "execution_terminated")).toMatchObject({ reason: "parent reset (parent close policy TERMINATE)" });
    expect((await history(asked)).find((e) => e.type === "execution_cancel_requested")).toMatchObject({ reason: "parent reset (parent close policy REQUEST_CANCEL)" });
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
      expect(store.children().map((c) => [c.seq, c.state])).toEqual([[1, "started"]]);
    });
    expect(await describeExec(left)).toMatchObject({ status: "running", cancel_requested: false });
    expect(await describeExec(keep)).toMatchObject({ status: "running", cancel_requested: false });
    // The new run starting the abandoned child again under its fixed id finds it the old run's: the start fails.
    await complete((await taskOf(queue, parent)).body.task_token, [{ type: "start_child_workflow", seq: 2, workflow: "kid", input: null, execution_id: left, parent_close_policy: "ABANDON" }]);
    const refused = await eventually(async () => (await history(parent)).find((e) => e.type === "child_workflow_start_failed"));
    expect(refused).toMatchObject({ seq: 2, execution_id: left, failure: { type: "ChildWorkflowStartFailed", message: expect.stringContaining("already started") } });
  });
});
