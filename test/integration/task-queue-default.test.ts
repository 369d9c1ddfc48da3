import { describe, expect, it } from "vitest";
import { api, poll, uid } from "./helpers.ts";

// A start, a signal-with-start or a schedule that names no task queue goes to the queue the
// workflow was registered on (the last worker whose registration was applied), else `default`:
// a workflow whose workers poll only "reports" runs when started by name without a queue.

function register(workflow: string, taskQueue: string) {
  return api("POST", "/v1/workflows/workers/register", { identity: "tq-worker", task_queue: taskQueue, workflows: [{ name: workflow }], activities: [] });
}

describe("the default task queue", () => {
  it("a start without task_queue goes to the workflow's registered queue; one that names a queue keeps it; an unregistered workflow goes to default", async () => {
    const wf = uid("tq-start");
    const queue = uid("reports");
    expect((await register(wf, queue)).status).toBe(200);
    const started = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: uid("tq-run") });
    expect(started.status).toBe(201);
    expect((await api("GET", `/v1/workflows/executions/${encodeURIComponent(started.body.execution_id)}`)).body.task_queue).toBe(queue);
    const task = await poll("workflow", queue);
    expect(task.status).toBe(200);
    expect(task.body.execution_id).toBe(started.body.execution_id);

    const named = await api("POST", "/v1/workflows/executions", { workflow: wf, task_queue: "elsewhere", execution_id: uid("tq-named") });
    expect((await api("GET", `/v1/workflows/executions/${encodeURIComponent(named.body.execution_id)}`)).body.task_queue).toBe("elsewhere");

    const other = await api("POST", "/v1/workflows/executions", { workflow: uid("tq-unregistered"), execution_id: uid("tq-plain") });
    expect((await api("GET", `/v1/workflows/executions/${encodeURIComponent(other.body.execution_id)}`)).body.task_queue).toBe("default");
  });

  it("signal-with-start without task_queue starts on the registered queue", async () => {
    const wf = uid("tq-sws");
    const queue = uid("signals");
    expect((await register(wf, queue)).status).toBe(200);
    const id = uid("tq-sws-run");
    const r = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: wf, execution_id: id, signal_name: "go" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}`)).body.task_queue).toBe(queue);
  });

  it("a schedule created without task_queue takes the registered queue at create time, and says so", async () => {
    const wf = uid("tq-sched");
    const queue = uid("nightly");
    expect((await register(wf, queue)).status).toBe(200);
    const created = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "u1", cron: "0 9 * * *" });
    expect(created.status).toBe(201);
    expect(created.body.task_queue).toBe(queue);
    const unregistered = await api("POST", "/v1/workflows/schedules", { workflow: uid("tq-none"), cron: "0 9 * * *" });
    expect(unregistered.body.task_queue).toBe("default");
    const named = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "u2", cron: "0 9 * * *", task_queue: "mine" });
    expect(named.body.task_queue).toBe("mine");
  });

  it("after the registration moves queues, a start retried under its id is the run it started (200, its queue), and a schedule keeps its queue until created again", async () => {
    const wf = uid("tq-move");
    const [qa, qb] = [uid("qa"), uid("qb")];
    expect((await register(wf, qa)).status).toBe(200);
    const id = uid("tq-move-run");
    expect((await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: id })).body.task_queue).toBe(qa);
    const body = { workflow: wf, key: "k", cron: "0 9 * * *" };
    const created = await api("POST", "/v1/workflows/schedules", body);
    // Sent again as it is: nothing written.
    expect((await api("POST", "/v1/workflows/schedules", body)).body).toMatchObject({ task_queue: qa, version: created.body.version });
    expect((await register(wf, qb)).status).toBe(200);
    const retried = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: id });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ started: false, task_queue: qa });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(created.body.schedule_id)}`)).body.task_queue).toBe(qa);
    // A create replaces the definition: what it leaves out is back to its default, the queue registered now.
    expect((await api("POST", "/v1/workflows/schedules", body)).body.task_queue).toBe(qb);
  });
});
