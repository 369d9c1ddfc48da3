import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { setNow } from "./schedule-helpers.ts";

// A task queue is a durable FIFO (README "Task queues"): a poll hands out the oldest live task;
// entries of runs that closed are dropped by the poll that takes them, and it keeps polling.

describe("task queue order", () => {
  it("a poll that does not wait drops a terminated run's entry and still gets the live task behind it", async () => {
    const queue = uid("q-stale");
    const a = uid("stale-a");
    const b = uid("live-b");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: a, task_queue: queue })).status).toBe(201);
    expect((await api("POST", `/v1/workflows/executions/${a}/terminate`, { reason: "x" })).status).toBe(200);
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: b, task_queue: queue })).status).toBe(201);
    const r = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "w0", wait_seconds: 0 });
    expect(r.status).toBe(200);
    expect(r.body.execution_id).toBe(b);
  });

  it("a task put back (its poller left) keeps its place: it goes out before tasks that became available after it", async () => {
    const queue = uid("q-fifo");
    const stub = env.TASK_QUEUES.getByName(`default/${queue}/0`);
    const t0 = Date.parse("2027-01-01T00:00:00.000Z");
    setNow(t0);
    await stub.enqueue({ kind: "workflow", type: "w", execution_id: "A", ref: 2, attempt: 1 });
    setNow(t0 + 1_000);
    await stub.enqueue({ kind: "workflow", type: "w", execution_id: "B", ref: 2, attempt: 1 });
    setNow(t0 + 2_000);
    const a = await stub.poll("workflow", 0);
    expect(a).toMatchObject({ execution_id: "A", available_at: t0 });
    // The poll's client went away between the hand-off and the lease: the route puts it back as it was.
    setNow(t0 + 2_010);
    await stub.enqueue(a!);
    // The queue reports A (available since t0) as its oldest task...
    const d = await api("GET", `/v1/workflows/task-queues/${queue}`);
    expect(d.body.workflow_tasks).toMatchObject({ backlog: 2, oldest_available_at: new Date(t0).toISOString() });
    // ...and, as a FIFO, hands it out first.
    setNow(t0 + 3_000);
    const next = await stub.poll("workflow", 0);
    expect(next?.execution_id).toBe("A");
  });
});
