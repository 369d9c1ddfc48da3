import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import { failFirstCallOn } from "./faults.ts";
import { complete, describeExec, eventually, poll, storeOf, stub } from "./hand-worker.ts";

// A child with a fixed execution id, started again by the next run after a continue-as-new while
// the old run's parent close policy (its stop of the old child) is still on its way (README, "Child
// workflows and continue-as-new"): the stop is the old run's child's alone, and the new run's start
// has the outcome any start of that id has (running as an earlier run's child: "workflow already
// started"; closed: that execution's outcome). No stop lands on a child the new run started.
// And a child that itself continues as new: still its parent's child, for its outcome and the policy.

/** A fake now an hour ahead: the real alarms the objects arm at fake instants never ring during the test, so each delivery is one the test makes. */
const later = () => Date.now() + 3_600_000;

type Event = { type: string; seq?: number; execution_id?: string; status?: string; failure?: { type: string; message: string } };
const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history`)).body.events as Event[];
const childNews = async (id: string) => (await events(id)).filter((e) => e.type.startsWith("child_workflow_") && e.type !== "child_workflow_initiated");

/** The parent's alarm at a few later instants, so its outbox retries whatever backed off. */
async function retryOutbox(parent: string, t0: number) {
  for (const dt of [2_000, 10_000, 60_000]) {
    clock.now = () => t0 + dt;
    await runDurableObjectAlarm(stub(parent));
  }
}

/** The parent's next workflow task (its run `runNumber`), skipping the child's tasks on the same queue. */
async function parentTask(queue: string, parent: string, runNumber: number) {
  return eventually(async () => {
    const t = await poll(queue);
    return t.body?.execution_id === parent && t.body.run_number === runNumber ? t : null;
  });
}

/** Run 1 of a parent (started at t0) has started child `kid` (a fixed id, under `policy`), which runs. `start`: the command, for run 2 to send again. */
async function continuedWithChild(prefix: string, policy: "TERMINATE" | "REQUEST_CANCEL", t0: number) {
  const queue = uid("q");
  const parent = uid(prefix);
  const kid = `${parent}:fixed`;
  clock.now = () => t0;
  const run1 = (await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue })).body.run_id as string;
  const start = { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid, parent_close_policy: policy };
  await complete((await poll(queue)).body.task_token, [start]);
  await eventually(async () => (await describeExec(kid)).status === "running");
  return { queue, parent, kid, run1, start };
}

describe("continue-as-new: the next run starts a child with the fixed id of the old run's child", () => {
  it("the old run's TERMINATE stop delivered first: the old child is terminated, and the new run's start gets that closed execution's outcome", async () => {
    const t0 = later();
    const { queue, parent, kid, run1, start } = await continuedWithChild("can-term", "TERMINATE", t0);
    await api("POST", `/v1/workflows/executions/${parent}/signals/go`, {});
    await complete((await parentTask(queue, parent, 1)).body.task_token, [{ type: "continue_as_new", input: null }]);
    await eventually(async () => (await describeExec(kid)).status === "terminated");
    expect(await describeExec(kid)).toMatchObject({ parent_execution_id: parent, parent_run_id: run1 });
    await complete((await parentTask(queue, parent, 2)).body.task_token, [start]);
    const news = await eventually(async () => {
      const n = await childNews(parent);
      return n.length >= 2 ? n : null;
    });
    expect(news).toEqual([
      expect.objectContaining({ type: "child_workflow_started", seq: 1, execution_id: kid }),
      expect.objectContaining({ type: "child_workflow_failed", seq: 1, execution_id: kid, status: "terminated" }),
    ]);
  });

  it("the old run's TERMINATE stop still backing off: the new run's start fails (workflow already started), and the stop then ends the old child only", async () => {
    const t0 = later();
    const { queue, parent, kid, run1, start } = await continuedWithChild("can-term-late", "TERMINATE", t0);
    const stop = failFirstCallOn("terminate", kid);
    try {
      await api("POST", `/v1/workflows/executions/${parent}/signals/go`, {});
      await complete((await parentTask(queue, parent, 1)).body.task_token, [{ type: "continue_as_new", input: null }]);
      await stop.failed;
    } finally {
      stop.restore();
    }
    expect(await describeExec(kid)).toMatchObject({ status: "running", parent_run_id: run1 });
    await complete((await parentTask(queue, parent, 2)).body.task_token, [start]);
    const news = await eventually(async () => {
      const n = await childNews(parent);
      return n.length > 0 ? n : null;
    });
    expect(news).toEqual([expect.objectContaining({ type: "child_workflow_start_failed", seq: 1, execution_id: kid, failure: expect.objectContaining({ type: "ChildWorkflowStartFailed", message: expect.stringContaining("already started") }) })]);
    await retryOutbox(parent, t0);
    expect(await eventually(async () => (await describeExec(kid)).status === "terminated")).toBe(true);
    expect(await describeExec(kid)).toMatchObject({ parent_run_id: run1 });
    // The old child's close notice is the old run's: the new run records nothing more.
    await eventually(() => runInDurableObject(stub(kid), (obj) => !storeOf(obj).outbox.has("callback")));
    expect(await childNews(parent)).toHaveLength(1);
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]));
  });

  it("the old run's REQUEST_CANCEL stop delivered: the old child, asked to cancel, still runs, so the new run's start fails (workflow already started)", async () => {
    const t0 = later();
    const { queue, parent, kid, start } = await continuedWithChild("can-cancel", "REQUEST_CANCEL", t0);
    await api("POST", `/v1/workflows/executions/${parent}/signals/go`, {});
    await complete((await parentTask(queue, parent, 1)).body.task_token, [{ type: "continue_as_new", input: null }]);
    await eventually(async () => (await describeExec(kid)).cancel_requested === true);
    await complete((await parentTask(queue, parent, 2)).body.task_token, [start]);
    const news = await eventually(async () => {
      const n = await childNews(parent);
      return n.length > 0 ? n : null;
    });
    expect(news).toEqual([expect.objectContaining({ type: "child_workflow_start_failed", seq: 1, execution_id: kid })]);
  });

  it("the old run's child never started before the continue-as-new (its start backs off): the new run's child is the one that runs, and the old run's stop never reaches it", async () => {
    const t0 = later();
    const queue = uid("q");
    const parent = uid("can-unstarted");
    const kid = `${parent}:fixed`;
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue });
    const start = { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, execution_id: kid, parent_close_policy: "TERMINATE" };
    const blocked = failFirstCallOn("start", kid);
    try {
      await complete((await poll(queue)).body.task_token, [start, { type: "continue_as_new", input: null }]);
      await blocked.failed;
    } finally {
      blocked.restore();
    }
    const run2 = (await describeExec(parent)).run_id as string;
    await complete((await parentTask(queue, parent, 2)).body.task_token, [start]);
    await eventually(async () => (await childNews(parent)).some((e) => e.type === "child_workflow_started"));
    expect(await describeExec(kid)).toMatchObject({ status: "running", parent_run_id: run2 });
    // The old run's start and stop go out now: the start is refused (the id is the new run's child), the stop too.
    await retryOutbox(parent, t0);
    await runInDurableObject(stub(parent), (obj) => expect(storeOf(obj).outbox.entries().filter((e) => e.key.includes("-child:"))).toEqual([]));
    expect(await describeExec(kid)).toMatchObject({ status: "running", cancel_requested: false, parent_run_id: run2 });
    expect((await events(kid)).map((e) => e.type)).not.toContain("execution_terminated");
    expect(await childNews(parent)).toEqual([expect.objectContaining({ type: "child_workflow_started", seq: 1, execution_id: kid })]);
  });
});

describe("a child that continues as new stays its parent's child", () => {
  /** A parent whose child 1 (default id, `policy`) has continued as new; returns the child's run 2 task. */
  async function continuedChild(prefix: string, policy: "TERMINATE" | "ABANDON") {
    const queue = uid("q");
    const parent = uid(prefix);
    const kid = `${parent}:child-1`;
    const run1 = (await api("POST", "/v1/workflows/executions", { workflow: "p", execution_id: parent, task_queue: queue })).body.run_id as string;
    await complete((await poll(queue)).body.task_token, [{ type: "start_child_workflow", seq: 1, workflow: "kid", input: null, parent_close_policy: policy }]);
    const kidTask = await eventually(async () => {
      const t = await poll(queue);
      return t.body?.execution_id === kid ? t : null;
    });
    await complete(kidTask.body.task_token, [{ type: "continue_as_new", input: "again" }]);
    expect(await describeExec(kid)).toMatchObject({ status: "running", run_number: 2, parent_execution_id: parent, parent_run_id: run1 });
    const next = await eventually(async () => {
      const t = await poll(queue);
      return t.body?.execution_id === kid ? t : null;
    });
    return { parent, kid, next };
  }

  it("its last run's outcome is the one its parent records", async () => {
    const { parent, kid, next } = await continuedChild("kid-can", "ABANDON");
    await complete(next.body.task_token, [{ type: "complete_workflow", result: "second run" }]);
    const done = await eventually(async () => (await childNews(parent)).find((e) => e.type === "child_workflow_completed"));
    expect(done).toMatchObject({ seq: 1, execution_id: kid, result: "second run" });
  });

  it("its parent's close policy reaches its new run (the stop names the parent run that started the child)", async () => {
    const { parent, kid } = await continuedChild("kid-can-stop", "TERMINATE");
    expect((await api("POST", `/v1/workflows/executions/${parent}/terminate`, { reason: "done" })).status).toBe(200);
    expect(await eventually(async () => (await describeExec(kid)).status === "terminated")).toBe(true);
    expect(await describeExec(kid)).toMatchObject({ run_number: 2 });
    expect((await events(kid)).at(-1)).toMatchObject({ type: "execution_terminated" });
  });
});
