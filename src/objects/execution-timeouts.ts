import type { Failure } from "@sundial/sdk/protocol";
import { activityDeadline, afterFailedAttempt, deliveryLost, DELIVERY_ACK_TIMEOUT_MS, expiredTimeout, type ActivityTimeout } from "../core/execution/activity.ts";
import { LIMITS } from "../core/limits.ts";
import { activityDispatch, closeRun, requeueAttempt, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import type { ActivityRow, ActivitySummary } from "./execution-rows.ts";
import { activityState, type ExecutionStore } from "./execution-store.ts";
import { workflowTaskRetryDelayMs } from "./execution-workflow-tasks.ts";

/** An activity row as the alarm lists it or a worker's call reads it (payloads aside). */
type AttemptRow = Omit<ActivityRow, "input" | "heartbeat_details" | "last_failure">;

/** A queued task not leased within this long is queued again (covers lost enqueues and dead pollers). */
export const DISPATCH_TIMEOUT_MS = 60_000;
const WT_TIMEOUT_MS = LIMITS.workflowTaskTimeout * 1000;
/**
 * Leases of one attempt that may go unacknowledged before the attempt counts as failed. Counted as
 * `lease - attempt`: each new attempt starts its lease number at `attempt - 1` (its first lease is
 * then `attempt`), so an attempt is not charged with the lost leases of the ones before it.
 */
export const MAX_LOST_DELIVERIES = 3;

/**
 * Puts a failed activity attempt's next attempt in backoff. The attempt's lease number restarts at
 * `attempt - 1` here, the one place attempts advance (see MAX_LOST_DELIVERIES).
 */
export function backOffActivity(store: ExecutionStore, seq: number, next: { attempt: number; nextAttemptAt: number }, failure: Failure): void {
  store.updateActivity(seq, { state: "backing_off", attempt: next.attempt, lease: next.attempt - 1, next_attempt_at: next.nextAttemptAt, started_at: null, last_failure: JSON.stringify(failure) });
}

/**
 * Records an activity's final timeout and wakes the workflow. An attempt a worker was handed gets
 * its activity_started first, as every attempt that ends does (written at its end, like Temporal's);
 * an activity that timed out before any worker had it (schedule-to-close while queued or backing
 * off) has none.
 */
export function timeOutActivity(store: ExecutionStore, now: number, row: Pick<ActivitySummary, "scheduled_event_id" | "seq" | "attempt" | "state" | "identity">, timeout: ActivityTimeout, out: Dispatch[]): void {
  if (row.state === "started") store.append("activity_started", now, { scheduled_event_id: row.scheduled_event_id, attempt: row.attempt, identity: row.identity ?? "" });
  store.append("activity_timed_out", now, { scheduled_event_id: row.scheduled_event_id, seq: row.seq, timeout_type: timeout, attempt: row.attempt });
  store.deleteActivity(row.seq);
  scheduleWorkflowTask(store, now, out);
}

/** A started attempt the workflow asked to cancel, whose worker is gone or too late: cancelled, not run again. */
export function cancelLostAttempt(store: ExecutionStore, now: number, row: AttemptRow, out: Dispatch[]): void {
  store.append("activity_started", now, { scheduled_event_id: row.scheduled_event_id, attempt: row.attempt, identity: row.identity ?? "" });
  store.append("activity_cancelled", now, { scheduled_event_id: row.scheduled_event_id, seq: row.seq });
  store.deleteActivity(row.seq);
  scheduleWorkflowTask(store, now, out);
}

/** An attempt whose `timeout` passed failed with a TimeoutError: retried per policy, else the activity times out. */
function failTimedOutAttempt(store: ExecutionStore, now: number, row: AttemptRow, timeout: ActivityTimeout, out: Dispatch[]): void {
  const failure = { message: `activity ${timeout.replace(/_/g, "-")} timeout`, type: "TimeoutError", non_retryable: false };
  const outcome = afterFailedAttempt(activityState(row), failure, now, timeout);
  if (outcome.kind === "retry") backOffActivity(store, row.seq, outcome, failure);
  else timeOutActivity(store, now, row, timeout, out);
}

/**
 * A worker's call for attempt `row` (its result, failure or heartbeat) that finds one of its
 * timeouts past, the alarm not having run yet (it may run late): the attempt timed out at that
 * deadline, so it is ended here as the alarm would end it, and the caller answers as to a call
 * that came after the alarm (409 stale_task). The call proves the worker received the attempt, so
 * it is not handed out again as a lost delivery. True when the attempt was ended.
 */
export function endAttemptPastTimeout(store: ExecutionStore, now: number, row: AttemptRow, out: Dispatch[]): boolean {
  const timeout = expiredTimeout(activityState(row), now);
  if (timeout === null) return false;
  if (row.cancel_requested === 1) cancelLostAttempt(store, now, row, out);
  else failTimedOutAttempt(store, now, row, timeout, out);
  return true;
}

/**
 * Handles everything due at `now`: execution timeout, workflow task timeout/retry, activity
 * timeouts/retries, timers. Returns the first error a part threw (the others still ran), or null.
 */
export function runExecutionTimeouts(store: ExecutionStore, now: number, out: Dispatch[]): unknown {
  const run = store.run();
  if (!run || run.status !== "running") return null;
  if (now >= run.deadline) {
    closeRun(store, now, { outcome: "timed_out" });
    return null;
  }
  // Each part is isolated: one failing item must not stop the others or the re-arm.
  const parts: (() => void)[] = [
    () => workflowTaskTimeouts(store, now, out),
    () => activityTimeouts(store, now, out),
    () => timerFires(store, now, out),
  ];
  let failure: unknown = null;
  for (const p of parts) {
    try {
      p();
    } catch (err) {
      console.error("execution timeout handling failed", err);
      failure ??= err;
    }
  }
  return failure;
}

function workflowTaskTimeouts(store: ExecutionStore, now: number, out: Dispatch[]): void {
  const run = store.run()!;
  const unacked = run.wt_state === "started" && run.wt_acked === 0 && run.wt_started_at !== null && now >= run.wt_started_at + DELIVERY_ACK_TIMEOUT_MS;
  if (unacked || (run.wt_state === "started" && run.wt_started_at !== null && now >= run.wt_started_at + WT_TIMEOUT_MS)) {
    store.append("workflow_task_timed_out", now, { scheduled_event_id: run.wt_scheduled_event_id });
    if (run.wt_attempt >= 2) {
      // Timing out again (a worker crashing on this very task): back off as a failed task does, so
      // a crash loop does not add three events to history every few seconds.
      store.updateRun({ wt_state: "backoff", wt_started_at: null, wt_retry_at: now + workflowTaskRetryDelayMs(run.wt_attempt), wt_attempt: run.wt_attempt + 1 });
    } else {
      // Once is most likely one lost delivery: handed out again at once.
      store.updateRun({ wt_state: "none", wt_started_at: null });
      scheduleWorkflowTask(store, now, out, run.wt_attempt + 1);
    }
  } else if (run.wt_state === "scheduled" && run.wt_dispatched_at !== null && now >= run.wt_dispatched_at + DISPATCH_TIMEOUT_MS) {
    store.updateRun({ wt_dispatched_at: now });
    out.push({ namespace: run.namespace, queue: run.task_queue, executionId: run.execution_id, kind: "workflow", type: run.workflow, ref: run.wt_scheduled_event_id, attempt: run.wt_attempt });
  } else if (run.wt_state === "backoff" && run.wt_retry_at !== null && now >= run.wt_retry_at) {
    store.updateRun({ wt_state: "none", wt_retry_at: null });
    scheduleWorkflowTask(store, now, out, run.wt_attempt);
  }
}

function activityTimeouts(store: ExecutionStore, now: number, out: Dispatch[]): void {
  const run = store.run()!;
  for (const row of store.activities()) {
    const a = activityState(row);
    const lost = deliveryLost(a, now);
    // An attempt never acknowledged again after MAX_LOST_DELIVERIES hand-outs looks like a worker
    // dying on it: that counts as a failed attempt (as start-to-close), where before no branch took
    // it and its past ack deadline re-armed the alarm at once, over and over.
    const timeout = expiredTimeout(a, now) ?? (lost && row.lease - row.attempt >= MAX_LOST_DELIVERIES ? "start_to_close" : null);
    // An attempt whose worker never confirmed receipt was most likely never delivered (the poll's
    // answer went to a dead worker): hand the same attempt out again instead of spending a retry —
    // unless it keeps happening, which looks like a worker dying on it, and counts as a failure;
    // or schedule-to-close has passed, which is never handed out again but times out.
    const neverReceived = timeout !== "schedule_to_close" && !a.acked && (lost || timeout === "heartbeat" || timeout === "start_to_close") && row.lease - row.attempt < MAX_LOST_DELIVERIES;
    if (row.cancel_requested === 1 && (neverReceived || timeout !== null)) {
      // The workflow asked to cancel it and its worker is gone: it is cancelled, not run again.
      cancelLostAttempt(store, now, row, out);
    } else if (neverReceived) {
      // Never received: back to the queue as the same attempt (the lost lease's token is now stale).
      requeueAttempt(store, now, run, row, out);
    } else if (timeout !== null) {
      failTimedOutAttempt(store, now, row, timeout, out);
    } else if (a.state === "backing_off" && a.nextAttemptAt !== null && now >= a.nextAttemptAt) {
      store.updateActivity(row.seq, { state: "scheduled", next_attempt_at: null, dispatched_at: now });
      out.push(activityDispatch(run, row));
    } else if (a.state === "scheduled" && a.dispatchedAt !== null && now >= a.dispatchedAt + DISPATCH_TIMEOUT_MS) {
      store.updateActivity(row.seq, { dispatched_at: now });
      out.push(activityDispatch(run, row));
    }
  }
}

function timerFires(store: ExecutionStore, now: number, out: Dispatch[]): void {
  let fired = false;
  for (const t of store.timers()) {
    if (t.fire_at > now) break;
    store.append("timer_fired", now, { started_event_id: t.started_event_id, seq: t.seq });
    store.deleteTimer(t.seq);
    fired = true;
  }
  if (fired) scheduleWorkflowTask(store, now, out);
}

/** The earliest instant anything in this execution needs attention, or null. */
export function nextExecutionAlarm(store: ExecutionStore): number | null {
  const run = store.run();
  const outboxAt = store.outbox.nextAt();
  const times: number[] = outboxAt === null ? [] : [outboxAt];
  if (run?.status === "running") {
    times.push(run.deadline);
    if (run.wt_state === "started" && run.wt_started_at !== null) times.push(run.wt_started_at + (run.wt_acked === 0 ? DELIVERY_ACK_TIMEOUT_MS : WT_TIMEOUT_MS));
    if (run.wt_state === "scheduled" && run.wt_dispatched_at !== null) times.push(run.wt_dispatched_at + DISPATCH_TIMEOUT_MS);
    if (run.wt_state === "backoff" && run.wt_retry_at !== null) times.push(run.wt_retry_at);
    for (const row of store.activities()) times.push(activityDeadline(activityState(row), DISPATCH_TIMEOUT_MS));
    const firstTimer = store.timers()[0];
    if (firstTimer) times.push(firstTimer.fire_at);
  }
  const finite = times.filter((t) => Number.isFinite(t));
  return finite.length === 0 ? null : Math.min(...finite);
}
