import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PARTITION_HOLD_SLICE_MS } from "../../../src/api/tasks.ts";
import { partitionCount, partitionFor } from "../../../src/objects/names.ts";
import { TaskQueueObject } from "../../../src/objects/task-queue-object.ts";
import { api, uid } from "../helpers.ts";

// This project runs with SUNDIAL_TASK_QUEUE_PARTITIONS = 4: a queue is 4 TaskQueueObjects, an
// execution's tasks go to the partition its id hashes to, and a poll probes every partition.

const realRandom = Math.random;
afterEach(() => {
  Math.random = realRandom;
});

const poll = (queue: string, waitSeconds: number) => api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "partitions-test", wait_seconds: waitSeconds });

/** Execution ids that hash to each partition, one per partition. */
function idsPerPartition(prefix: string): string[] {
  const ids: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  for (let i = 0; ids.includes(undefined); i++) {
    const id = `${prefix}-${i}`;
    ids[partitionFor(env, id)] ??= id;
  }
  return ids as string[];
}

async function queued(queue: string, partition: number): Promise<number> {
  const stub = env.TASK_QUEUES.getByName(`default/${queue}/${partition}`);
  return runInDurableObject(stub, async (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks").one().n);
}

describe("a task queue spread over partitions", () => {
  it("spreads executions over the partitions, and one poller drains all of them", async () => {
    expect(partitionCount(env)).toBe(4);
    const queue = uid("q-parts");
    const ids = idsPerPartition(uid("px"));
    for (const id of ids) expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
    // A create answers before its first task is sent (the run dispatches it after the response).
    await vi.waitFor(async () => expect(await Promise.all([0, 1, 2, 3].map((p) => queued(queue, p)))).toEqual([1, 1, 1, 1]), { timeout: 2_000, interval: 20 });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = await poll(queue, 0);
      expect(t.status).toBe(200);
      got.push(t.body.execution_id);
    }
    expect(got.sort()).toEqual([...ids].sort());
    expect((await poll(queue, 0)).status).toBe(204);
  });

  it("a task that lands in a partition the poll is not holding on reaches it within a hold slice, not at the end of the poll", async () => {
    const queue = uid("q-slice");
    const [, other] = idsPerPartition(uid("py"));
    // The poll's home partition is 0 (its first hold); the task hashes to partition 1.
    Math.random = () => 0;
    const began = Date.now();
    const waiting = poll(queue, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: other, task_queue: queue })).status).toBe(201);
    const t = await waiting;
    expect(t.status).toBe(200);
    expect(t.body.execution_id).toBe(other);
    // Found by the next round of probes: well before the 20 s hold ends.
    expect(Date.now() - began).toBeLessThan(200 + 3 * PARTITION_HOLD_SLICE_MS);
  });

  it("an idle poll still ends with 204 when its hold is over", async () => {
    const began = Date.now();
    expect((await poll(uid("q-idle"), 2)).status).toBe(204);
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(2_000 + 2 * PARTITION_HOLD_SLICE_MS);
  });

  it("describing the queue sums its partitions' backlogs and lists a poller once, though it polled every partition", async () => {
    const queue = uid("q-parts-desc");
    const ids = idsPerPartition(uid("pd"));
    for (const id of ids) expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue })).status).toBe(201);
    await vi.waitFor(async () => expect(await Promise.all([0, 1, 2, 3].map((p) => queued(queue, p)))).toEqual([1, 1, 1, 1]), { timeout: 2_000, interval: 20 });
    // A poll for another workflow probes all 4 partitions and takes nothing.
    expect((await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "prober", wait_seconds: 0, types: ["other"] })).status).toBe(204);
    const d = (await api("GET", `/v1/workflows/task-queues/${queue}`)).body;
    expect(d.partitions).toBe(4);
    expect(d.workflow_tasks.backlog).toBe(4);
    expect(d.workflow_tasks.pollers).toEqual([{ identity: "prober", last_poll_at: expect.any(String), types: ["other"], polling: false }]);
  });

  it("a held poll's last_poll_at is when it began, though it holds on one partition after another", async () => {
    const queue = uid("q-parts-began");
    const began = Date.now();
    const held = api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "activity", identity: "holder", wait_seconds: 4 });
    // Past two hold slices: the poll has called every partition again since it began.
    await new Promise((r) => setTimeout(r, 2 * PARTITION_HOLD_SLICE_MS + 500));
    const [p] = (await api("GET", `/v1/workflows/task-queues/${queue}`)).body.activity_tasks.pollers;
    expect(p).toMatchObject({ identity: "holder", polling: true });
    expect(Date.parse(p.last_poll_at) - began).toBeLessThan(PARTITION_HOLD_SLICE_MS / 2);
    expect((await held).status).toBe(204);
  });
});

describe("a partition that cannot be reached", () => {
  it("fails no poll when a probe of another partition throws: the poll still gets the task of its own", async () => {
    const queue = uid("q-probe-fail");
    const [home] = idsPerPartition(uid("pf"));
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: home, task_queue: queue })).status).toBe(201);
    await vi.waitFor(async () => expect(await queued(queue, 0)).toBe(1), { timeout: 2_000, interval: 20 });
    // The poll's home is partition 0; its probes of partitions 1-3 (no wait) throw.
    Math.random = () => 0;
    const proto = TaskQueueObject.prototype as unknown as { poll: (...a: unknown[]) => Promise<unknown> };
    const original = proto.poll;
    let failed = 0;
    proto.poll = async function (this: unknown, ...args: unknown[]) {
      if (args[1] === 0 && args[2] === "") {
        failed++;
        throw new Error("injected: partition unreachable");
      }
      return original.apply(this, args);
    };
    try {
      const t = await poll(queue, 2);
      expect(t.status).toBe(200);
      expect(t.body.execution_id).toBe(home);
      expect(failed).toBe(3);
    } finally {
      proto.poll = original;
    }
  });
});
