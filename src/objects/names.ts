import { hash32 } from "../core/jitter.ts";
import { LIMITS } from "../core/limits.ts";
import type { Env } from "../env.ts";
import type { ExecutionObject } from "./execution-object.ts";
import type { ScheduleObject } from "./schedule-object.ts";
import type { TaskQueueObject } from "./task-queue-object.ts";

/**
 * The object's public methods as plain async functions. workers-types maps RPC return types
 * through `Serializable`, which turns fields typed `unknown` (workflow inputs and results, always
 * JSON here) into `never`; this view keeps the declared types.
 */
type Rpc<T> = { [K in keyof T as T[K] extends (...a: never[]) => unknown ? K : never]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never };

/**
 * Durable Object names. Every name starts with the authenticated namespace, never with raw client
 * input alone, so one namespace can never address another's objects.
 */
export function executionStub(env: Env, namespace: string, executionId: string) {
  return env.EXECUTIONS.getByName(`${namespace}/${executionId}`) as unknown as Rpc<ExecutionObject>;
}

export function scheduleStub(env: Env, namespace: string, scheduleId: string) {
  return env.SCHEDULES.getByName(`${namespace}/${scheduleId}`) as unknown as Rpc<ScheduleObject>;
}

export function partitionCount(env: Env): number {
  const n = Number(env.SUNDIAL_TASK_QUEUE_PARTITIONS ?? "1");
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}

/** Lead time of prepared scheduled starts, ms (SUNDIAL_PREPARE_AHEAD_SECONDS, default LIMITS; 0 turns them off; at most an hour). */
export function prepareAheadMs(env: Env): number {
  const raw = env.SUNDIAL_PREPARE_AHEAD_SECONDS;
  const n = raw === undefined || raw === "" ? LIMITS.prepareAheadSeconds : Number(raw);
  return (Number.isFinite(n) && n >= 0 ? Math.min(n, 3_600) : LIMITS.prepareAheadSeconds) * 1000;
}

/** The task queue partition an execution's tasks go to (stable per execution). */
export function partitionFor(env: Env, executionId: string): number {
  return hash32(executionId) % partitionCount(env);
}

export function taskQueueStub(env: Env, namespace: string, queue: string, partition: number) {
  return env.TASK_QUEUES.getByName(`${namespace}/${queue}/${partition}`) as unknown as Rpc<TaskQueueObject>;
}

/**
 * Alarms cannot be set past 2189 (workerd refuses), and a fire decades away needs no alarm yet:
 * arm at most ~half a year ahead; the object re-plans when it wakes and finds nothing due.
 */
export const MAX_ALARM_AHEAD_MS = 180 * 86_400_000;

/**
 * Arms the alarm. A failed write is logged and `onFailure` told: under the output gate the request
 * fails too (so its caller retries), but an object that remembers what it armed must forget it,
 * or it would skip the next write for a time no alarm was set at, and that timeout never fire.
 */
export function armAlarm(storage: DurableObjectStorage, at: number, now: number, onFailure?: () => void): void {
  storage.setAlarm(Math.min(at, now + MAX_ALARM_AHEAD_MS)).catch((err: unknown) => {
    console.error("setAlarm failed", err);
    onFailure?.();
  });
}
