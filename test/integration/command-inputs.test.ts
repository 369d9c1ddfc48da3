import { describe, expect, it } from "vitest";
import type { WorkflowTask } from "@sundial/sdk/protocol";
import { ApplicationFailure, ChildWorkflowFailure, defineWorkflow } from "@sundial/sdk/workflow";
import { processWorkflowTask } from "../../sdk/src/worker/workflow-runner.ts";
import { api, uid } from "./helpers.ts";
import { complete, describeExec, eventually, poll } from "./hand-worker.ts";
import { sdkWorker } from "./sdk-worker.ts";

// A child start and a continue-as-new start a run of a workflow as a REST start does: their input
// is checked against the workflow's registered input schema too, when the task completes. A
// refused continue-as-new refuses the completion (422); a refused child fails just its start.

const schema = { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] };

async function register(queue: string, ...names: string[]) {
  const r = await api("POST", "/v1/workflows/workers/register", { identity: "cmd-inputs", task_queue: queue, workflows: names.map((name) => ({ name, input_schema: schema })), activities: [] });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history`)).body.events as { type: string }[];

/** Starts `workflow` as `id` on `queue` and polls its first workflow task. */
async function firstTask(workflow: string, id: string, queue: string, input: unknown = null) {
  const started = await api("POST", "/v1/workflows/executions", { workflow, execution_id: id, task_queue: queue, input });
  expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
  const wt = await poll(queue);
  expect(wt.body.execution_id).toBe(id);
  return wt.body.task_token as string;
}

describe("workflow inputs carried by commands", () => {
  it("a child's input its workflow's schema refuses fails that child's start (child_workflow_start_failed, InvalidInput naming the path); the task completes", async () => {
    const queue = uid("q");
    const child = uid("child-wf");
    await register(queue, child);
    const parent = uid("parent");
    const token = await firstTask("parent", parent, queue);
    const r = await complete(token, [
      { type: "start_timer", seq: 1, duration: 60 },
      { type: "start_child_workflow", seq: 1, workflow: child, input: { amount: "ten" } },
      { type: "start_child_workflow", seq: 2, workflow: child, input: null },
      { type: "start_child_workflow", seq: 3, workflow: child, input: { amount: 10 } },
    ]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe("accepted");
    const events = (await history(parent)) as { type: string; seq?: number; failure?: { message: string } }[];
    // (child 3 may have started meanwhile: its child_workflow_started is left out)
    const childEvents = events.filter((e) => e.type.startsWith("child_workflow_") && e.type !== "child_workflow_started");
    expect(childEvents.map((e) => `${e.type}:${e.seq}`)).toEqual([
      "child_workflow_initiated:1",
      "child_workflow_start_failed:1",
      "child_workflow_initiated:2",
      "child_workflow_start_failed:2",
      "child_workflow_initiated:3",
    ]);
    expect(childEvents[1]).toMatchObject({ execution_id: `${parent}:child-1`, failure: { type: "InvalidInput", non_retryable: true, details: { field: "input.amount" } } });
    expect(childEvents[1]!.failure!.message).toContain(child);
    expect(childEvents[3]).toMatchObject({ failure: { type: "InvalidInput", details: { field: "input" } } });
    // The refused children never start; the good one does, and the parent gets a task to learn of both.
    expect((await describeExec(`${parent}:child-1`)).code).toBe("execution_not_found");
    expect((await describeExec(`${parent}:child-2`)).code).toBe("execution_not_found");
    const started = await eventually(async () => ((await describeExec(`${parent}:child-3`)).status === "running" ? describeExec(`${parent}:child-3`) : null));
    expect(started).toMatchObject({ workflow: child, input: { amount: 10 } });
    const next = await eventually(async () => {
      const wt = await poll(queue);
      return wt.body?.execution_id === parent ? wt : null;
    });
    expect((next.body.history as { type: string }[]).some((e) => e.type === "child_workflow_start_failed")).toBe(true);
  });

  it("SDK worker: the parent's executeChildWorkflow rejects with ChildWorkflowFailure (start_failed, cause InvalidInput) it can catch, and the parent completes", async () => {
    const queue = uid("q");
    const child = uid("child-wf");
    await register(queue, child);
    const parentWf = defineWorkflow({
      name: uid("parent-wf"),
      run: async (ctx) => {
        try {
          return await ctx.executeChildWorkflow(child, { amount: "ten" });
        } catch (err) {
          if (!(err instanceof ChildWorkflowFailure) || err.status !== "start_failed" || !(err.cause instanceof ApplicationFailure)) throw err;
          return { type: err.cause.type, details: err.cause.details };
        }
      },
    });
    const deps = sdkWorker(queue, [parentWf], "cmd-inputs-sdk");
    const id = uid("sdk-parent");
    expect((await api("POST", "/v1/workflows/executions", { workflow: parentWf.name, execution_id: id, task_queue: queue })).status).toBe(201);
    for (let i = 0; i < 2; i++) await processWorkflowTask((await poll(queue)).body as WorkflowTask, deps);
    expect(await describeExec(id)).toMatchObject({ status: "completed", result: { type: "InvalidInput", details: { field: "input.amount" } } });
    expect((await history(id)).filter((e) => e.type === "workflow_task_failed")).toEqual([]);
  });

  it("SDK worker: of three children started in one task only the refused one fails; a full replay (query, empty cache) and a reset before the starts replay it deterministically", async () => {
    const queue = uid("q");
    const childName = uid("child-wf");
    await register(queue, childName);
    const child = defineWorkflow({ name: childName, run: async (_ctx, i: { amount: number }) => i.amount * 2 });
    const parentWf = defineWorkflow({
      name: uid("parent-wf"),
      run: async (ctx) => {
        let stage = "starting";
        ctx.setQueryHandler("stage", () => stage);
        const a = await ctx.executeChildWorkflow(child, { amount: 1 }, { wait: false });
        const b = await ctx.executeChildWorkflow(child, { amount: "x" } as never, { wait: false });
        const c = await ctx.executeChildWorkflow(child, { amount: 3 }, { wait: false });
        const refused = await b.started.then(() => "started", (err: unknown) => (err instanceof ChildWorkflowFailure ? err.status : String(err)));
        stage = "waiting";
        const results = [await a.result(), await c.result()];
        stage = "done";
        return { results, refused, ids: [a.executionId, b.executionId, c.executionId] };
      },
    });
    const id = uid("sdk-parent");
    const runToEnd = async (deps: ReturnType<typeof sdkWorker>) => {
      for (let i = 0; i < 12 && (await describeExec(id)).status === "running"; i++) {
        const t = await poll(queue);
        if (t.status === 200) await processWorkflowTask(t.body as WorkflowTask, deps);
      }
      return describeExec(id);
    };
    expect((await api("POST", "/v1/workflows/executions", { workflow: parentWf.name, execution_id: id, task_queue: queue })).status).toBe(201);
    const done = { status: "completed", result: { results: [2, 6], refused: "start_failed", ids: [`${id}:child-1`, `${id}:child-2`, `${id}:child-3`] } };
    expect(await runToEnd(sdkWorker(queue, [parentWf, child], "cmd-inputs-a"))).toMatchObject(done);
    // A worker with nothing cached replays the whole history to answer a query.
    const asked = api("POST", `/v1/workflows/executions/${id}/queries/stage`, { input: null, timeout_seconds: 5 });
    await processWorkflowTask((await poll(queue)).body as WorkflowTask, sdkWorker(queue, [parentWf, child], "cmd-inputs-b"));
    expect((await asked).body).toMatchObject({ result: "done" });
    // Reset to the task that started them: the new run's code starts them again (new ids), the refused one fails again.
    const point = (await history(id)).find((e) => e.type === "workflow_task_completed") as unknown as { id: number };
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point.id, reason: "again" })).status).toBe(200);
    expect(await runToEnd(sdkWorker(queue, [parentWf, child], "cmd-inputs-c"))).toMatchObject({ status: "completed", result: { results: [2, 6], refused: "start_failed" } });
    const failed = (await history(id)).filter((e) => e.type === "workflow_task_failed") as unknown as { failure: { type: string } }[];
    expect(failed.map((e) => e.failure.type)).toEqual(["ResetWorkflow"]);
  });

  it("a continue-as-new's input is checked against the current workflow's schema: 422, and the run goes on", async () => {
    const queue = uid("q");
    const wf = uid("can-wf");
    await register(queue, wf);
    const id = uid("can");
    const token = await firstTask(wf, id, queue, { amount: 1 });
    const before = await history(id);
    const r = await complete(token, [{ type: "continue_as_new", input: { amount: [2] } }]);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "invalid_input", field: "commands.0.input.amount" });
    expect(await history(id)).toEqual(before);
    expect(await describeExec(id)).toMatchObject({ status: "running", run_number: 1 });
    expect((await complete(token, [{ type: "continue_as_new", input: { amount: 2 } }])).status).toBe(200);
    expect(await describeExec(id)).toMatchObject({ status: "running", run_number: 2, input: { amount: 2 } });
  });

  it("a workflow no worker registered (or registered without a schema) takes any input", async () => {
    const queue = uid("q");
    const bare = uid("bare-wf");
    const reg = await api("POST", "/v1/workflows/workers/register", { identity: "cmd-inputs", task_queue: queue, workflows: [{ name: bare }], activities: [] });
    expect(reg.status).toBeLessThan(300);
    const parent = uid("parent-free");
    const token = await firstTask(uid("unregistered"), parent, queue);
    const r = await complete(token, [
      { type: "start_child_workflow", seq: 1, workflow: uid("unregistered-child"), input: { amount: "ten" }, parent_close_policy: "ABANDON" },
      { type: "start_child_workflow", seq: 2, workflow: bare, input: "anything", parent_close_policy: "ABANDON" },
      { type: "continue_as_new", input: [1, 2, 3] },
    ]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await describeExec(parent)).toMatchObject({ run_number: 2, input: [1, 2, 3] });
    for (const kid of [`${parent}:child-1`, `${parent}:child-2`]) expect(await eventually(async () => (await describeExec(kid)).status === "running")).toBe(true);
  });
});

describe("activity types carried by commands", () => {
  it("schedule_activity's activity_type follows the registration's name rules: else 422 naming the command's field, and nothing is scheduled", async () => {
    const queue = uid("q");
    const id = uid("act-name");
    const token = await firstTask("w", id, queue);
    const before = await history(id);
    for (const name of ["send email", "billing/charge", "_private", "x".repeat(201)]) {
      const r = await complete(token, [
        { type: "start_timer", seq: 1, duration: 60 },
        { type: "schedule_activity", seq: 1, activity_type: name, input: null },
      ]);
      expect(r.status, name).toBe(422);
      expect(r.body, name).toMatchObject({ code: "validation_failed", field: "commands.1.activity_type" });
    }
    expect(await history(id)).toEqual(before);
    const ok = await complete(token, [{ type: "schedule_activity", seq: 1, activity_type: `billing.charge:${"v".repeat(185)}`, input: null }]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await describeExec(id)).pending_activities).toHaveLength(1);
  });
});
