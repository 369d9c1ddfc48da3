import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { prepareAt } from "../../../src/core/schedule/prepare.ts";
import { ExecutionObject } from "../../../src/objects/execution-object.ts";
import { api, uid } from "../helpers.ts";
import { alarmAt, createSchedule, eventually, expectAlarm, expectRunning, runId, setNow, T } from "../schedule-helpers.ts";

// Shared by the prepared-starts tests. This project runs with prepared starts on, as deployed
// (SUNDIAL_PREPARE_AHEAD_SECONDS = 60 in wrangler.toml): a schedule creates its next run 30-60 s
// ahead and the task queue holds the run's first workflow task until the fire time
// (src/core/schedule/prepare.ts).

export const S = 1_000;
export const M = 60_000;
export const AHEAD = 60 * S;

/** The task queue's rows (partition 0), as stored. */
export async function queuedTasks(queue: string): Promise<{ execution_id: string; visible_at: number; released_at: number | null }[]> {
  return runInDurableObject(env.TASK_QUEUES.getByName(`default/${queue}/0`), async (_obj, state) => state.storage.sql.exec<{ execution_id: string; visible_at: number; released_at: number | null }>("SELECT * FROM tasks").toArray());
}

/** One workflow-task poll that does not wait. */
export async function poll(queue: string) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "prepared-test", wait_seconds: 0 });
}

/** Creates an every-10-minutes schedule at t0 (first fire t0 + 10 min) and prepares that fire. */
export async function preparedSchedule(prefix: string, extra: Record<string, unknown> = {}) {
  const t0 = T("2027-06-01T00:00:00.000Z");
  const sid = uid(prefix);
  const queue = uid(`q-${prefix}`);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "prep-wf", key: sid, interval_seconds: 600, task_queue: queue, ...extra });
  const fire = t0 + 10 * M;
  const prep = prepareAt(sid, fire, AHEAD);
  await expectAlarm(sid, prep);
  expect(await alarmAt(sid, prep)).toBe(true);
  // The run's first task reaches the queue (held there until the fire) before the test moves the clock on.
  await eventually(async () => expect(await queuedTasks(queue)).toHaveLength(1));
  return { t0, sid, queue, fire, prep, run: runId(sid, fire) };
}

export { whileFailing } from "../faults.ts";

/**
 * An ALLOW_ALL schedule (with `extra`) whose first run a worker took at its fire, and whose next
 * fire (10 min later) is prepared while that run is still open. `task` is the first run's leased task.
 */
export async function preparedWhileOpen(prefix: string, extra: Record<string, unknown> = {}) {
  const p = await preparedSchedule(prefix, { ...extra, overlap: "ALLOW_ALL" });
  setNow(p.fire);
  const task = await poll(p.queue);
  expect(task.body.execution_id).toBe(p.run);
  expect(await alarmAt(p.sid, p.fire)).toBe(true);
  const next = p.fire + 10 * M;
  const prep2 = prepareAt(p.sid, next, AHEAD);
  await expectAlarm(p.sid, prep2);
  expect(await alarmAt(p.sid, prep2)).toBe(true);
  await expectRunning(runId(p.sid, next));
  return { ...p, task, next, nextRun: runId(p.sid, next) };
}

/**
 * Sends a change decided at fire - 1 ms whose withdraw reaches the execution when its clock reads
 * fire + 1 ms (one workerd, one clock), so the run has begun and refuses; returns the change's answer.
 */
export async function changeAsRunBegins(fire: number, method: string, path: string, body: unknown) {
  setNow(fire - 1);
  const original = ExecutionObject.prototype.discardPrepared;
  ExecutionObject.prototype.discardPrepared = function (this: ExecutionObject) {
    setNow(fire + 1);
    return original.call(this);
  };
  try {
    const r = await api(method, path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  } finally {
    ExecutionObject.prototype.discardPrepared = original;
  }
}
