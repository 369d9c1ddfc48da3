import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";

/**
 * Shared helpers for the schedule integration tests. Times are fake and in the future (2027+), so
 * an alarm armed at one never fires on its own in real time: the tests run alarms by hand.
 */

/** Epoch ms of an RFC 3339 string. */
export const T = (iso: string): number => Date.parse(iso);

/** RFC 3339 with ms, as run ids and payloads spell it. */
export const iso = (ms: number): string => new Date(ms).toISOString();

export function setNow(ms: number): void {
  clock.now = () => ms;
}

/** Polls `fn` (real time, short sleeps) until it stops throwing; rethrows the last error on timeout. */
export async function eventually<R>(fn: () => R | Promise<R>, timeoutMs = 4_000): Promise<R> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 15));
    }
  }
}

export function scheduleObject(scheduleId: string) {
  return env.SCHEDULES.getByName(`default/${scheduleId}`);
}

/** Creates a schedule (201 expected) and returns its describe body. */
export async function createSchedule(body: Record<string, unknown>) {
  const r = await api("POST", "/v1/workflows/schedules", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export async function describeSchedule(scheduleId: string) {
  const r = await api("GET", `/v1/workflows/schedules/${encodeURIComponent(scheduleId)}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** GET an execution by id; `status` is the HTTP status (404 when the run was never started). */
export async function getRun(runId: string) {
  return api("GET", `/v1/workflows/executions/${encodeURIComponent(runId)}`);
}

export async function runHistoryTypes(runId: string): Promise<string[]> {
  const r = await api("GET", `/v1/workflows/executions/${encodeURIComponent(runId)}/history?page_size=500`);
  expect(r.status).toBe(200);
  return r.body.events.map((e: { type: string }) => e.type);
}

/** Sets the clock to `ms` and runs the schedule's pending alarm (its outbox flush is awaited inside). */
export async function alarmAt(scheduleId: string, ms: number): Promise<boolean> {
  setNow(ms);
  return runDurableObjectAlarm(scheduleObject(scheduleId));
}

/** The instant the schedule's alarm is armed at (null: none). */
export async function alarmOf(scheduleId: string): Promise<number | null> {
  return runInDurableObject(scheduleObject(scheduleId), async (_obj, state) => state.storage.getAlarm());
}

/** Waits for the post-request outbox flush to settle, then checks where the alarm is armed. */
export async function expectAlarm(scheduleId: string, ms: number | null): Promise<void> {
  await eventually(async () => expect(await alarmOf(scheduleId)).toBe(ms));
}

/**
 * Waits until an execution's outbox (index row, close notice to its schedule) has been delivered
 * (delivered rows may stay on disk until the object's next write: Outbox.sweep).
 */
export async function expectRunOutboxDrained(id: string): Promise<void> {
  const stub = env.EXECUTIONS.getByName(`default/${id}`);
  await eventually(async () => {
    const n = await runInDurableObject(stub, async (obj) => (obj as unknown as { store: ExecutionStore }).store.outbox.entries().length);
    expect(n).toBe(0);
  });
}

/** Run ids a schedule started for these nominal times (`{schedule_id}:{nominal}` plus a suffix). */
export const runId = (scheduleId: string, nominal: number, suffix = ""): string => `${scheduleId}:${iso(nominal)}${suffix}`;

export async function expectRunning(id: string): Promise<any> {
  return eventually(async () => {
    const r = await getRun(id);
    expect(r.status, `${id}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body;
  });
}

export async function expectNoRun(id: string): Promise<void> {
  expect((await getRun(id)).status, `${id} should not exist`).toBe(404);
}

/**
 * Acts as the worker for one run: polls the queue for its workflow task (the next one on the queue
 * must be this run's: tests keep their queues in order) and completes it with `commands`.
 */
export async function completeRun(queue: string, id: string, commands: unknown[]): Promise<void> {
  const task = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "schedule-test", wait_seconds: 2 });
  expect(task.status, `no workflow task on ${queue} for ${id}`).toBe(200);
  // Tasks of runs that already closed (terminated, say) are skipped by the poll itself.
  expect(task.body.execution_id, "tasks must come in the order the test expects").toBe(id);
  const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}

/**
 * A minutely schedule created at `t0` (first fire t0 + 1 min) under `overlap`, on its own task
 * queue: no worker polls it, so its runs stay open until a test completes them. `run(n)` is the
 * id of the run of minute n.
 */
export async function minutely(prefix: string, workflow: string, overlap: string, t0: number) {
  const sid = uid(`${prefix}-${overlap.toLowerCase()}`);
  const queue = uid(`q-${prefix}`);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow, key: sid, cron: "* * * * *", task_queue: queue, overlap });
  const run = (minute: number) => runId(sid, t0 + minute * 60_000);
  return { sid, queue, run };
}

export const succeed = (result: unknown = "ok") => [{ type: "complete_workflow", result }];
export const fail = (message = "boom") => [{ type: "fail_workflow", failure: { message, type: "TestFailure" } }];

/**
 * Holds the second `ScheduleObject.remove()` call made from now on (a registration's second
 * removal) until `release()`; `reached` resolves once it is held. `restore()` (in a `finally`)
 * releases it and puts the real method back.
 */
export function holdSecondRemoval(): { reached: Promise<void>; release: () => void; restore: () => void } {
  const proto = ScheduleObject.prototype as unknown as { remove: (...a: unknown[]) => Promise<unknown> };
  const original = proto.remove;
  let calls = 0;
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reach = r));
  proto.remove = async function (this: unknown, ...args: unknown[]) {
    if (++calls === 2) {
      reach();
      await released;
    }
    return original.apply(this, args);
  };
  return {
    reached,
    release,
    restore: () => {
      release();
      proto.remove = original;
    },
  };
}
