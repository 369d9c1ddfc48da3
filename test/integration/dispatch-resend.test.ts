import { describe, expect, it } from "vitest";
import { TaskQueueObject, type QueuedTask } from "../../src/objects/task-queue-object.ts";
import { api, uid } from "./helpers.ts";

// A task whose queue did not take it (the queue object restarting, say) is sent again after 1 s,
// then 2, 4, 8 and 16 s, while the run's object stays awake; the run's 60 s dispatch timeout is
// only the backstop (see executions.test.ts for it). The fault is injected into the real queue.

describe("a task dispatch that fails", () => {
  it("is sent again a second later, so the first workflow task reaches a poller without waiting for the 60 s dispatch timeout", async () => {
    const id = uid("resend");
    const queue = uid("q-resend");
    const proto = TaskQueueObject.prototype as unknown as { enqueue: (task: QueuedTask) => void };
    const original = proto.enqueue;
    const calls: number[] = [];
    proto.enqueue = function (this: TaskQueueObject, task: QueuedTask) {
      if (task.execution_id !== id) return original.call(this, task);
      calls.push(Date.now());
      if (calls.length === 1) throw new Error("injected fault: queue unavailable");
      return original.call(this, task);
    };
    try {
      const t0 = Date.now();
      expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
      // Held up to 10 s: the re-send comes after about 1 s; without it nothing would come for 60 s.
      const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "test-worker", wait_seconds: 10 });
      expect(wt.status).toBe(200);
      expect(wt.body).toMatchObject({ kind: "workflow", execution_id: id, attempt: 1 });
      expect(calls).toHaveLength(2);
      expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(1_000);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "complete_workflow", result: "ok" }] });
      expect(done.status).toBe(200);
      expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "completed", result: "ok" });
    } finally {
      proto.enqueue = original;
    }
  });
});
