import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { applySqlMigrations } from "../../src/objects/sql-migrations.ts";
import { TASK_QUEUE_MIGRATIONS } from "../../src/objects/task-queue-object.ts";
import { api, uid } from "./helpers.ts";
import { sundialTables } from "./sql-schema.ts";
import { sdkClient } from "./sdk-worker.ts";
import { setNow, T } from "./schedule-helpers.ts";

const describeQueue = (queue: string) => api("GET", `/v1/workflows/task-queues/${queue}`);
const tablesOf = (queue: string) => runInDurableObject(env.TASK_QUEUES.getByName(`default/${queue}/0`), (_o, state) => sundialTables(state.storage.sql));
const pollAs = (queue: string, kind: "workflow" | "activity", identity: string, waitSeconds: number, types?: string[]) =>
  api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity, wait_seconds: waitSeconds, ...(types ? { types } : {}) });

describe("GET /v1/workflows/task-queues/{task_queue}", () => {
  it("an unused queue has no backlog and no pollers", async () => {
    const queue = uid("q-desc-empty");
    const r = await describeQueue(queue);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      task_queue: queue,
      partitions: 1,
      workflow_tasks: { backlog: 0, oldest_available_at: null, pollers: [], delayed: 0 },
      activity_tasks: { backlog: 0, oldest_available_at: null, pollers: [] },
    });
    // Reading a queue nothing was queued to writes nothing: no tables, whatever reads it.
    expect((await pollAs(queue, "activity", "w-empty", 0)).status).toBe(204);
    expect(await tablesOf(queue)).toEqual([]);
    expect((await api("POST", "/v1/workflows/executions", { workflow: uid("wf"), execution_id: uid("e"), task_queue: queue })).status).toBe(201);
    expect(await tablesOf(queue)).toEqual(["_migrations", "tasks"]);
    expect((await describeQueue(queue)).body.workflow_tasks).toMatchObject({ backlog: 1, pollers: [] });
  });

  it("shows the backlog no worker takes, since when it waits, and the workers polling (held or not)", async () => {
    const queue = uid("q-desc");
    setNow(T("2027-03-01T09:00:00.000Z"));
    for (const id of [uid("qd-a"), uid("qd-b")]) expect((await api("POST", "/v1/workflows/executions", { workflow: "report", execution_id: id, task_queue: queue })).status).toBe(201);
    // A create answers before its first task is queued.
    await vi.waitFor(async () => expect((await describeQueue(queue)).body.workflow_tasks.backlog).toBe(2), { timeout: 5_000, interval: 20 });
    expect((await describeQueue(queue)).body.workflow_tasks.oldest_available_at).toBe("2027-03-01T09:00:00.000Z");

    // A worker that runs another workflow polls and holds; an activity worker polls once.
    setNow(T("2027-03-01T09:00:05.000Z"));
    const held = pollAs(queue, "workflow", "host-1:42", 2, ["invoice"]);
    expect((await pollAs(queue, "activity", "host-2:7", 0)).status).toBe(204);
    await vi.waitFor(async () => expect((await describeQueue(queue)).body.workflow_tasks.pollers).toEqual([{ identity: "host-1:42", last_poll_at: "2027-03-01T09:00:05.000Z", types: ["invoice"], polling: true }]), { timeout: 5_000, interval: 20 });
    const d = (await describeQueue(queue)).body;
    expect(d.workflow_tasks.backlog).toBe(2);
    expect(d.activity_tasks).toEqual({ backlog: 0, oldest_available_at: null, pollers: [{ identity: "host-2:7", last_poll_at: "2027-03-01T09:00:05.000Z", types: null, polling: false }] });
    expect((await held).status).toBe(204);
    expect((await describeQueue(queue)).body.workflow_tasks.pollers[0].polling).toBe(false);

    // A worker that runs the workflow takes one task: the backlog shrinks, and it is listed first.
    setNow(T("2027-03-01T09:00:10.000Z"));
    expect((await pollAs(queue, "workflow", "host-3:1", 1, ["report"])).status).toBe(200);
    const after = (await describeQueue(queue)).body.workflow_tasks;
    expect(after.backlog).toBe(1);
    expect(after.pollers.map((p: { identity: string }) => p.identity)).toEqual(["host-3:1", "host-1:42"]);

    // Five minutes after its last poll a worker is no longer listed.
    setNow(T("2027-03-01T09:05:06.000Z"));
    expect((await describeQueue(queue)).body.workflow_tasks.pollers.map((p: { identity: string }) => p.identity)).toEqual(["host-3:1"]);
    setNow(T("2027-03-01T09:05:11.000Z"));
    expect((await describeQueue(queue)).body.workflow_tasks.pollers).toEqual([]);
  });

  it("a task queued before the queue stamped availability (visible_at 0, released_at null) counts from its enqueue, not from 1970", async () => {
    const queue = uid("q-desc-legacy");
    const enqueuedAt = T("2027-03-01T08:00:00.000Z");
    setNow(T("2027-03-01T09:00:00.000Z"));
    await runInDurableObject(env.TASK_QUEUES.getByName(`default/${queue}/0`), async (_o, state) => {
      applySqlMigrations(state.storage, TASK_QUEUE_MIGRATIONS);
      state.storage.sql.exec("INSERT INTO tasks (kind, type, execution_id, ref, attempt, enqueued_at, visible_at, released_at) VALUES ('activity', NULL, 'e-legacy', 1, 1, ?, 0, NULL)", enqueuedAt);
    });
    expect((await describeQueue(queue)).body.activity_tasks).toMatchObject({ backlog: 1, oldest_available_at: "2027-03-01T08:00:00.000Z" });
  });

  it("a bad queue name is a 422 naming task_queue, and the client describes camelCased", async () => {
    const bad = await describeQueue("has%20space");
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "validation_failed", field: "task_queue" });
    const queue = uid("q-desc-client");
    expect((await pollAs(queue, "activity", "host-9", 0, ["charge"])).status).toBe(204);
    const q = await sdkClient().taskQueues.describe(queue);
    expect(q).toMatchObject({ taskQueue: queue, partitions: 1, workflowTasks: { backlog: 0, delayed: 0, pollers: [] }, activityTasks: { backlog: 0, oldestAvailableAt: null } });
    expect(q.activityTasks.pollers).toEqual([{ identity: "host-9", lastPollAt: expect.any(String), types: ["charge"], polling: false }]);
  });
});
