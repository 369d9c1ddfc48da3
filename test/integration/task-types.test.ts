import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { executionStub, taskQueueStub } from "../../src/objects/names.ts";
import { TYPED_TAKE_SQL } from "../../src/objects/task-queue-object.ts";
import { api, uid } from "./helpers.ts";

// A poll names the workflows or activities its worker runs and gets only tasks of those types:
// workers running different code can share one task queue (the Mistral seed: "any worker that has
// registered a given workflow or activity can execute it").

async function poll(kind: "workflow" | "activity", queue: string, types?: string[], wait = 0) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "poller", wait_seconds: wait, ...(types ? { types } : {}) });
}

const activity = (seq: number, type: string) => ({ type: "schedule_activity", seq, activity_type: type, input: null });

/** Starts a run of `workflow` on a fresh queue and completes its first task with `commands`. */
async function scheduled(workflow: string, commands: unknown[]): Promise<{ id: string; queue: string }> {
  const id = uid("typed");
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow, execution_id: id, task_queue: queue });
  const wt = await poll("workflow", queue, [workflow], 1);
  expect(wt.status).toBe(200);
  expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands })).status).toBe(200);
  return { id, queue };
}

/** A run whose activity 1, of type "old", is queued (no worker runs that type). */
async function oldActivityQueued(): Promise<{ id: string; queue: string }> {
  const id = uid("reset-type");
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue, ["w"], 1)).body.task_token, commands: [] });
  await api("POST", `/v1/workflows/executions/${id}/signals/go`, {});
  await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue, ["w"], 1)).body.task_token, commands: [activity(1, "old")] });
  return { id, queue };
}

/**
 * Resets the run to its first completed task; the new run's code schedules activity 1 as type "new"
 * (or as `command`): the same queue key (execution, seq, attempt).
 */
async function resetToNewType(id: string, queue: string, command: unknown = activity(1, "new")): Promise<void> {
  const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { id: number; type: string }[];
  const point = events.find((e) => e.type === "workflow_task_completed")!.id;
  expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: point, reason: "new code" })).status).toBe(200);
  await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: (await poll("workflow", queue, ["w"], 1)).body.task_token, commands: [command] });
}

describe("task types", () => {
  it("hands a workflow task only to a poll that runs its workflow", async () => {
    const id = uid("typed");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "billing", execution_id: id, task_queue: queue });
    expect((await poll("workflow", queue, ["reports", "emails"])).status).toBe(204);
    const wt = await poll("workflow", queue, ["emails", "billing"]);
    expect(wt.status).toBe(200);
    expect(wt.body).toMatchObject({ execution_id: id, workflow: "billing" });
  });

  it("hands each activity to a poll that runs its type, past older tasks of other types", async () => {
    const { id, queue } = await scheduled("w", [activity(1, "fetch"), activity(2, "post")]);
    expect((await poll("activity", queue, ["resize"])).status).toBe(204);
    // "post" was queued after "fetch", which this worker does not run: it is not in the way.
    expect((await poll("activity", queue, ["post"])).body).toMatchObject({ execution_id: id, activity_type: "post", seq: 2 });
    expect((await poll("activity", queue, ["post"])).status).toBe(204);
    expect((await poll("activity", queue, ["fetch", "post"])).body).toMatchObject({ activity_type: "fetch", seq: 1 });
  });

  it("gives a poll that names no types any task of its kind", async () => {
    const { queue } = await scheduled("w", [activity(1, "fetch")]);
    expect((await poll("activity", queue)).body).toMatchObject({ activity_type: "fetch" });
  });

  it("a held poll waits past tasks it does not run and gets the next one it does", async () => {
    const id = uid("typed");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue, ["w"], 1);
    const held = poll("activity", queue, ["post"], 2);
    await new Promise((r) => setTimeout(r, 100)); // the poll is held in the queue
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [activity(1, "fetch"), activity(2, "post")] });
    expect((await held).body).toMatchObject({ execution_id: id, activity_type: "post", seq: 2 });
    expect((await poll("activity", queue, ["fetch"])).body).toMatchObject({ activity_type: "fetch", seq: 1 });
  });

  it("releases a delayed task to the longest-waiting poll that runs its type", async () => {
    const queue = taskQueueStub(env, "typed-ns", uid("q"), 0);
    const visibleAt = Date.now() + 300;
    await queue.enqueue({ kind: "workflow", type: "daily-report", execution_id: "run-1", ref: 2, attempt: 1, visible_at: visibleAt });
    const other = queue.poll("workflow", 1_000, "p1", ["hourly-sync"]);
    const mine = queue.poll("workflow", 1_000, "p2", ["daily-report"]);
    const got = await mine;
    expect(got).toMatchObject({ type: "daily-report", execution_id: "run-1", ref: 2 });
    expect(got!.available_at).toBeGreaterThanOrEqual(visibleAt);
    expect(await other).toBeNull();
  });

  it("hands a task queued without a type (queued before types were recorded) to any poll", async () => {
    const queue = taskQueueStub(env, "typed-ns", uid("q"), 0);
    await queue.enqueue({ kind: "activity", execution_id: "run-1", ref: 1, attempt: 1 });
    expect(await queue.poll("activity", 0, "", ["anything"])).toMatchObject({ execution_id: "run-1", ref: 1 });
  });

  it("after a reset, the new run's activity at a seq an old entry still holds goes to a poll of the new run's type", async () => {
    const { id, queue } = await oldActivityQueued();
    await resetToNewType(id, queue);
    expect((await poll("activity", queue, ["new"])).body).toMatchObject({ seq: 1, activity_type: "new" });
  });

  it("an old-type entry taken just before the reset queued its replacement leases nothing to a poll that lacks the new type", async () => {
    const { id, queue } = await oldActivityQueued();
    // A poll of a worker that runs "old" takes the entry; its lease has not reached the run yet...
    const taken = await taskQueueStub(env, "default", queue, 0).poll("activity", 0, "", ["old"]);
    expect(taken).toMatchObject({ type: "old", ref: 1, attempt: 1 });
    // ...when the run is reset and its new code schedules activity 1 as "new" (a new entry).
    await resetToNewType(id, queue);
    expect(await executionStub(env, "default", id).startActivityTask(1, 1, "old-worker", { queue, types: ["old"] })).toBeNull();
    // The replacement, the one live entry, goes to a worker that runs "new".
    expect((await poll("activity", queue, ["new"])).body).toMatchObject({ seq: 1, activity_type: "new" });
    expect((await poll("activity", queue)).status).toBe(204);
  });

  it("a worker that runs both types leases the current one from the old entry; the replacement is then stale", async () => {
    const { id, queue } = await oldActivityQueued();
    await taskQueueStub(env, "default", queue, 0).poll("activity", 0, "", ["old"]);
    await resetToNewType(id, queue);
    expect(await executionStub(env, "default", id).startActivityTask(1, 1, "both-worker", { queue, types: ["old", "new"] })).toMatchObject({ seq: 1, activity_type: "new" });
    expect((await poll("activity", queue, ["new"])).status).toBe(204);
  });

  it("an old-type entry put back (its run unreachable for a moment) does not retype the replacement queued meanwhile", async () => {
    const { id, queue } = await oldActivityQueued();
    const q = taskQueueStub(env, "default", queue, 0);
    const taken = await q.poll("activity", 0, "", ["old"]);
    await resetToNewType(id, queue);
    // What the poll route does when the lease throws (src/api/tasks.ts): the entry goes back as it was taken.
    await q.enqueue({ ...taken!, visible_at: Date.now() + 1_000 });
    expect((await poll("activity", queue, ["new"])).body).toMatchObject({ seq: 1, activity_type: "new" });
  });

  it("an entry whose type is not the run's (queued before types) goes back under the run's type when a poll that lacks it takes it", async () => {
    const { id, queue } = await scheduled("w", [activity(1, "fetch")]);
    // The entry as a platform from before task types queued it: no type, so any poll takes it.
    await taskQueueStub(env, "default", queue, 0).enqueue({ kind: "activity", execution_id: id, ref: 1, attempt: 1 });
    expect((await poll("activity", queue, ["other"])).status).toBe(204);
    expect((await poll("activity", queue, ["fetch"])).body).toMatchObject({ execution_id: id, seq: 1, activity_type: "fetch" });
    expect((await poll("activity", queue)).status).toBe(204);
  });

  it("an entry left in the task queue the old code used leases nothing there: the reset's new code runs the activity on another queue, where it goes", async () => {
    const { id, queue } = await oldActivityQueued();
    const other = uid("q-other");
    await resetToNewType(id, queue, { ...activity(1, "old"), options: { task_queue: other } });
    // The old entry (same execution, seq and attempt) is still in `queue`: a worker there runs "old" but is not the queue the run asked for.
    expect((await poll("activity", queue, ["old"])).status).toBe(204);
    expect((await poll("activity", other, ["old"])).body).toMatchObject({ execution_id: id, seq: 1, activity_type: "old" });
    expect((await poll("activity", queue)).status).toBe(204);
  });

  it("a query queued for a run of another workflow (its execution started again as another workflow meanwhile) goes to a poll that runs the current one", async () => {
    const id = uid("requery");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "before", execution_id: id, task_queue: queue });
    expect((await poll("workflow", queue, ["before"])).status).toBe(200);
    await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "done" });
    const asked = api("POST", `/v1/workflows/executions/${id}/queries/state`, { input: null, timeout_seconds: 2 });
    await new Promise((r) => setTimeout(r, 100)); // the query is queued under "before"
    expect((await api("POST", "/v1/workflows/executions", { workflow: "after", execution_id: id, task_queue: queue, id_reuse_policy: "allow_duplicate" })).status).toBe(201);
    expect((await poll("workflow", queue, ["before"])).status).toBe(204);
    const got = [await poll("workflow", queue, ["after"]), await poll("workflow", queue, ["after"])].map((r) => r.body);
    expect(got.find((t) => t?.query)).toMatchObject({ workflow: "after", query: { name: "state" } });
    const answer = got.find((t) => t?.query)!;
    expect((await api("POST", "/v1/workflows/tasks/query/respond", { task_token: answer.task_token, result: "ok" })).status).toBe(200);
    expect((await asked).body).toMatchObject({ result: "ok" });
  });

  it("refuses an empty or oversized type list, naming the field", async () => {
    const queue = uid("q");
    const empty = await poll("activity", queue, []);
    expect(empty.status).toBe(422);
    expect(JSON.stringify(empty.body)).toContain("types");
    const many = await poll("activity", queue, Array.from({ length: 1001 }, (_, i) => `a${i}`));
    expect(many.status).toBe(422);
  });

  it("refuses an activity bound for a task queue no poll could name", async () => {
    const id = uid("typed");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue, ["w"], 1);
    const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ ...activity(1, "fetch"), options: { task_queue: "my queue" } }] });
    expect(r.status).toBe(422);
    expect(r.body.field).toBe("commands.0.options.task_queue");
  });

  it("a typed poll reads its types' oldest tasks through an index, never the backlog of other types", async () => {
    const queue = taskQueueStub(env, "typed-ns", uid("q"), 0);
    for (let i = 0; i < 300; i++) await queue.enqueue({ kind: "activity", type: "nobody-runs-this", execution_id: `run-${i}`, ref: 1, attempt: 1 });
    await queue.enqueue({ kind: "activity", type: "mine", execution_id: "run-mine", ref: 1, attempt: 1 });
    expect(await queue.poll("activity", 0, "", ["mine", "also-mine"])).toMatchObject({ type: "mine", execution_id: "run-mine" });
    await runInDurableObject(queue as never, (_obj, state) => {
      const plan = state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${TYPED_TAKE_SQL}`, "activity", Date.now(), JSON.stringify(["mine"])).toArray().map((r) => r.detail);
      // Every read of tasks is a search of an index on (kind, type, …), never a scan of the table or of (kind, visible_at).
      const reads = plan.filter((d) => / tasks\b| t\b/.test(d) && !/json_each/.test(d));
      expect(reads.length, plan.join("\n")).toBeGreaterThan(0);
      for (const d of reads) expect(d, plan.join("\n")).toMatch(/SEARCH .*(tasks_typed|INTEGER PRIMARY KEY)/);
    });
  });
});
