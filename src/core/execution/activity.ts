import type { Failure } from "@sundial/sdk/protocol";
import { DEFAULT_RETRY_POLICY, retryDecision, type RetryPolicy } from "../backoff.ts";
import type { ResolvedActivityOptions } from "./commands.ts";

/** The live state of one pending activity, as the ExecutionObject stores it. */
export interface ActivityState {
  seq: number;
  state: "scheduled" | "started" | "backing_off";
  attempt: number;
  options: ResolvedActivityOptions;
  /** When the activity was first scheduled (schedule-to-close counts from here). */
  scheduledAt: number;
  startedAt: number | null;
  lastHeartbeatAt: number | null;
  nextAttemptAt: number | null;
  /** When the current attempt was handed to the task queue (for re-dispatch). */
  dispatchedAt: number | null;
  /** Whether the worker that leased the attempt has been heard from (ack, heartbeat or result). */
  acked: boolean;
}

/**
 * A leased task must be acknowledged (an ack, a heartbeat or its result) within this long, or it
 * is taken as never delivered (the poll's response went to a worker that had died) and handed out
 * again at once — instead of waiting for a start-to-close timeout of minutes.
 */
export const DELIVERY_ACK_TIMEOUT_MS = 5_000;

export type ActivityTimeout = "start_to_close" | "schedule_to_close" | "heartbeat";

export function retryPolicyOf(options: ResolvedActivityOptions): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
}

/** The earliest instant at which something must happen to this activity (timeout, retry, re-dispatch). */
export function activityDeadline(a: ActivityState, dispatchTimeoutMs: number): number {
  const times: number[] = [];
  if (a.options.schedule_to_close_timeout !== undefined) times.push(a.scheduledAt + a.options.schedule_to_close_timeout * 1000);
  if (a.state === "started" && a.startedAt !== null) {
    times.push(a.startedAt + a.options.start_to_close_timeout * 1000);
    if (!a.acked) times.push(a.startedAt + DELIVERY_ACK_TIMEOUT_MS);
    if (a.options.heartbeat_timeout !== undefined) times.push((a.lastHeartbeatAt ?? a.startedAt) + a.options.heartbeat_timeout * 1000);
  }
  if (a.state === "backing_off" && a.nextAttemptAt !== null) times.push(a.nextAttemptAt);
  if (a.state === "scheduled" && a.dispatchedAt !== null) times.push(a.dispatchedAt + dispatchTimeoutMs);
  return Math.min(...times);
}

/** True when a leased attempt was never acknowledged in time: it goes back to the queue, same attempt. */
export function deliveryLost(a: ActivityState, now: number): boolean {
  return a.state === "started" && !a.acked && a.startedAt !== null && now >= a.startedAt + DELIVERY_ACK_TIMEOUT_MS;
}

/**
 * True once the activity's schedule-to-close deadline has passed. Nothing of it goes out again
 * then, not even the same attempt after a lost delivery or a hand-back: it times out.
 */
export function scheduleToCloseExpired(a: ActivityState, now: number): boolean {
  return a.options.schedule_to_close_timeout !== undefined && now >= a.scheduledAt + a.options.schedule_to_close_timeout * 1000;
}

/** Which timeout, if any, has expired at `now` (schedule-to-close wins: it is never retried). */
export function expiredTimeout(a: ActivityState, now: number): ActivityTimeout | null {
  if (scheduleToCloseExpired(a, now)) return "schedule_to_close";
  if (a.state !== "started" || a.startedAt === null) return null;
  if (now >= a.startedAt + a.options.start_to_close_timeout * 1000) return "start_to_close";
  if (a.options.heartbeat_timeout !== undefined && now >= (a.lastHeartbeatAt ?? a.startedAt) + a.options.heartbeat_timeout * 1000) return "heartbeat";
  return null;
}

export type AttemptOutcome = { kind: "retry"; nextAttemptAt: number; attempt: number } | { kind: "final" };

/**
 * After an attempt failed (or timed out), decide between another attempt and a final failure:
 * the retry policy, then schedule-to-close (a retry that could not start before it is pointless).
 */
export function afterFailedAttempt(a: ActivityState, failure: Pick<Failure, "type" | "non_retryable">, now: number, timeout?: ActivityTimeout): AttemptOutcome {
  if (timeout === "schedule_to_close") return { kind: "final" };
  const d = retryDecision(retryPolicyOf(a.options), a.attempt, failure);
  if (!d.retry) return { kind: "final" };
  const nextAttemptAt = now + Math.round(d.delaySeconds * 1000);
  if (a.options.schedule_to_close_timeout !== undefined && nextAttemptAt >= a.scheduledAt + a.options.schedule_to_close_timeout * 1000) {
    return { kind: "final" };
  }
  return { kind: "retry", nextAttemptAt, attempt: a.attempt + 1 };
}
