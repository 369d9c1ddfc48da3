import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

// A workflow task that closes the run (complete, fail, continue-as-new) while a signal or an update
// arrived after it started must not close the run: the workflow never saw the new event. As in
// Temporal (UnhandledCommand), the task fails and a new one is handed out at once.

type Event = { id: number; type: string } & Record<string, unknown>;

const poll = (queue: string) => api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "hand", wait_seconds: 1 });
const complete = (token: string, commands: unknown[]) => api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands });
const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[];

async function startedWithTask(queue: string) {
  const id = uid("unhandled");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue })).status).toBe(201);
  const wt = await poll(queue);
  expect(wt.status).toBe(200);
  return { id, token: wt.body.task_token as string };
}

const closing = [
  ["complete_workflow", { type: "complete_workflow", result: "done" }, { status: "completed" }],
  ["fail_workflow", { type: "fail_workflow", failure: { message: "no" } }, { status: "failed" }],
  ["continue_as_new", { type: "continue_as_new", input: { n: 2 } }, { status: "running", run_number: 2 }],
] as const;

describe("a closing workflow task that missed new events (UnhandledCommand)", () => {
  it.each(closing)("%s after a signal arrived mid-task is a 409 stale_task; the run stays open and a new task delivers the signal", async (_name, command, closed) => {
    const queue = uid("q");
    const { id, token } = await startedWithTask(queue);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input: { by: "ada" } })).status).toBe(202);

    const refused = await complete(token, [command]);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body).toMatchObject({ code: "stale_task" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "running", run_number: 1 });

    const events = await history(id);
    const started = events.findLastIndex((e) => e.type === "workflow_task_started");
    expect(events.slice(started + 1).map((e) => e.type)).toEqual(["signal_received", "workflow_task_failed", "workflow_task_scheduled"]);
    expect(events[started + 2]).toMatchObject({ scheduled_event_id: events[started]!.scheduled_event_id, cause: "UnhandledCommand", failure: { type: "UnhandledCommand", non_retryable: false } });
    // Attempt 1 at once: no backoff, this was no failure of the worker's.
    expect(events[started + 3]).toMatchObject({ attempt: 1 });
    expect(events[started + 3]).not.toHaveProperty("visible_at");

    // The same completion sent again is refused the same way and writes nothing.
    expect((await complete(token, [command])).body).toMatchObject({ code: "stale_task" });
    expect((await history(id)).length).toBe(events.length);

    const next = await poll(queue);
    expect(next.status).toBe(200);
    expect(next.body.attempt).toBe(1);
    expect((next.body.history as Event[]).filter((e) => e.type === "signal_received")).toEqual([expect.objectContaining({ name: "approve", input: { by: "ada" } })]);
    expect((await complete(next.body.task_token, [command])).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject(closed);
  });

  it("an update requested mid-task is not failed by the closing task: the next task offers it", async () => {
    const queue = uid("q");
    const { id, token } = await startedWithTask(queue);
    const send = () => api("POST", `/v1/workflows/executions/${id}/updates/update_config`, { input: { limit: 5 }, update_id: "u1", wait_seconds: 1 });
    expect((await send()).body).toMatchObject({ status: "pending" });
    const refused = await complete(token, [{ type: "complete_workflow", result: "done" }]);
    expect(refused.body).toMatchObject({ code: "stale_task" });
    const next = await poll(queue);
    expect(next.body.updates).toEqual([{ update_id: "u1", name: "update_config", input: { limit: 5 } }]);
    await complete(next.body.task_token, [{ type: "accept_update", update_id: "u1" }]);
    const third = await poll(queue);
    await complete(third.body.task_token, [{ type: "complete_update", update_id: "u1", result: "ok" }, { type: "complete_workflow", result: "done" }]);
    expect((await send()).body).toMatchObject({ status: "completed", result: "ok" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("completed");
  });

  it("a task that does not close the run is still accepted, and the new event gets a task of its own", async () => {
    const queue = uid("q");
    const { id, token } = await startedWithTask(queue);
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, {})).status).toBe(202);
    expect((await complete(token, [{ type: "start_timer", seq: 1, duration: 60 }])).status).toBe(200);
    const events = await history(id);
    expect(events.slice(-3).map((e) => e.type)).toEqual(["workflow_task_completed", "timer_started", "workflow_task_scheduled"]);
  });
});
