import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { TaskQueueObject } from "../../src/objects/task-queue-object.ts";
import { holdFirstCall } from "./faults.ts";
import { activityScheduled, api, DEV_KEY, uid } from "./helpers.ts";

// A worker that stops (or loses its connection) while its poll is held: the poll must not take a
// task nobody will receive, which would wait out the 60 s dispatch timeout before anyone got it.

/** A poll whose client the test can make go away (AbortController), through the Worker's real fetch. */
function abortablePoll(queue: string, kind: "workflow" | "activity", identity: string, waitSeconds = 5) {
  const ac = new AbortController();
  const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
  const body = JSON.stringify({ task_queue: queue, kind, identity, wait_seconds: waitSeconds });
  const held = worker.fetch(new Request("http://sundial.test/v1/workflows/tasks/poll", { method: "POST", signal: ac.signal, headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` }, body }));
  return { abort: () => ac.abort(), settled: held.then((r) => r.status, () => "aborted" as const) };
}

const pollAs = (queue: string, kind: "workflow" | "activity", identity: string, waitSeconds: number) => api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity, wait_seconds: waitSeconds });

describe("a held poll whose client went away", () => {
  it("does not swallow the next task: another poll gets it at once", async () => {
    const queue = uid("q");
    const gone = abortablePoll(queue, "workflow", "gone");
    await new Promise((r) => setTimeout(r, 200));
    gone.abort();
    await gone.settled;
    const id = uid("poll-abort");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const next = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "next", wait_seconds: 2 });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ execution_id: id });
  });

  // The client leaves while the run records the lease: the answer cannot reach it, so the lease is
  // handed back at once, not left for the 5 s delivery-ack timeout.
  it("a workflow task leased while its client left goes to the next poller at once, once", async () => {
    const queue = uid("q-lease-abort");
    const hold = holdFirstCall(ExecutionObject.prototype, "startWorkflowTask");
    try {
      const gone = abortablePoll(queue, "workflow", "gone");
      const id = uid("lease-abort");
      expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      hold.release();
      const t0 = Date.now();
      const next = await pollAs(queue, "workflow", "next", 3);
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ execution_id: id });
      expect(Date.now() - t0).toBeLessThan(2_000);
      // Handed out once: nobody else gets it, and the history says who holds it.
      expect((await pollAs(queue, "workflow", "third", 1)).status).toBe(204);
      // The gone poll's lease ended as the ack timeout ends one, and the same attempt went out anew.
      const { events } = (await api("GET", `/v1/workflows/executions/${id}/history`)).body;
      expect(events.map((e: { type: string }) => e.type)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started", "workflow_task_timed_out", "workflow_task_scheduled", "workflow_task_started"]);
      expect(events[4]).toMatchObject({ attempt: 1 });
      expect(events[5]).toMatchObject({ scheduled_event_id: events[4].id, identity: "next" });
      // The new lease's token is live.
      const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: next.body.task_token, commands: [{ type: "complete_workflow", result: 1 }] });
      expect(done.status).toBe(200);
    } finally {
      hold.restore();
    }
  });

  it("an activity leased while its client left goes to the next poller at once, as the same attempt", async () => {
    const { id, queue } = await activityScheduled("lease-abort-act");
    const hold = holdFirstCall(ExecutionObject.prototype, "startActivityTask");
    try {
      const gone = abortablePoll(queue, "activity", "gone");
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      hold.release();
      const t0 = Date.now();
      const next = await pollAs(queue, "activity", "next", 3);
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ execution_id: id, seq: 1, attempt: 1 });
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect((await pollAs(queue, "activity", "third", 1)).status).toBe(204);
      expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: next.body.task_token, result: "ok" })).status).toBe(200);
    } finally {
      hold.restore();
    }
  });

  it("an activity the workflow asked to cancel while its undelivered lease came back is cancelled at once, not handed out", async () => {
    const { id, queue } = await activityScheduled("lease-abort-cancel");
    const lease = holdFirstCall(ExecutionObject.prototype, "startActivityTask");
    const back = holdFirstCall(ExecutionObject.prototype, "returnUndelivered");
    try {
      const gone = abortablePoll(queue, "activity", "gone");
      await lease.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      lease.release();
      await back.reached;
      // Meanwhile the workflow cancels the activity its (gone) worker holds.
      await api("POST", `/v1/workflows/executions/${id}/signals/go`, {});
      const wt = await pollAs(queue, "workflow", "wf", 2);
      expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "request_cancel_activity", seq: 1 }] })).status).toBe(200);
      back.release();
      await vi.waitFor(async () => {
        const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
        expect(events.map((e) => e.type)).toContain("activity_cancelled");
      }, { timeout: 2_000, interval: 50 });
      expect((await pollAs(queue, "activity", "next", 1)).status).toBe(204);
      expect((await pollAs(queue, "workflow", "wf", 1)).status).toBe(200);
    } finally {
      lease.restore();
      back.restore();
    }
  });

  it("a query task leased while its client left is sent again at once, not left to the query's timeout", async () => {
    const queue = uid("q-query-abort");
    const id = uid("query-abort");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
    const wt = await pollAs(queue, "workflow", "first", 1);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [] })).status).toBe(200);
    const hold = holdFirstCall(ExecutionObject.prototype, "startWorkflowTask");
    try {
      const gone = abortablePoll(queue, "workflow", "gone");
      const asked = api("POST", `/v1/workflows/executions/${id}/queries/state`, { input: null, timeout_seconds: 10 });
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      hold.release();
      const next = await pollAs(queue, "workflow", "next", 3);
      expect(next.status).toBe(200);
      expect(next.body.query).toMatchObject({ name: "state" });
      expect((await api("POST", "/v1/workflows/tasks/query/respond", { task_token: next.body.task_token, result: "ok" })).status).toBe(200);
      expect((await asked).body).toMatchObject({ result: "ok" });
    } finally {
      hold.restore();
    }
  });

  it("a poll whose client left before its hold reached the queue holds nothing there (the cancel came first)", async () => {
    const queue = uid("q-late-hold");
    const hold = holdFirstCall(TaskQueueObject.prototype, "poll");
    try {
      const gone = abortablePoll(queue, "activity", "gone", 10);
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      // The cancel reaches the queue before the poll's hold does.
      await new Promise((r) => setTimeout(r, 100));
      hold.release();
      await new Promise((r) => setTimeout(r, 100));
      const d = await api("GET", `/v1/workflows/task-queues/${queue}`);
      expect(d.body.activity_tasks.pollers).toEqual([expect.objectContaining({ identity: "gone", polling: false })]);
    } finally {
      hold.restore();
    }
  });

  it("a task handed to a poll whose client just left is put back even if the first put-back fails", async () => {
    const queue = uid("q-putback");
    // The queue answers the poll with the task; the client leaves before the Worker acts on it.
    const proto = TaskQueueObject.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const poll = proto.poll!;
    const enqueue = proto.enqueue!;
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    let putBacks = 0;
    proto.poll = async function (this: unknown, ...args: unknown[]) {
      const t = await poll.apply(this, args);
      if (t && !held) {
        held = true;
        reach();
        await released;
      }
      return t;
    };
    proto.enqueue = async function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { available_at?: number }).available_at !== undefined && putBacks++ === 0) throw new Error("injected: put-back not delivered");
      return enqueue.apply(this, args);
    };
    try {
      const gone = abortablePoll(queue, "workflow", "gone");
      const id = uid("putback");
      expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
      await reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      release();
      const next = await pollAs(queue, "workflow", "next", 3);
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ execution_id: id, attempt: 1 });
      expect(putBacks).toBe(2);
    } finally {
      proto.poll = poll;
      proto.enqueue = enqueue;
    }
  });
});
