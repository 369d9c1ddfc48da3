import { HANDED_BACK_FAILURE_TYPE, type Command, type Failure } from "@sundial/sdk/protocol";
import { ConflictError, PayloadTooLargeError } from "../core/errors.ts";
import { planCommands, unhandledCommandFailure, type CommandEffect } from "../core/execution/commands.ts";
import { exceedsPayloadLimit, LIMITS } from "../core/limits.ts";
import type { ChildStartCheck } from "../core/execution/children.ts";
import { applyCommandEffects, closeIfPastDeadline, closeRun, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import type { ExecutionStore, RunRow } from "./execution-store.ts";
import { endAttemptPastTimeout } from "./execution-timeouts.ts";
import type { TokenPayload } from "./execution-types.ts";

// A worker's answer to a workflow task, and the other calls a task token authorises (heartbeat,
// ack). Each is idempotent by the token's task and attempt: a retried call is a duplicate, a call
// for a task that timed out, was re-leased or whose run closed is a 409 stale_task, and neither
// touches history. A run past its execution timeout is closed first (closeIfPastDeadline), so a
// call the alarm has not overtaken yet is answered as one arriving after it.

export function staleTask(): ConflictError {
  return new ConflictError("this task is no longer current (it timed out, was re-leased, or its run closed)", "stale_task");
}

/** The 409 for a task that would have closed the run while new events waited (see {@link unhandledCommandFailure}). */
export function unhandledCommand(): ConflictError {
  return new ConflictError("new events (a signal, an update, an activity's outcome, …) arrived while this workflow task ran, so it may not close the run: the task was dropped and a new one delivers them", "stale_task");
}

/** The run a task token was minted for; a token of an earlier run (reset, continue-as-new) is stale. */
export function requireTaskRun(store: ExecutionStore, tok: TokenPayload): RunRow {
  const run = store.run();
  if (!run || run.run_id !== tok.r) throw staleTask();
  return run;
}

/** What a command carries into history: inputs, results and failures, each bounded by LIMITS.maxPayloadBytes. */
function commandPayloads(c: Command): unknown[] {
  switch (c.type) {
    case "schedule_activity":
    case "start_child_workflow":
    case "continue_as_new":
      return [c.input];
    case "complete_workflow":
      return [c.result];
    case "record_step":
    case "complete_update":
      return [c.result, c.failure];
    case "fail_workflow":
    case "reject_update":
      return [c.failure];
    case "cancel_workflow":
      return [c.details];
    default:
      return [];
  }
}

function requireStartedWorkflowTask(run: RunRow, tok: TokenPayload): void {
  if (run.wt_state !== "started" || run.wt_scheduled_event_id !== tok.i || run.wt_attempt !== tok.a) throw staleTask();
}

/**
 * Applies a workflow task's commands, validated by the core state machine. `applied` is false for
 * a duplicate and when the history limit closed the run instead (then nothing the commands
 * scheduled exists to hand out eagerly). `unhandled_command`: the commands would have closed the
 * run while new events waited, so the task was failed instead (`workflow_task_failed`, cause
 * `UnhandledCommand`) and a new one scheduled at once; the caller answers {@link unhandledCommand}.
 * `children` says what the children's registrations say (see {@link ChildStartCheck}): a refused
 * one is recorded as initiated and failed to start, the others take their registered defaults.
 */
export function applyWorkflowTaskCompletion(store: ExecutionStore, now: number, tok: TokenPayload, commands: Command[], identity: string, out: Dispatch[], children: readonly ChildStartCheck[] = []): { status: "accepted" | "duplicate"; applied: boolean } | { status: "unhandled_command"; applied: false } {
  const key = `w:${tok.i}:${tok.a}`;
  closeIfPastDeadline(store, now);
  const run = requireTaskRun(store, tok);
  if (store.wasCompleted(key)) return { status: "duplicate", applied: false };
  requireStartedWorkflowTask(run, tok);
  for (const [i, c] of commands.entries()) {
    for (const payload of commandPayloads(c)) {
      if (exceedsPayloadLimit(payload)) throw new PayloadTooLargeError(`commands.${i}: payload is larger than ${LIMITS.maxPayloadBytes} bytes`, `commands.${i}`);
    }
  }
  const effects = planCommands(
    {
      status: run.status === "running" ? "running" : "closed",
      lastActivitySeq: run.last_activity_seq,
      lastTimerSeq: run.last_timer_seq,
      pendingActivities: new Set(store.activities().map((a) => a.seq)),
      pendingTimers: new Set(store.timers().map((t) => t.seq)),
      cancelRequested: run.cancel_requested === 1,
      lastChildSeq: run.last_child_seq,
      lastStepSeq: run.last_step_seq,
      requestedUpdates: new Set(store.updatesIn("requested").map((u) => u.update_id)),
      acceptedUpdates: new Set(store.updatesIn("accepted").map((u) => u.update_id)),
    },
    commands,
  );
  const unhandled = unhandledCommandFailure(effects, run.wt_needed === 1);
  if (unhandled) {
    // Not marked completed: the same completion sent again finds the task no longer started and
    // gets the same 409. Attempt 1 and no backoff: nothing went wrong with the worker or the code.
    store.append("workflow_task_failed", now, { scheduled_event_id: tok.i, cause: "UnhandledCommand", failure: unhandled });
    store.updateRun({ wt_state: "none", wt_started_at: null, wt_needed: 0 });
    scheduleWorkflowTask(store, now, out);
    return { status: "unhandled_command", applied: false };
  }
  store.markCompleted(key, now);
  store.append("workflow_task_completed", now, { scheduled_event_id: tok.i, identity });
  store.updateRun({ wt_state: "none", wt_started_at: null, wt_needed: 0 });
  // Past either history limit the run fails, unless this task ends it anyway (a continue-as-new
  // the suggestion asked for, say, while signals kept arriving).
  const closing = effects.some((e) => e.kind === "close");
  const overCount = !closing && store.eventCount() + effects.length * 2 > LIMITS.maxHistoryEvents;
  const overSize = !closing && store.historyBytes() >= LIMITS.maxHistoryBytes;
  if (overCount || overSize) {
    const limit = overCount ? `${LIMITS.maxHistoryEvents} events` : `${LIMITS.maxHistoryBytes / 1_048_576} MiB`;
    closeRun(store, now, {
      outcome: "failed",
      failure: { message: `history limit of ${limit} reached; use continue-as-new`, type: "HistoryLimitExceeded", non_retryable: true },
    });
    return { status: "accepted", applied: false };
  }
  // A child whose input its workflow's schema refused fails to start, in place of starting; the
  // others go to their registered queue, with their registered timeout, unless the command says.
  const checks = new Map(children.map((c) => [c.seq, c]));
  const checked = checks.size === 0 ? effects : effects.map((e) => (e.kind === "start_child" ? withChildCheck(e, checks.get(e.seq)) : e));
  applyCommandEffects(store, now, run, checked, out);
  if (store.run()!.status === "running" && run.wt_needed === 1) scheduleWorkflowTask(store, now, out);
  return { status: "accepted", applied: true };
}

/** A child start with what its registration says applied: its refusal, or its defaults. */
function withChildCheck(e: Extract<CommandEffect, { kind: "start_child" }>, check: ChildStartCheck | undefined): CommandEffect {
  if (check === undefined) return e;
  if (check.failure !== undefined) return { ...e, startFailure: check.failure };
  return { ...e, taskQueue: e.taskQueue ?? check.taskQueue ?? undefined, executionTimeout: e.executionTimeout ?? check.executionTimeout ?? undefined };
}

/**
 * A worker could not run the workflow task (e.g. non-determinism): retried with backoff (1 s
 * doubling, 10 min cap). A task handed back by a worker shutting down (`WorkerShutdown`, as the SDK
 * hands back activities) goes out again at once as the same attempt: nothing went wrong with the code
 * (up to MAX_WT_HAND_BACKS times in a row; then a hand-back counts as a failure).
 */
export function applyWorkflowTaskFailure(store: ExecutionStore, now: number, tok: TokenPayload, failure: Failure, out: Dispatch[], terminateRun = false): { status: "accepted" | "duplicate" } {
  const key = `w:${tok.i}:${tok.a}`;
  closeIfPastDeadline(store, now);
  const run = requireTaskRun(store, tok);
  if (store.wasCompleted(key)) return { status: "duplicate" };
  requireStartedWorkflowTask(run, tok);
  store.markCompleted(key, now);
  store.append("workflow_task_failed", now, { scheduled_event_id: tok.i, failure });
  if (terminateRun) {
    // Not a command the workflow emitted (replays and queries never see it as one): the run ends here.
    // As long as a terminate request's reason may be (1,000), so the run's failure stays one clients parse.
    const reason = `${failure.type}: ${failure.message}`;
    closeRun(store, now, { outcome: "terminated", reason: reason.length > 1_000 ? `${reason.slice(0, 999)}…` : reason });
    return { status: "accepted" };
  }
  if (failure.type === HANDED_BACK_FAILURE_TYPE && handBacksBefore(store, tok.i) < MAX_WT_HAND_BACKS) {
    store.updateRun({ wt_state: "none", wt_started_at: null });
    scheduleWorkflowTask(store, now, out, run.wt_attempt);
    return { status: "accepted" };
  }
  store.updateRun({ wt_state: "backoff", wt_started_at: null, wt_retry_at: now + workflowTaskRetryDelayMs(run.wt_attempt), wt_attempt: run.wt_attempt + 1 });
  return { status: "accepted" };
}

/** Hand-backs in a row a workflow task goes out again at once after; the next counts as a failure (backoff), as an activity's lost deliveries are bounded. */
export const MAX_WT_HAND_BACKS = 3;

/**
 * How many hand-backs in a row came just before the workflow task scheduled at `scheduledEventId`
 * (up to MAX_WT_HAND_BACKS): a hand-back writes its `workflow_task_failed` and the next task's
 * `workflow_task_scheduled` together, so each is the event just before the task it led to.
 */
function handBacksBefore(store: ExecutionStore, scheduledEventId: number): number {
  let n = 0;
  for (let id = scheduledEventId; n < MAX_WT_HAND_BACKS; n++) {
    const prev = store.event(id - 1);
    if (prev?.type !== "workflow_task_failed" || prev.failure.type !== HANDED_BACK_FAILURE_TYPE) break;
    id = prev.scheduled_event_id;
  }
  return n;
}

/** How long a workflow task that failed (or timed out again) waits before its next attempt: 1 s doubling, 10 min cap. */
export function workflowTaskRetryDelayMs(attempt: number): number {
  return Math.min(2 ** Math.max(0, attempt - 1), 600) * 1000;
}

/** Records an activity heartbeat; tells the worker whether cancellation was requested. `out` gets the dispatches of an attempt that timed out. */
export function recordHeartbeat(store: ExecutionStore, now: number, tok: TokenPayload, details: unknown, out: Dispatch[]): { cancel_requested: boolean } {
  closeIfPastDeadline(store, now);
  const run = requireTaskRun(store, tok);
  const row = store.activity(tok.i);
  if (!row || row.state !== "started" || row.attempt !== tok.a || (tok.l ?? 0) !== row.lease) throw staleTask();
  // A heartbeat after the attempt's deadline does not revive it: it timed out then.
  if (endAttemptPastTimeout(store, now, row, out)) throw staleTask();
  store.updateActivity(tok.i, { last_heartbeat_at: now, acked: 1, ...(details === undefined ? {} : { heartbeat_details: JSON.stringify(details) }) });
  return { cancel_requested: row.cancel_requested === 1 || run.status !== "running" };
}

/**
 * The worker confirms it received a task (the SDK sends this when a task runs longer than ~1 s):
 * its lease is kept. For a workflow task every acknowledgement also renews the workflow task
 * timeout from `now`: the SDK keeps acknowledging while the task runs (its steps may take longer
 * than the timeout), so only a worker that went silent loses the task.
 */
export function acknowledgeTask(store: ExecutionStore, now: number, tok: TokenPayload): { status: "accepted" } {
  closeIfPastDeadline(store, now);
  const run = requireTaskRun(store, tok);
  if (tok.k === "q") return { status: "accepted" }; // queries have no lease to keep
  if (tok.k === "w") {
    requireStartedWorkflowTask(run, tok);
    store.updateRun({ wt_acked: 1, wt_started_at: now });
  } else {
    const row = store.activity(tok.i);
    if (!row || row.state !== "started" || row.attempt !== tok.a || (tok.l ?? 0) !== row.lease) throw staleTask();
    store.updateActivity(tok.i, { acked: 1 });
  }
  return { status: "accepted" };
}
