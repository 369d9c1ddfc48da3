import { describe, expect, it } from "vitest";
import type { WorkflowTask } from "@sundial/sdk/protocol";
import { defineWorkflow, type WorkflowDefinition } from "@sundial/sdk/workflow";
import { processWorkflowTask } from "../../sdk/src/worker/workflow-runner.ts";
import { api, poll, uid } from "./helpers.ts";
import { sdkWorker } from "./sdk-worker.ts";

// ctx.patched end to end: the real SDK workflow runner against this Worker. A run started by v1
// and paused waits for a signal while the deployment moves to v2; it must finish on v2 taking the
// old branch, while a run started on v2 takes the new one — and only that run's history holds
// the marker. A reset keeps the markers before its point.

const NAME = "patch-checkout";

/** Charges with a step, then waits for approval. */
const v1 = defineWorkflow({
  name: NAME,
  run: async (ctx) => {
    let approved = false;
    ctx.setSignalHandler("approve", () => void (approved = true));
    const receipt = await ctx.step.run("charge", () => "charged by v1");
    await ctx.waitCondition(() => approved);
    return { branch: "old", receipt };
  },
});

/** The charge moved to a new step behind a patch. */
const v2 = defineWorkflow({
  name: NAME,
  run: async (ctx) => {
    let approved = false;
    ctx.setSignalHandler("approve", () => void (approved = true));
    const patched = ctx.patched("charge-v2");
    const receipt = patched ? await ctx.step.run("charge_v2", () => "charged by v2") : await ctx.step.run("charge", () => "charged by v1");
    await ctx.waitCondition(() => approved);
    return { branch: patched ? "new" : "old", receipt };
  },
});

type Event = { id: number; type: string } & Record<string, unknown>;
const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history`)).body.events as Event[];
const describeRun = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}`)).body as { status: string; result: unknown };

/**
 * Polls the queue's next workflow task and runs it with the SDK runner on `def`. Holds up to 5 s:
 * a failed task comes back after its 1 s backoff, which a 1 s poll could miss on a loaded machine.
 */
async function runTask(queue: string, def: WorkflowDefinition, identity: string): Promise<void> {
  const r = await poll("workflow", queue, 5);
  expect(r.status).toBe(200);
  await processWorkflowTask(r.body as WorkflowTask, sdkWorker(queue, [def], identity));
}

async function start(queue: string, prefix: string): Promise<string> {
  const id = uid(prefix);
  expect((await api("POST", "/v1/workflows/executions", { workflow: NAME, execution_id: id, task_queue: queue })).status).toBe(201);
  return id;
}

const approve = async (id: string) => expect((await api("POST", `/v1/workflows/executions/${encodeURIComponent(id)}/signals/approve`, { input: null })).status).toBeLessThan(300);

describe("ctx.patched across a deployment", () => {
  it("a run started on v1 and paused finishes on v2 taking the old branch; a run started on v2 takes the new one, and only its history holds the marker", async () => {
    const queue = uid("patch-q");
    const old = await start(queue, "patch-old");
    await runTask(queue, v1, "worker-v1"); // charges with "charge", then waits for the signal

    // The deployment moves to v2: a new worker (no cached state), the same workflow name.
    await approve(old);
    await runTask(queue, v2, "worker-v2");
    expect(await describeRun(old)).toMatchObject({ status: "completed", result: { branch: "old", receipt: "charged by v1" } });

    const fresh = await start(queue, "patch-new");
    await runTask(queue, v2, "worker-v2");
    await approve(fresh);
    await runTask(queue, v2, "worker-v2");
    expect(await describeRun(fresh)).toMatchObject({ status: "completed", result: { branch: "new", receipt: "charged by v2" } });

    const oldEvents = await history(old);
    const freshEvents = await history(fresh);
    expect(oldEvents.filter((e) => e.type === "marker_recorded")).toEqual([]);
    expect(freshEvents.filter((e) => e.type === "marker_recorded")).toEqual([expect.objectContaining({ patch_id: "charge-v2", deprecated: false })]);
    // The marker sits where the code asked for it: before the step of the new branch.
    const types = freshEvents.map((e) => e.type);
    expect(types.indexOf("marker_recorded")).toBe(types.indexOf("step_recorded") - 1);
    expect([...oldEvents, ...freshEvents].filter((e) => e.type === "workflow_task_failed")).toEqual([]);
  });

  it("a reset keeps the markers before its point: the new run replays them and takes the same branch, with no second marker", async () => {
    const queue = uid("patch-q");
    const id = await start(queue, "patch-reset");
    await runTask(queue, v2, "worker-v2");
    await approve(id);
    await runTask(queue, v2, "worker-v2");
    // Reset to the second task's completion: the first task's marker and step are kept.
    const completed = (await history(id)).filter((e) => e.type === "workflow_task_completed");
    expect(completed).toHaveLength(2);
    expect((await api("POST", `/v1/workflows/executions/${encodeURIComponent(id)}/reset`, { event_id: completed[1]!.id, reason: "again" })).status).toBe(200);
    await runTask(queue, v2, "worker-v2");
    expect(await describeRun(id)).toMatchObject({ status: "completed", result: { branch: "new", receipt: "charged by v2" } });
    const events = await history(id);
    expect(events.filter((e) => e.type === "marker_recorded")).toHaveLength(1);
    // Only the reset's own task failure: the replay through the marker raised nothing.
    expect(events.filter((e) => e.type === "workflow_task_failed").map((e) => (e.failure as { type: string }).type)).toEqual(["ResetWorkflow"]);
  });

  it("an invalid patch id fails the workflow task with a clear error, and the run goes on once the code is fixed", async () => {
    const queue = uid("patch-q");
    const id = await start(queue, "patch-bad");
    const bad = defineWorkflow({ name: NAME, run: async (ctx) => (ctx.patched("") ? "new" : "old") });
    await runTask(queue, bad, "worker-bad");
    const failed = (await history(id)).filter((e) => e.type === "workflow_task_failed");
    expect(failed).toEqual([expect.objectContaining({ failure: expect.objectContaining({ message: expect.stringContaining('ctx.patched(): patch id "" is invalid') }) })]);
    expect((await describeRun(id)).status).toBe("running");
    // The fixed code's worker gets the task again; the failed attempt recorded nothing, so it runs live.
    await runTask(queue, v2, "worker-v2");
    await approve(id);
    await runTask(queue, v2, "worker-v2");
    expect(await describeRun(id)).toMatchObject({ status: "completed", result: { branch: "new", receipt: "charged by v2" } });

  });

  it("a completion with a bad patch_id is a 422 naming the field (never a 500, nothing written); a good one is recorded", async () => {
    const queue = uid("patch-q");
    const id = await start(queue, "patch-wire");
    const wt = await poll("workflow", queue);
    const complete = (commands: unknown[]) => api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands });
    for (const patch_id of ["", "x".repeat(201), 7]) {
      const r = await complete([{ type: "start_timer", seq: 1, duration: 60 }, { type: "set_patch_marker", patch_id }]);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body).toMatchObject({ code: "validation_failed", field: "commands.1.patch_id" });
    }
    expect((await history(id)).map((e) => e.type)).not.toContain("timer_started");
    expect((await complete([{ type: "set_patch_marker", patch_id: "p", deprecated: true }, { type: "start_timer", seq: 1, duration: 60 }])).status).toBe(200);
    expect((await history(id)).filter((e) => e.type === "marker_recorded" || e.type === "timer_started").map((e) => [e.type, e.patch_id ?? e.seq, e.deprecated])).toEqual([
      ["marker_recorded", "p", true],
      ["timer_started", 1, undefined],
    ]);
  });
});
