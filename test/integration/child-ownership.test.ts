import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { recordChildStartFailed, recordChildStarted } from "../../src/objects/execution-children.ts";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { api, uid } from "./helpers.ts";
import { poll, complete, eventually, describeExec, stub, storeOf } from "./hand-worker.ts";

// Which child belongs to which parent run: stops from a parent, child starts refused or arriving
// after the parent closed, and the outbox entries that carry them.


/** Makes the child objects with these ids unreachable (their starts fail) until the returned function is called. */
function unreachable(...ids: string[]): () => void {
  const proto = ExecutionObject.prototype as unknown as { start: (...a: unknown[]) => Promise<unknown> };
  const original = proto.start;
  proto.start = async function (this: unknown, ...args: unknown[]) {
    if (ids.includes((args[0] as { execution_id: string }).execution_id)) throw new Error("child object unavailable (test)");
    return original.apply(this, args);
  };
  return () => {
    proto.start = original;
  };
}

/** Runs the parent's alarm at a few later instants, so its outbox retries whatever backed off. */
async function retryOutbox(parent: string, t0: number) {
  for (const dt of [2_000, 10_000, 60_000]) {
    clock.now = () => t0 + dt;
    await runDurableObjectAlarm(stub(parent));
  }
}

describe("a parent's stops reach only its own child", () => {
  it("a cancel or terminate naming another parent, or a stale run of this one, is refused; the parent run that started it is obeyed", async () => {
    const queue = uid("q");
    const parent = uid("owner");
    const started = await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
    const kid = `${parent}:child-1`;
    await eventually(async () => (await describeExec(kid)).status === "running");

    const stale = await stub(kid).terminate("stale parent", { execution_id: parent, run_id: "an-earlier-run" });
    expect(stale).toMatchObject({ ok: false, error: { status: 409, code: "not_parent" } });
    const other = await stub(kid).cancel("someone else", { execution_id: uid("other"), run_id: null });
    expect(other).toMatchObject({ ok: false, error: { status: 409, code: "not_parent" } });
    expect(await describeExec(kid)).toMatchObject({ status: "running", cancel_requested: false });

    expect(await stub(kid).terminate("parent closed", { execution_id: parent, run_id: started.body.run_id })).toMatchObject({ ok: true });
    expect((await describeExec(kid)).status).toBe("terminated");
  });

  it("a child start refused after its parent closed closes the child in the parent's books and drops its stop; the id's owner runs on", async () => {
    const queue = uid("q");
    const busy = uid("busy");
    await api("POST", "/v1/workflows/executions", { workflow: "kid", execution_id: busy, task_queue: queue });
    expect((await poll(queue)).body.execution_id).toBe(busy);
    const parent = uid("late-parent");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const reachable = unreachable(busy);
    try {
      await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: busy, parent_close_policy: "TERMINATE" }]);
      await new Promise((r) => setTimeout(r, 100)); // the first delivery fails
      expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "done" })).status).toBe(200);
    } finally {
      reachable();
    }
    await retryOutbox(parent, t0);
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.child(1)).toMatchObject({ execution_id: busy, state: "closed" });
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
    });
    expect(await describeExec(busy)).toMatchObject({ status: "running", cancel_requested: false });
  });
});

describe("child outbox entries name the parent run that wrote them", () => {
  it("a refused start after the parent closed drops only the stop of that run's child, not an earlier run's stop for its child of the same number and id", async () => {
    const parent = uid("two-stops");
    const kid = `${parent}:kid`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: uid("q") });
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "done" })).status).toBe(200);
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      const later = Date.now() + 3_600_000; // not delivered meanwhile
      store.putChild({ seq: 1, execution_id: kid, policy: "TERMINATE", state: "initiated", parent_run: "run-2" });
      store.outbox.put("terminate-child:run-1:1", { namespace: "default", execution_id: kid, from: { execution_id: parent, run_id: "run-1" } }, later);
      store.outbox.put("terminate-child:run-2:1", { namespace: "default", execution_id: kid, from: { execution_id: parent, run_id: "run-2" } }, later);
      recordChildStartFailed(store, Date.now(), 1, kid, { message: "already started", type: "ChildWorkflowStartFailed", non_retryable: true }, [], "run-2");
      expect(store.child(1)).toMatchObject({ state: "closed" });
      expect(store.outbox.entries().map((e) => e.key).filter((k) => k.includes("-child:"))).toEqual(["terminate-child:run-1:1"]);
    });
  });

  it("a continued run's child never replaces the start of the previous run's child with the same number", async () => {
    const queue = uid("q");
    const parent = uid("carry");
    const [first, second] = [`${parent}:first`, `${parent}:second`];
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const reachable = unreachable(first);
    try {
      await complete((await poll(queue)).body.task_token, [
        { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: first, parent_close_policy: "ABANDON" },
        { type: "continue_as_new", input: null },
      ]);
      const next = await eventually(async () => {
        const t = await poll(queue);
        return t.body.execution_id === parent ? t : null;
      });
      expect(next.body.run_number).toBe(2);
      await complete(next.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: second, parent_close_policy: "ABANDON" }]);
      await eventually(async () => (await describeExec(second)).status === "running");
    } finally {
      reachable();
    }
    await retryOutbox(parent, t0);
    // The first run abandoned its child: it still starts, on its own.
    expect(await eventually(async () => (await describeExec(first)).status === "running")).toBe(true);
  });

  it("entries written under the old keys ({kind}:{seq}) are still delivered", async () => {
    const queue = uid("q");
    const parent = uid("legacy");
    const kid = `${parent}:old-kid`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, []);
    // As an object deployed before: a child row without its parent run, and its start under the old key.
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      store.putChild({ seq: 1, execution_id: kid, policy: "TERMINATE", state: "initiated", parent_run: null });
      store.outbox.put("start-child:1", { namespace: "default", execution_id: kid, workflow: "kid", input: null, task_queue: queue, execution_timeout: null, parent: { execution_id: parent, seq: 1 } }, Date.now());
    });
    await api("POST", `/v1/workflows/executions/${parent}/signals/wake`, {}); // any change flushes the outbox
    expect(await eventually(async () => (await describeExec(kid)).status === "running")).toBe(true);
    const history = await eventually(async () => {
      const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { type: string; seq?: number }[];
      return h.some((e) => e.type === "child_workflow_started") ? h : null;
    });
    expect(history.find((e) => e.type === "child_workflow_started")).toMatchObject({ seq: 1, execution_id: kid });
    // A stop under the old key, without `from`, is delivered as before.
    await runInDurableObject(stub(parent), (obj) => storeOf(obj).outbox.put("cancel-child:1", { namespace: "default", execution_id: kid }, Date.now()));
    await api("POST", `/v1/workflows/executions/${parent}/signals/wake`, {});
    expect(await eventually(async () => (await describeExec(kid)).cancel_requested === true)).toBe(true);
    // The parent's own close stops the child (its row names no run: the stop is accepted on the execution id).
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "done" })).status).toBe(200);
    expect(await eventually(async () => (await describeExec(kid)).status === "terminated")).toBe(true);
  });
});

describe("one child id, one child of a parent", () => {
  const childEvents = (history: { type: string }[]) => history.filter((e) => e.type.startsWith("child_workflow_") && e.type !== "child_workflow_initiated");

  it("a second child of the same run with the id of a running child fails to start (workflow already started)", async () => {
    const queue = uid("q");
    const parent = uid("twice");
    const kid = `${parent}:kid`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [
      { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid },
      { type: "start_child_workflow", seq: 2, workflow: "kid", input: null, execution_id: kid },
    ]);
    const events = await eventually(async () => {
      const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { type: string }[];
      return childEvents(h).length >= 2 ? childEvents(h) : null;
    });
    expect(events).toEqual([
      expect.objectContaining({ type: "child_workflow_started", seq: 1, execution_id: kid }),
      expect.objectContaining({ type: "child_workflow_start_failed", seq: 2, execution_id: kid, failure: expect.objectContaining({ type: "ChildWorkflowStartFailed", message: expect.stringContaining("already started") }) }),
    ]);
  });

  it("a continued run's child with the id of the previous run's child, still running, fails to start", async () => {
    const queue = uid("q");
    const parent = uid("again");
    const kid = `${parent}:kid`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [
      { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid, parent_close_policy: "ABANDON" },
      { type: "continue_as_new", input: null },
    ]);
    await eventually(async () => (await describeExec(kid)).status === "running");
    const next = await eventually(async () => {
      const t = await poll(queue);
      return t.body.execution_id === parent ? t : null;
    });
    expect(next.body.run_number).toBe(2);
    await complete(next.body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid }]);
    const events = await eventually(async () => {
      const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { type: string }[];
      return childEvents(h).length > 0 ? childEvents(h) : null;
    });
    expect(events).toEqual([expect.objectContaining({ type: "child_workflow_start_failed", seq: 1, failure: expect.objectContaining({ type: "ChildWorkflowStartFailed" }) })]);
  });

  it("news of a start sent for another parent run's child is not recorded for this run's child of that number and id", async () => {
    const queue = uid("q");
    const parent = uid("otherrun");
    const kid = `${parent}:kid`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const reachable = unreachable(kid);
    try {
      await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid }]);
      await runInDurableObject(stub(parent), (obj) => {
        const store = storeOf(obj);
        recordChildStarted(store, Date.now(), 1, kid, "kid-run", [], "an-earlier-parent-run");
        expect(store.child(1)).toMatchObject({ state: "initiated" });
        recordChildStarted(store, Date.now(), 1, kid, "kid-run", [], store.run()!.run_id);
        expect(store.child(1)).toMatchObject({ state: "started" });
      });
    } finally {
      reachable();
    }
  });
});

describe("a reset asks the children of the kept history what became of them", () => {
  it("a child stopped by its parent's close (whose close notice the closed parent refused) is reported to the reset run", async () => {
    const queue = uid("q");
    const parent = uid("ask");
    const kid = `${parent}:child-1`;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, parent_close_policy: "TERMINATE" }]);
    const tasks = [await poll(queue), await poll(queue)];
    const parentTask = tasks.find((t) => t.body.execution_id === parent)!;
    expect(parentTask.body.history.map((e: { type: string }) => e.type)).toContain("child_workflow_started");
    await complete(parentTask.body.task_token, []);
    const point = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events.filter((e: { type: string }) => e.type === "workflow_task_completed").at(-1).id;
    // The parent fails; its policy terminates the child, whose close notice finds the parent closed.
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "bug" })).status).toBe(200);
    await eventually(async () => (await describeExec(kid)).status === "terminated");
    await eventually(async () => runInDurableObject(stub(kid), (obj) => storeOf(obj).outbox.entries().length === 0));

    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "fixed" })).status).toBe(200);
    const failed = await eventually(async () => {
      const h = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { type: string }[];
      return h.find((e) => e.type === "child_workflow_failed");
    });
    expect(failed).toMatchObject({ seq: 1, execution_id: kid, status: "terminated" });
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).child(1)).toMatchObject({ state: "closed" }));
  });
});

describe("a reset's child lookup and the child news it re-delivers", () => {
  it("a child whose start was recorded after the reset point is started once in the new run, not again by the lookup", async () => {
    const queue = uid("q");
    const parent = uid("restarted");
    const kid = `${parent}:child-1`;
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const reachable = unreachable(kid);
    try {
      await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null }]);
      await new Promise((r) => setTimeout(r, 100)); // the first delivery fails
      // A later task completes while the child's start still backs off: the reset point.
      await api("POST", `/v1/workflows/executions/${parent}/signals/nudge`, {});
      await complete((await poll(queue)).body.task_token, []);
    } finally {
      reachable();
    }
    const point = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events.filter((e: { type: string }) => e.type === "workflow_task_completed").at(-1).id;
    await retryOutbox(parent, t0);
    await eventually(async () => (await describeExec(kid)).status === "running");
    const historyOf = async () => (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { id: number; type: string }[];
    expect((await historyOf()).filter((e) => e.type === "child_workflow_started" && e.id > point)).toHaveLength(1);

    expect((await api("POST", `/v1/workflows/executions/${parent}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    await retryOutbox(parent, t0 + 120_000);
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.child(1)).toMatchObject({ execution_id: kid, state: "started" });
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
    });
    expect((await historyOf()).filter((e) => e.type === "child_workflow_started")).toHaveLength(1);
  });
});
