import { HANDED_BACK_FAILURE_TYPE, type Failure } from "@sundial/sdk/protocol";
import { ConflictError } from "../core/errors.ts";
import { afterFailedAttempt } from "../core/execution/activity.ts";
import { closeIfPastDeadline, requeueAttempt, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import { backOffActivity, endAttemptPastTimeout, MAX_LOST_DELIVERIES } from "./execution-timeouts.ts";
import type { TokenPayload } from "./execution-types.ts";
import { activityState, type ActivityRow, type ExecutionStore } from "./execution-store.ts";

type Completion = { status: "accepted" | "duplicate" };

function staleTask(): ConflictError {
  return new ConflictError("this activity attempt is no longer current (it timed out, was retried, or its run closed)", "stale_task");
}

/**
 * The completion mark of one lease of an attempt: an attempt handed out again (its first delivery
 * never acknowledged) is completed by one lease only, and the lost lease's late call must stay a
 * 409, not be told it was applied. Marks written before leases were named (`a:seq:attempt`) still count.
 */
function completionKey(tok: TokenPayload): string {
  return `a:${tok.i}:${tok.a}:${tok.l ?? 0}`;
}

/**
 * The mark of one lease's hand-back (a worker shutting down returned the attempt unfinished): its
 * retried call is a duplicate, whoever holds the attempt since. Its own key, not the completion's:
 * the handed-back lease never completed the attempt, so its late complete or fail stays a 409.
 */
function handBackKey(tok: TokenPayload): string {
  return `h:${tok.i}:${tok.a}:${tok.l ?? 0}`;
}

/** The started attempt a token names, or a duplicate marker, or a stale-task error. */
function currentAttempt(store: ExecutionStore, tok: TokenPayload): ActivityRow | "duplicate" {
  if (store.wasCompleted(completionKey(tok)) || store.wasCompleted(`a:${tok.i}:${tok.a}`)) return "duplicate";
  const row = store.activity(tok.i);
  if (!row || row.state !== "started" || row.attempt !== tok.a || (tok.l ?? 0) !== row.lease) throw staleTask();
  return row;
}

function recordStarted(store: ExecutionStore, now: number, row: ActivityRow): void {
  // Like Temporal, the started event is written when the attempt ends, so retries do not flood history.
  store.append("activity_started", now, { scheduled_event_id: row.scheduled_event_id, attempt: row.attempt, identity: row.identity ?? "" });
}

/** An attempt succeeded: history gets started + completed once, however often the worker retries the call. */
export function applyActivityCompletion(store: ExecutionStore, now: number, tok: TokenPayload, result: unknown, out: Dispatch[]): Completion {
  closeIfPastDeadline(store, now);
  const row = currentAttempt(store, tok);
  if (row === "duplicate") return { status: "duplicate" };
  if (endAttemptPastTimeout(store, now, row, out)) throw staleTask();
  store.markCompleted(completionKey(tok), now);
  recordStarted(store, now, row);
  store.append("activity_completed", now, { scheduled_event_id: row.scheduled_event_id, seq: row.seq, result: result ?? null, attempt: row.attempt });
  store.deleteActivity(row.seq);
  scheduleWorkflowTask(store, now, out);
  return { status: "accepted" };
}

/** An attempt failed: retry per policy (no history), or record the final failure and wake the workflow. */
export function applyActivityFailure(store: ExecutionStore, now: number, tok: TokenPayload, failure: Failure, out: Dispatch[]): Completion {
  closeIfPastDeadline(store, now);
  const handBack = failure.type === HANDED_BACK_FAILURE_TYPE;
  if (handBack && store.wasCompleted(handBackKey(tok))) return { status: "duplicate" };
  const row = currentAttempt(store, tok);
  if (row === "duplicate") return { status: "duplicate" };
  if (endAttemptPastTimeout(store, now, row, out)) {
    // Past one of its timeouts the attempt ended at that deadline (retried per policy, or timed out;
    // schedule-to-close is never retried), as the alarm would have ended it. A hand-back says the
    // worker is leaving, which this settles: accepted, and sent again a duplicate. Anything else
    // came too late: a 409, as after the alarm.
    if (!handBack) throw staleTask();
    store.markCompleted(handBackKey(tok), now);
    return { status: "accepted" };
  }
  const run = store.run();
  if (handBack && row.cancel_requested !== 1 && run && row.lease - row.attempt < MAX_LOST_DELIVERIES) {
    // A worker shutting down handed the attempt back unfinished: the same attempt goes out again at
    // once, no retry spent (unless it keeps happening). The handed-back lease's token is now stale
    // for anything but the same hand-back sent again.
    store.markCompleted(handBackKey(tok), now);
    requeueAttempt(store, now, run, row, out);
    return { status: "accepted" };
  }
  store.markCompleted(completionKey(tok), now);
  if (row.cancel_requested === 1) {
    recordStarted(store, now, row);
    store.append("activity_cancelled", now, { scheduled_event_id: row.scheduled_event_id, seq: row.seq });
    store.deleteActivity(row.seq);
    scheduleWorkflowTask(store, now, out);
    return { status: "accepted" };
  }
  const outcome = afterFailedAttempt(activityState(row), failure, now);
  if (outcome.kind === "retry") {
    backOffActivity(store, row.seq, outcome, failure);
    return { status: "accepted" };
  }
  recordStarted(store, now, row);
  store.append("activity_failed", now, { scheduled_event_id: row.scheduled_event_id, seq: row.seq, failure, attempt: row.attempt });
  store.deleteActivity(row.seq);
  scheduleWorkflowTask(store, now, out);
  return { status: "accepted" };
}
