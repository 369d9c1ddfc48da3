import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { storeOf } from "../hand-worker.ts";
import { api, uid } from "../helpers.ts";
import { alarmAt, alarmOf, eventually, expectNoRun, expectRunning, setNow, T } from "../schedule-helpers.ts";
import { poll, preparedSchedule, queuedTasks, S } from "./prepared-helpers.ts";

// The first task of a prepared run, held by its queue until the fire. A run withdrawn and then
// prepared again for the same fire has the same execution id and the same task: the queue must
// hold it until the new run's time, not the withdrawn run's.

/**
 * Prepares a fire of a schedule firing every 10 minutes, then updates it with `patch` (a jitter
 * change, so later) just after the run was prepared: the run is withdrawn and the same fire
 * prepared again. Returns the schedule and the new run's start (after the fire).
 */
async function preparedAgain(prefix: string, patch: Record<string, unknown> = {}) {
  const p = await preparedSchedule(prefix, { interval_seconds: undefined, cron: "*/10 * * * *" });
  expect((await queuedTasks(p.queue))[0]!.visible_at).toBe(p.fire);
  setNow(p.prep + S);
  const upd = await api("PATCH", `/v1/workflows/schedules/${p.sid}`, { jitter_seconds: 300, ...patch });
  expect(upd.status, JSON.stringify(upd.body)).toBe(200);
  await expectNoRun(p.run);
  // The schedule prepares the same fire (same execution id) again, jittered later.
  const again = await eventually(async () => {
    const at = await alarmOf(p.sid);
    expect(at).not.toBeNull();
    return at!;
  });
  expect(await alarmAt(p.sid, Math.max(again, p.prep + S))).toBe(true);
  const started = T((await expectRunning(p.run)).started_at);
  expect(started).toBeGreaterThan(p.fire);
  return { ...p, started };
}

describe("a prepared run's held first task", () => {
  it("prepared again for the same fire at another time (a jitter change) is held until the new run's start, not the withdrawn run's", async () => {
    const { queue, fire, run, started } = await preparedAgain("prep-rejit");
    // At the withdrawn run's time this run has not begun: no worker may take its task yet.
    setNow(fire);
    expect((await poll(queue)).status).toBe(204);
    setNow(started);
    expect((await poll(queue)).body).toMatchObject({ execution_id: run, available_at: new Date(started).toISOString() });
  });

  it("prepared again on another task queue (and later): the withdrawn run's entry left in the old queue leases nothing there and neither begins the run nor releases its task early", async () => {
    const moved = uid("q-moved");
    const { queue, fire, run, started } = await preparedAgain("prep-requeue", { task_queue: moved });
    expect(await queuedTasks(queue)).toHaveLength(1); // the withdrawn run's entry, visible at `fire`
    // At the withdrawn run's time a worker of the old queue takes that entry while one waits on the new queue.
    setNow(fire);
    const waiting = api("POST", "/v1/workflows/tasks/poll", { task_queue: moved, kind: "workflow", identity: "moved", wait_seconds: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await poll(queue)).status).toBe(204);
    expect((await waiting).status).toBe(204);
    const startBy = await runInDurableObject(env.EXECUTIONS.getByName(`default/${run}`), async (obj) => storeOf(obj).run()!.start_by);
    expect(startBy).not.toBeNull();
    setNow(started);
    expect((await poll(moved)).body).toMatchObject({ execution_id: run, available_at: new Date(started).toISOString() });
  });
});

describe("a task queue's description", () => {
  it("counts a prepared run's held first task as delayed, not as backlog, until its fire", async () => {
    const p = await preparedSchedule(uid("pq-desc"), { interval_seconds: undefined, cron: "*/10 * * * *" });
    expect((await queuedTasks(p.queue))[0]!.visible_at).toBe(p.fire);
    const before = (await api("GET", `/v1/workflows/task-queues/${p.queue}`)).body.workflow_tasks;
    expect([before.backlog, before.delayed, before.oldest_available_at]).toEqual([0, 1, null]);
    setNow(p.fire);
    const at = (await api("GET", `/v1/workflows/task-queues/${p.queue}`)).body.workflow_tasks;
    expect([at.backlog, at.delayed, T(at.oldest_available_at)]).toEqual([1, 0, p.fire]);
  });
});
