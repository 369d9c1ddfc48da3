import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { complete, describeExec, eventually, poll } from "./hand-worker.ts";

// A child started by name (no definition, so the SDK sends no task queue or timeout) takes its
// workflow's registration, as a REST start does: the queue its workers poll and its default
// execution timeout. A child no worker registered goes to its parent's queue with the 1 h default;
// what the command names wins over both.

async function register(queue: string, workflow: string, executionTimeout?: number) {
  const wf = { name: workflow, ...(executionTimeout === undefined ? {} : { execution_timeout: executionTimeout }) };
  const r = await api("POST", "/v1/workflows/workers/register", { identity: "child-defaults", task_queue: queue, workflows: [wf], activities: [] });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

/** Starts a parent on `queue`, completes its first task with `commands`, and returns its id. */
async function parentStarting(queue: string, commands: unknown[]): Promise<string> {
  const parent = uid("parent");
  const started = await api("POST", "/v1/workflows/executions", { workflow: "parent", execution_id: parent, task_queue: queue });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const wt = await poll(queue);
  expect(wt.body.execution_id).toBe(parent);
  const r = await complete(wt.body.task_token as string, commands);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return parent;
}

const running = (id: string) => eventually(async () => {
  const d = await describeExec(id);
  return d.status === "running" ? d : null;
});

describe("a child workflow's defaults come from its registration", () => {
  it("a registered child named by the command alone runs on its registered queue with its registered execution timeout", async () => {
    const parentQueue = uid("q-parent");
    const childQueue = uid("q-billing");
    const child = uid("charge");
    await register(childQueue, child, 600);
    const parent = await parentStarting(parentQueue, [{ type: "start_child_workflow", seq: 1, workflow: child, input: null }]);
    expect(await running(`${parent}:child-1`)).toMatchObject({ workflow: child, task_queue: childQueue, execution_timeout: 600 });
    // Its first workflow task is on the registered queue, where its workers poll.
    const wt = await poll(childQueue);
    expect(wt.body.execution_id).toBe(`${parent}:child-1`);
  });

  it("the command's task_queue and execution_timeout win over the registration", async () => {
    const parentQueue = uid("q-parent");
    const child = uid("charge");
    await register(uid("q-billing"), child, 600);
    const named = uid("q-named");
    const parent = await parentStarting(parentQueue, [{ type: "start_child_workflow", seq: 1, workflow: child, input: null, task_queue: named, execution_timeout: 120 }]);
    expect(await running(`${parent}:child-1`)).toMatchObject({ task_queue: named, execution_timeout: 120 });
  });

  it("a registered child without a default timeout gets the 1 h default; an unregistered one its parent's queue too", async () => {
    const parentQueue = uid("q-parent");
    const childQueue = uid("q-billing");
    const registered = uid("charge");
    await register(childQueue, registered);
    const unknown = uid("never-registered");
    const parent = await parentStarting(parentQueue, [
      { type: "start_child_workflow", seq: 1, workflow: registered, input: null },
      { type: "start_child_workflow", seq: 2, workflow: unknown, input: null },
    ]);
    expect(await running(`${parent}:child-1`)).toMatchObject({ task_queue: childQueue, execution_timeout: 3600 });
    expect(await running(`${parent}:child-2`)).toMatchObject({ task_queue: parentQueue, execution_timeout: 3600 });
  });
});
