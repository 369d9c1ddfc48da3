import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import { failFirstCallOn } from "./faults.ts";
import { complete, describeExec, eventually, poll, storeOf, stub } from "./hand-worker.ts";

// The news a parent's outbox brings back about a child's start (started, failed, closed, id
// taken) is recorded by whatever flush delivers it, not only the alarm's. A parent past its
// execution timeout whose alarm has not run yet must meet its deadline first, as every other entry
// point makes it: nothing is recorded in its history after the deadline.

/** A fake now an hour ahead: the real alarms the objects arm at fake instants never ring during the test, so each flush is the one the test makes. */
const later = () => Date.now() + 3_600_000;

const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];

/** A parent (execution timeout 10 s, started at t0) whose child `kid` (`childId`, else `{parent}:kid`; TERMINATE) failed its first start and backs off. */
async function parentWithRetriedChild(prefix: string, t0: number, childId?: string) {
  const queue = uid("q");
  const parent = uid(prefix);
  const kid = childId ?? `${parent}:kid`;
  clock.now = () => t0;
  await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue, execution_timeout: 10 });
  const blocked = failFirstCallOn("start", kid);
  try {
    await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid, parent_close_policy: "TERMINATE" }]);
    await blocked.failed;
  } finally {
    blocked.restore();
  }
  // The failed delivery is written back (backed off) before the test moves on.
  await eventually(() => runInDurableObject(stub(parent), (obj) => storeOf(obj).outbox.entries().some((e) => e.key.startsWith("start-child:") && e.attempts === 1)));
  return { parent, kid, queue };
}

/** Flushes the parent's outbox by a path that changes nothing in the run: a query (nobody answers it). */
async function flushByQuery(parent: string) {
  await stub(parent).query("state", null, 20);
  await eventually(() => runInDurableObject(stub(parent), (obj) => !storeOf(obj).outbox.entries().some((e) => e.key.startsWith("start-child:"))));
}

describe("child start news arriving after the parent's execution timeout, before its alarm", () => {
  it("a child started by the retry finds its parent timed out: no child_workflow_started past the deadline, and the parent's close policy stops it", async () => {
    const t0 = later();
    const { parent, kid } = await parentWithRetriedChild("late-start", t0);
    clock.now = () => t0 + 12_000;
    // A caller long-polling the result hears the close the flush makes, not its wait's end.
    const waiting = stub(parent).result(60_000);
    await flushByQuery(parent);
    expect(await waiting).toMatchObject({ ok: true, value: { status: "timed_out" } });
    expect(await describeExec(parent)).toMatchObject({ status: "timed_out" });
    const types = (await events(parent)).map((e) => e.type);
    expect(types).not.toContain("child_workflow_started");
    expect(types.at(-1)).toBe("execution_timed_out");
    // The child did start (the parent had asked for it): its parent's TERMINATE policy ends it.
    await runDurableObjectAlarm(stub(parent));
    expect(await eventually(async () => (await describeExec(kid)).status === "terminated")).toBe(true);
    expect((await events(kid)).at(-1)).toMatchObject({ type: "execution_terminated", reason: "parent closed (parent close policy TERMINATE)" });
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]));
  });

  it("a start the retry finds refused (the id is another workflow's) leaves the timed-out parent's history as the deadline closed it, and stops nothing", async () => {
    const t0 = later();
    const other = uid("busy");
    clock.now = () => t0;
    const { parent } = await parentWithRetriedChild("late-refused", t0, other);
    // Meanwhile a client started `other` as another workflow: the child's retried start is a 409.
    await api("POST", "/v1/workflows/executions", { workflow: "not-kid", execution_id: other, task_queue: uid("q") });
    clock.now = () => t0 + 12_000;
    await flushByQuery(parent);
    expect(await describeExec(parent)).toMatchObject({ status: "timed_out" });
    const types = (await events(parent)).map((e) => e.type);
    expect(types).not.toContain("child_workflow_start_failed");
    expect(types.at(-1)).toBe("execution_timed_out");
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.child(1)).toMatchObject({ state: "closed" });
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
    });
    expect(await describeExec(other)).toMatchObject({ status: "running", cancel_requested: false });
  });

  it("a start that finds the child's id closed (its outcome is the child's) is not recorded past the deadline either", async () => {
    const t0 = later();
    const done = uid("done");
    clock.now = () => t0;
    const { parent } = await parentWithRetriedChild("late-closed", t0, done);
    // Meanwhile `done` ran as a "kid" and completed: the retried start returns that execution.
    const q = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "kid", execution_id: done, task_queue: q });
    await complete((await poll(q)).body.task_token, [{ type: "complete_workflow", result: 1 }]);
    clock.now = () => t0 + 12_000;
    await flushByQuery(parent);
    expect(await describeExec(parent)).toMatchObject({ status: "timed_out" });
    const types = (await events(parent)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("child_workflow_") && t !== "child_workflow_initiated")).toEqual([]);
    expect(types.at(-1)).toBe("execution_timed_out");
  });

  it("a retried start delivered before the deadline is still recorded", async () => {
    const t0 = later();
    const { parent, kid } = await parentWithRetriedChild("in-time", t0);
    clock.now = () => t0 + 9_999;
    await flushByQuery(parent);
    expect(await describeExec(parent)).toMatchObject({ status: "running" });
    expect((await events(parent)).map((e) => e.type)).toContain("child_workflow_started");
    expect(await describeExec(kid)).toMatchObject({ status: "running" });
  });
});

describe("a parent that times out", () => {
  it("applies each open child's parent close policy at its deadline (alarm), and a child's outcome afterwards reaches no run", async () => {
    const t0 = later();
    const queue = uid("q");
    const parent = uid("timeout-kids");
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue, execution_timeout: 10 });
    const policies = ["ABANDON", "REQUEST_CANCEL", "TERMINATE"] as const;
    await complete((await poll(queue)).body.task_token, policies.map((policy, i) => ({ type: "start_child_workflow", seq: i + 1, workflow: "kid", input: null, parent_close_policy: policy })));
    const [abandoned, asked, terminated] = [1, 2, 3].map((n) => `${parent}:child-${n}`) as [string, string, string];
    for (const kid of [abandoned, asked, terminated]) await eventually(async () => (await describeExec(kid)).status === "running");
    await eventually(async () => (await events(parent)).filter((e) => e.type === "child_workflow_started").length === 3);
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(stub(parent));
    expect(await describeExec(parent)).toMatchObject({ status: "timed_out" });
    expect(await eventually(async () => (await describeExec(terminated)).status === "terminated")).toBe(true);
    expect((await events(terminated)).at(-1)).toMatchObject({ type: "execution_terminated", reason: "parent closed (parent close policy TERMINATE)" });
    expect(await eventually(async () => (await describeExec(asked)).cancel_requested === true)).toBe(true);
    expect((await events(asked)).find((e) => e.type === "execution_cancel_requested")).toMatchObject({ reason: "parent closed (parent close policy REQUEST_CANCEL)" });
    expect(await describeExec(abandoned)).toMatchObject({ status: "running", cancel_requested: false });
    // The abandoned child completes later: its close notice finds the parent closed and records nothing.
    const kidTask = await eventually(async () => {
      const t = await poll(queue);
      return t.body?.execution_id === abandoned ? t : null;
    });
    await complete(kidTask.body.task_token, [{ type: "complete_workflow", result: 1 }]);
    await eventually(() => runInDurableObject(stub(abandoned), (obj) => storeOf(obj).run()?.status === "completed" && !storeOf(obj).outbox.has("callback")));
    const types = (await events(parent)).map((e) => e.type);
    expect(types.at(-1)).toBe("execution_timed_out");
    await runInDurableObject(stub(parent), (obj) => {
      const store = storeOf(obj);
      expect(store.child(1)).toMatchObject({ state: "closed" });
      expect(store.outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]);
    });
  });
});
