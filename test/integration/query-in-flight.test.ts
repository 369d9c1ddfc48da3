import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WorkflowTask } from "@sundial/sdk/protocol";
import { defineWorkflow } from "@sundial/sdk/workflow";
import { processWorkflowTask } from "../../sdk/src/worker/workflow-runner.ts";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import { sdkWorker } from "./sdk-worker.ts";

// A query that arrives while a workflow task is leased but not completed is answered by the real
// SDK worker code from the history the platform hands out: up to the in-flight task, whatever the
// platform recorded after that task started (a fired timer, a signal, a terminate).

/** Sleeps 5 s in the background, waits for a signal, then schedules its work. */
const waiter = defineWorkflow({
  name: "in-flight-waiter",
  run: async (ctx) => {
    const seen: string[] = [];
    let stage = "waiting";
    ctx.setQueryHandler("state", () => ({ stage, seen }));
    ctx.setSignalHandler("tag", (t: string) => void seen.push(t));
    const nap = ctx.sleep(5);
    await ctx.waitCondition(() => seen.length > 0);
    stage = "working";
    await ctx.executeActivity("work", null);
    await nap;
    return seen;
  },
});

const worker = (queue: string) => sdkWorker(queue, [waiter], "in-flight-worker");

async function poll(queue: string): Promise<WorkflowTask> {
  const r = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "in-flight-worker", wait_seconds: 1 });
  expect(r.status).toBe(200);
  return r.body as WorkflowTask;
}

/** Sends query `state` and answers it with the SDK worker, returning the caller's response. */
async function query(id: string, queue: string, deps: ReturnType<typeof worker>) {
  const pending = api("POST", `/v1/workflows/executions/${id}/queries/state`, { input: null, timeout_seconds: 10 });
  const task = await poll(queue);
  expect(task.query).toMatchObject({ name: "state" });
  await processWorkflowTask(task, deps);
  return pending;
}

describe("queries while a workflow task is in flight", () => {
  it("answer from the state as of the in-flight task, though a timer fired, a signal and a terminate were recorded after it started", async () => {
    const queue = uid("q");
    const id = uid("inflight");
    const deps = worker(queue);
    const t0 = Date.now();
    clock.now = () => t0;
    expect((await api("POST", "/v1/workflows/executions", { workflow: waiter.name, execution_id: id, task_queue: queue })).status).toBe(201);
    await processWorkflowTask(await poll(queue), deps); // task 1: start_timer(5 s)
    await api("POST", `/v1/workflows/executions/${id}/signals/tag`, { input: "a" });
    // Task 2 is leased and acknowledged, not completed: replaying it schedules the activity.
    const wt2 = await poll(queue);
    expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: wt2.task_token })).status).toBe(200);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    await api("POST", `/v1/workflows/executions/${id}/signals/tag`, { input: "b" });
    const types = ((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[]).map((e) => e.type);
    expect(types.slice(types.lastIndexOf("workflow_task_started"))).toEqual(["workflow_task_started", "timer_fired", "signal_received"]);

    const asOfTask2 = { stage: "working", seen: ["a"] };
    const running = await query(id, queue, deps);
    expect(running.status).toBe(200);
    expect(running.body.result).toEqual(asOfTask2);

    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "ops" })).status).toBeLessThan(300);
    const closed = await query(id, queue, deps);
    expect(closed.status).toBe(200);
    expect(closed.body.result).toEqual(asOfTask2);
  });
});
