import { describe, expect, it } from "vitest";
import type { WorkflowTask } from "@sundial/sdk/protocol";
import { defineWorkflow } from "@sundial/sdk/workflow";
import { processWorkflowTask } from "../../sdk/src/worker/workflow-runner.ts";
import { api, uid } from "./helpers.ts";
import { sdkWorker } from "./sdk-worker.ts";

// An update and the close of its run in the same workflow task (Temporal's rules): an update the
// closing task completes gets its result; one accepted but not completed, or never accepted, fails
// for its caller with 409 execution_closed at once; a continue-as-new offers the updates the old
// run had not accepted to the new run.

type Event = { id: number; type: string } & Record<string, unknown>;

/** Sets `got` from its update handler, whose result takes a few more turns than the workflow's own return. */
const slowHandler = defineWorkflow({
  name: "update-close-slow-handler",
  run: async (ctx) => {
    let got: unknown;
    ctx.setUpdateHandler("set", async (v: unknown) => {
      got = v;
      for (let i = 0; i < 10; i++) await null;
      return { set: v };
    });
    await ctx.executeActivity("work", null);
    return { got };
  },
});

/** Waits for a `go` signal, then returns (`stop`) or continues as new (`again`). */
const signalled = defineWorkflow({
  name: "update-close-signalled",
  run: async (ctx, input: { run: number } | null) => {
    const run = input?.run ?? 1;
    let go: string | undefined;
    let value: unknown;
    ctx.setSignalHandler("go", (how: string) => void (go = how));
    ctx.setUpdateHandler("set", (v: unknown) => ({ run, set: (value = v) }));
    await ctx.waitCondition(() => go !== undefined);
    if (go === "again") return ctx.continueAsNew({ run: run + 1 });
    return { run, value };
  },
});

const worker = (queue: string) => sdkWorker(queue, [slowHandler, signalled], "update-close-worker");

const poll = async (queue: string, kind: "workflow" | "activity" = "workflow") => {
  const r = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "update-close-worker", wait_seconds: 1 });
  expect(r.status).toBe(200);
  return r.body as WorkflowTask & { task_token: string };
};
const complete = (token: string, commands: unknown[]) => api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands });
const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[];
const sendUpdate = (id: string, updateId: string, input: unknown, waitSeconds = 10) =>
  api("POST", `/v1/workflows/executions/${id}/updates/set`, { input, update_id: updateId, wait_seconds: waitSeconds });

async function start(workflow: string, queue: string) {
  const id = uid("upd-close");
  expect((await api("POST", "/v1/workflows/executions", { workflow, execution_id: id, task_queue: queue })).status).toBe(201);
  return id;
}

describe("updates and the close of their run in one workflow task (SDK worker)", () => {
  it("an update whose handler finishes in the task where the workflow returns gets its result", async () => {
    const queue = uid("q");
    const deps = worker(queue);
    const id = await start(slowHandler.name, queue);
    await processWorkflowTask(await poll(queue), deps); // schedules the activity
    const caller = sendUpdate(id, "u1", 7);
    await processWorkflowTask(await poll(queue), deps); // accepts u1
    const act = await poll(queue, "activity");
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: act.task_token, result: "ok" })).status).toBe(200);
    // One task sees update_accepted and the activity's result: the workflow returns before the handler does.
    await processWorkflowTask(await poll(queue), deps);
    const res = await caller;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ update_id: "u1", status: "completed", result: { set: 7 } });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "completed", result: { got: 7 } });
    expect((await history(id)).filter((e) => e.type === "update_completed")).toEqual([expect.objectContaining({ update_id: "u1", result: { set: 7 } })]);
  });

  it("an update offered to the task that returns is left to the platform: its caller gets 409 execution_closed, not a rejection of its input", async () => {
    const queue = uid("q");
    const deps = worker(queue);
    const id = await start(signalled.name, queue);
    await processWorkflowTask(await poll(queue), deps);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/go`, { input: "stop" })).status).toBe(202);
    const caller = sendUpdate(id, "u1", 1);
    const wt = await poll(queue);
    expect(wt.updates).toEqual([{ update_id: "u1", name: "set", input: 1 }]);
    await processWorkflowTask(wt, deps);
    const res = await caller;
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({ code: "execution_closed" });
    expect(res.body.detail).toContain("completed before the update was accepted");
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("completed");
  });

  it("continue-as-new offers the updates the old run had not accepted to the new run, whose handler answers them", async () => {
    const queue = uid("q");
    const deps = worker(queue);
    const id = await start(signalled.name, queue);
    await processWorkflowTask(await poll(queue), deps);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/go`, { input: "again" })).status).toBe(202);
    const caller = sendUpdate(id, "u1", 5);
    const wt = await poll(queue);
    expect(wt.updates).toEqual([{ update_id: "u1", name: "set", input: 5 }]);
    await processWorkflowTask(wt, deps); // continues as new, leaving u1 unanswered
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "running", run_number: 2 });
    const next = await poll(queue);
    expect(next.run_number).toBe(2);
    expect(next.updates).toEqual([{ update_id: "u1", name: "set", input: 5 }]);
    await processWorkflowTask(next, deps); // accepts u1
    await processWorkflowTask(await poll(queue), deps); // runs the handler
    const res = await caller;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ update_id: "u1", status: "completed", result: { run: 2, set: 5 } });
  });
});

describe("updates and the close of their run in one workflow task (hand-driven worker)", () => {
  it("an update accepted by the task that completes the run fails at once with 409 execution_closed and is not recorded as accepted", async () => {
    const queue = uid("q");
    const id = await start("approval", queue);
    await complete((await poll(queue)).task_token, []);
    const caller = sendUpdate(id, "u1", 1);
    const wt = await poll(queue);
    expect(wt.updates).toHaveLength(1);
    expect((await complete(wt.task_token, [{ type: "accept_update", update_id: "u1" }, { type: "complete_workflow", result: "done" }])).status).toBe(200);
    const res = await caller;
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "execution_closed" });
    expect(res.body.detail).toContain("completed before the update completed");
    expect((await history(id)).some((e) => e.type.startsWith("update_"))).toBe(false);
    // Asked again with its id: the same answer.
    expect((await sendUpdate(id, "u1", 1, 1)).body).toMatchObject({ code: "execution_closed" });
  });

  it("an update accepted earlier and still running at continue-as-new fails with 409 execution_closed; its id sent again is not a new update of the new run", async () => {
    const queue = uid("q");
    const id = await start("approval", queue);
    await complete((await poll(queue)).task_token, []);
    const first = await sendUpdate(id, "u1", 1, 1);
    expect(first.body).toMatchObject({ status: "pending" });
    await complete((await poll(queue)).task_token, [{ type: "accept_update", update_id: "u1" }]);
    const caller = sendUpdate(id, "u1", 1);
    expect((await complete((await poll(queue)).task_token, [{ type: "continue_as_new", input: null }])).status).toBe(200);
    const res = await caller;
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "execution_closed" });
    expect(res.body.detail).toContain("continued as new before the update completed");
    // The SDK client asks again with the same id after a 202: the handler ran in the old run, so it must not run again.
    const again = await sendUpdate(id, "u1", 1, 1);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "execution_closed" });
    const next = await poll(queue);
    expect(next.run_number).toBe(2);
    expect(next.updates).toEqual([]);
  });

  it("an update accepted and left running at continue-as-new still answers 409 execution_closed two runs later, and after a reset of a later run", async () => {
    const queue = uid("q");
    const id = await start("approval", queue);
    await complete((await poll(queue)).task_token, []);
    expect((await sendUpdate(id, "u1", 1, 1)).body).toMatchObject({ status: "pending" });
    await complete((await poll(queue)).task_token, [{ type: "accept_update", update_id: "u1" }]);
    expect((await complete((await poll(queue)).task_token, [{ type: "continue_as_new", input: null }])).status).toBe(200);
    // Run 2 continues as new too: the failure must go on to run 3, not be dropped.
    expect((await complete((await poll(queue)).task_token, [{ type: "continue_as_new", input: null }])).status).toBe(200);
    const run3 = await poll(queue);
    expect(run3.run_number).toBe(3);
    expect(run3.updates).toEqual([]);
    const again = await sendUpdate(id, "u1", 1, 1);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "execution_closed" });
    expect(again.body.detail).toContain("continued as new before the update completed");
    // A reset of run 3 keeps what earlier runs handed on: the handler that ran in run 1 does not run again.
    await complete(run3.task_token, []);
    const point = (await history(id)).filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "again" })).status).toBe(200);
    const afterReset = await sendUpdate(id, "u1", 1, 1);
    expect(afterReset.status).toBe(409);
    expect(afterReset.body).toMatchObject({ code: "execution_closed" });
    const run4 = await poll(queue);
    expect(run4.run_number).toBe(4);
    expect(run4.updates).toEqual([]);
  });

  it("an update accepted by the task that continues as new fails with 409 execution_closed and is not offered to the new run", async () => {
    const queue = uid("q");
    const id = await start("approval", queue);
    await complete((await poll(queue)).task_token, []);
    const caller = sendUpdate(id, "u1", 1);
    const wt = await poll(queue);
    expect((await complete(wt.task_token, [{ type: "accept_update", update_id: "u1" }, { type: "continue_as_new", input: null }])).status).toBe(200);
    const res = await caller;
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "execution_closed" });
    const next = await poll(queue);
    expect(next.run_number).toBe(2);
    expect(next.updates).toEqual([]);
  });

  it("an update never answered when the run fails for good fails at once with 409 execution_closed", async () => {
    const queue = uid("q");
    const id = await start("approval", queue);
    await complete((await poll(queue)).task_token, []);
    const caller = sendUpdate(id, "u1", 1);
    const wt = await poll(queue);
    expect((await complete(wt.task_token, [{ type: "fail_workflow", failure: { message: "no" } }])).status).toBe(200);
    const res = await caller;
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "execution_closed" });
    expect(res.body.detail).toContain("failed before the update was accepted");
  });
});
