import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { holdFirstCall } from "./faults.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";

// A completion that offers eager slots gets the tasks it causes leased to it in its answer. When
// its client is gone by the time that answer is ready (a worker shutting down, a request timed
// out), the answer reaches nobody: the leases go back at once, not after the 5 s delivery-ack timeout.

/** A worker call whose client the test makes go away, through the Worker's real fetch. */
function abortable(path: string, body: unknown) {
  const ac = new AbortController();
  const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
  const sent = worker.fetch(new Request(`http://sundial.test${path}`, { method: "POST", signal: ac.signal, headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` }, body: JSON.stringify(body) }));
  return { abort: () => ac.abort(), settled: sent.then((r) => r.status, () => "aborted" as const) };
}

const pollAs = (queue: string, kind: "workflow" | "activity", identity: string, waitSeconds: number) => api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity, wait_seconds: waitSeconds });

async function started(): Promise<{ id: string; queue: string; token: string }> {
  const id = uid("eager-abort");
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  const wt = await pollAs(queue, "workflow", "first", 1);
  expect(wt.status).toBe(200);
  return { id, queue, token: wt.body.task_token };
}

describe("eager tasks of a completion whose client went away", () => {
  it("the activities a workflow task completion leased go to the next poller at once", async () => {
    const { id, queue, token } = await started();
    const hold = holdFirstCall(ExecutionObject.prototype, "completeWorkflowTask");
    try {
      const commands = [1, 2].map((seq) => ({ type: "schedule_activity", seq, activity_type: "a", input: null, options: {} }));
      const gone = abortable("/v1/workflows/tasks/workflow/complete", { task_token: token, commands, eager_activity_slots: 4, identity: "gone" });
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      hold.release();
      const t0 = Date.now();
      const seqs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const t = await pollAs(queue, "activity", "next", 3);
        expect(t.status).toBe(200);
        expect(t.body).toMatchObject({ execution_id: id, attempt: 1 });
        seqs.push(t.body.seq);
      }
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(seqs.sort()).toEqual([1, 2]);
      expect((await pollAs(queue, "activity", "third", 0)).status).toBe(204);
    } finally {
      hold.restore();
    }
  });

  it("the workflow task an activity completion leased goes to the next poller at once", async () => {
    const { id, queue, token } = await started();
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: {} }] });
    const at = await pollAs(queue, "activity", "act", 2);
    expect(at.status).toBe(200);
    const hold = holdFirstCall(ExecutionObject.prototype, "completeActivity");
    try {
      const gone = abortable("/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "ok", eager_workflow_task: true, identity: "gone" });
      await hold.reached;
      gone.abort();
      expect(await gone.settled).toBe("aborted");
      hold.release();
      const t0 = Date.now();
      const next = await pollAs(queue, "workflow", "next", 3);
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ execution_id: id });
      expect(Date.now() - t0).toBeLessThan(2_000);
      // The activity's result was recorded once; the worker's retry of its completion is a duplicate.
      expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "ok" })).body).toEqual({ status: "duplicate" });
    } finally {
      hold.restore();
    }
  });
});
