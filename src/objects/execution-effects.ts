import { defaultChildExecutionId, MAX_ID_LENGTH, toRfc3339, type Failure } from "@sundial/sdk/protocol";
import { childEntryKey, type StopCause } from "../core/execution/children.ts";
import type { CommandEffect } from "../core/execution/commands.ts";
import { SIGNAL_MARK_PREFIX } from "../core/execution/signal-marks.ts";
import { LIMITS } from "../core/limits.ts";
import { recordChildStartFailed } from "./execution-children.ts";
import { endOpenUpdates } from "./execution-messages.ts";
import { beginRun } from "./execution-start.ts";
import { indexRow } from "./execution-view.ts";
import { activityState, newActivityRow, parseJson, type ActivityRow, type ChildRow, type CloseCallback, type ExecutionStore, type RunRow, type RunStatus } from "./execution-store.ts";

/** A task to hand to a task queue once the change that created it is written. */
export interface Dispatch {
  namespace: string;
  queue: string;
  executionId: string;
  kind: "workflow" | "activity";
  /** The workflow's name (workflow and query tasks) or the activity's type: only a poller that runs it gets the task. */
  type: string;
  ref: number;
  attempt: number;
  /** Not before this instant (ms): the first task of a run prepared ahead of its start. */
  visibleAt?: number;
}

/** The dispatch of an activity attempt as its row stands now (its type and queue, never an older entry's). */
export function activityDispatch(run: RunRow, row: Omit<ActivityRow, "input" | "heartbeat_details" | "last_failure">): Dispatch {
  return { namespace: run.namespace, queue: activityState(row).options.task_queue ?? run.task_queue, executionId: run.execution_id, kind: "activity", type: row.activity_type, ref: row.seq, attempt: row.attempt };
}

/**
 * Sends a started attempt that no worker will finish (handed back, never received) out again as
 * itself: back to `scheduled` and to its queue, no retry spent; its lease number stays spent, so
 * the token of the lease it had is stale.
 */
export function requeueAttempt(store: ExecutionStore, now: number, run: RunRow, row: Omit<ActivityRow, "input" | "heartbeat_details" | "last_failure">, out: Dispatch[]): void {
  store.updateActivity(row.seq, { state: "scheduled", started_at: null, last_heartbeat_at: null, identity: null, dispatched_at: now });
  out.push(activityDispatch(run, row));
}

/**
 * Makes sure a workflow task will run: schedules one if none is pending, or, if one is running
 * right now, notes that another is needed when it completes (the new events arrived after it started).
 */
export function scheduleWorkflowTask(store: ExecutionStore, now: number, out: Dispatch[], attempt = 1): void {
  const run = store.run();
  if (!run || run.status !== "running") return;
  if (run.wt_state === "started") {
    if (run.wt_needed === 0) store.updateRun({ wt_needed: 1 });
    return;
  }
  if (run.wt_state === "scheduled" || run.wt_state === "backoff") return;
  // A run prepared ahead of its start (a scheduled fire) gets its first task then, not now.
  const visibleAt = Math.max(now, run.started_at);
  const id = store.append("workflow_task_scheduled", now, visibleAt > now ? { attempt, visible_at: toRfc3339(visibleAt) } : { attempt });
  store.updateRun({ wt_state: "scheduled", wt_scheduled_event_id: id, wt_attempt: attempt, wt_dispatched_at: visibleAt, wt_retry_at: null, wt_needed: 0 });
  out.push({ namespace: run.namespace, queue: run.task_queue, executionId: run.execution_id, kind: "workflow", type: run.workflow, ref: id, attempt, ...(visibleAt > now ? { visibleAt } : {}) });
}

export type CloseOutcome =
  | { outcome: "completed"; result: unknown }
  | { outcome: "failed"; failure: Failure }
  | { outcome: "cancelled"; details: unknown }
  | { outcome: "timed_out" }
  | { outcome: "terminated"; reason: string };

/**
 * Parent close policy: children still open (of `children`, by default all the run's) are cancelled
 * or terminated through the outbox. Each stop says who sends it (`from`: this execution and the
 * run that started the child), so the child can refuse one that is not from its parent, and why
 * (`cause`: the run closed, or a reset ended it), which the child's history shows as the reason.
 */
export function applyParentClosePolicy(store: ExecutionStore, now: number, run: RunRow, children: ChildRow[] = store.children(), cause: StopCause = "closed"): void {
  for (const c of children) {
    if (c.state === "closed" || c.policy === "ABANDON") continue;
    const from = { execution_id: run.execution_id, run_id: c.parent_run };
    const key = childEntryKey(c.policy === "TERMINATE" ? "terminate-child" : "cancel-child", c.parent_run ?? run.run_id, c.seq);
    store.outbox.put(key, { namespace: run.namespace, execution_id: c.execution_id, from, ...(cause === "closed" ? {} : { cause }) }, now);
  }
}

/**
 * Continue-as-new: this run ends and a fresh one (new input, empty history, run_number + 1)
 * starts under the same execution id, keeping its schedule payload and close callback, and the
 * newest signal request ids and completed updates' outcomes (a retried signal or update is not
 * delivered again to the new run).
 */
export function continueAsNew(store: ExecutionStore, now: number, input: unknown, executionTimeout: number | undefined, out: Dispatch[]): void {
  const old = store.run();
  if (!old || old.status !== "running") return;
  applyParentClosePolicy(store, now, old);
  // Updates the old run never accepted are offered to the new one; those it accepted fail.
  const openUpdates = endOpenUpdates(store, "continued_as_new");
  const carried = store.outbox.entries().filter((e) => e.key.includes("-child:"));
  // A client retrying a signal the old run recorded must get `recorded: false`, not a second delivery.
  const signalMarks = store.marksWithPrefix(SIGNAL_MARK_PREFIX, LIMITS.signalRequestIdsKept);
  // Likewise a retried update_id gets the outcome its update had, instead of running it again: its
  // result, or the 409 of one failed as a run ended (this one, or an earlier one), whose handler ran.
  const finishedUpdates = store.finishedUpdates(LIMITS.updateOutcomesKept, LIMITS.updateOutcomesKeptBytes);
  const finishedIds = new Set(finishedUpdates.map((u) => u.update_id));
  store.resetForNewRun();
  beginRun(
    store,
    {
      namespace: old.namespace,
      execution_id: old.execution_id,
      workflow: old.workflow,
      input,
      task_queue: old.task_queue,
      execution_timeout: executionTimeout ?? old.execution_timeout,
      id_reuse_policy: "use_existing",
      schedule: old.schedule === null ? null : JSON.parse(old.schedule),
      callback: old.callback === null ? null : JSON.parse(old.callback),
    },
    now,
    out,
    { run_number: old.run_number + 1, previous_run_id: old.run_id },
  );
  for (const e of carried) store.outbox.put(e.key, JSON.parse(e.payload), now);
  for (const m of signalMarks) store.markCompleted(m.task_key, m.at);
  for (const u of finishedUpdates) store.insertUpdate({ ...u, state: "carried" });
  for (const u of openUpdates) if (!finishedIds.has(u.update_id)) store.insertUpdate(u);
}

/**
 * Closes the running run as timed out once its execution timeout has passed. The alarm does this,
 * but it may run late (load, an eviction, a failure's backoff) while the deadline does not move: a
 * call that lands between the two finds the run timed out, as it would after the alarm, and never
 * completes or extends a run past its time. A prepared run no worker took yet is left to the
 * alarm, which asks its queue first (settleUnleasedPrepared). True when it closed the run.
 */
export function closeIfPastDeadline(store: ExecutionStore, now: number): boolean {
  const run = store.run();
  if (!run || run.status !== "running" || run.start_by !== null || now < run.deadline) return false;
  closeRun(store, now, { outcome: "timed_out" });
  return true;
}

/** Closes the run: the closing event, status, no pending work, and outbox entries for the index and the schedule. */
export function closeRun(store: ExecutionStore, now: number, close: CloseOutcome): void {
  const run = store.run();
  if (!run || run.status !== "running") return;
  let status: RunStatus;
  const patch: Partial<RunRow> = {};
  switch (close.outcome) {
    case "completed":
      status = "completed";
      store.append("execution_completed", now, { result: close.result ?? null });
      patch.result = JSON.stringify(close.result ?? null);
      break;
    case "failed":
      status = "failed";
      store.append("execution_failed", now, { failure: close.failure });
      patch.failure = JSON.stringify(close.failure);
      break;
    case "cancelled":
      status = "cancelled";
      store.append("execution_cancelled", now, close.details === undefined ? {} : { details: close.details });
      patch.failure = JSON.stringify({ message: "execution cancelled", type: "CancelledError", non_retryable: true });
      break;
    case "timed_out":
      status = "timed_out";
      store.append("execution_timed_out", now, {});
      patch.failure = JSON.stringify({ message: `execution timed out after ${run.execution_timeout}s`, type: "WORKFLOW_EXECUTION_TIMED_OUT", non_retryable: true });
      break;
    case "terminated":
      status = "terminated";
      store.append("execution_terminated", now, { reason: close.reason });
      patch.failure = JSON.stringify({ message: `terminated: ${close.reason}`, type: "Terminated", non_retryable: true });
      break;
  }
  store.updateRun({ ...patch, status, closed_at: now, wt_state: "none", wt_started_at: null, wt_retry_at: null, wt_needed: 0 });
  store.clearPending();
  endOpenUpdates(store, status);
  applyParentClosePolicy(store, now, run);
  const closed = store.run()!;
  store.outbox.put("index", indexRow(closed), now);
  queueCloseNotice(store, closed, status, now);
}

/** Queues the notice that this run ended to whoever started it (its schedule or parent), if anyone. */
export function queueCloseNotice(store: ExecutionStore, run: RunRow, status: string, now: number): void {
  if (run.callback === null) return;
  const cb = JSON.parse(run.callback) as CloseCallback;
  store.outbox.put("callback", { ...cb, namespace: run.namespace, execution_id: run.execution_id, status, failure: parseJson(run.failure), result: parseJson(run.result), closed_at: now }, now);
}

/** Writes the history and state for each effect of a completed workflow task, in order. */
export function applyCommandEffects(store: ExecutionStore, now: number, run: RunRow, effects: CommandEffect[], out: Dispatch[]): void {
  let needTask = false;
  const accepted: string[] = [];
  for (const e of effects) {
    switch (e.kind) {
      case "accept_update":
        // Recorded after this task's command events: the handler runs from there, in the next task.
        // Accepted now all the same, so a close in this task fails it rather than offering it again.
        store.setUpdate(e.updateId, "accepted");
        accepted.push(e.updateId);
        break;
      case "reject_update":
        // The validator said no: nothing goes into history; the caller gets the failure.
        store.setUpdate(e.updateId, "rejected", null, JSON.stringify(e.failure));
        break;
      case "complete_update":
        store.append("update_completed", now, { update_id: e.updateId, ...(e.failure ? { failure: e.failure } : { result: e.result ?? null }) });
        store.setUpdate(e.updateId, "completed", e.failure ? null : JSON.stringify(e.result ?? null), e.failure ? JSON.stringify(e.failure) : null);
        break;
      case "schedule_activity": {
        const id = store.append("activity_scheduled", now, { seq: e.seq, activity_type: e.activityType, input: e.input ?? null, options: e.options });
        const row = newActivityRow(e.seq, id, e.activityType, e.input, e.options, now);
        store.insertActivity(row);
        store.updateRun({ last_activity_seq: e.seq });
        out.push(activityDispatch(run, row));
        break;
      }
      case "cancel_activity": {
        const row = store.activity(e.seq);
        if (!row) {
          // Already resolved: record the request (replay matches it) and change nothing else.
          store.append("activity_cancel_requested", now, { scheduled_event_id: store.scheduledEventOf("activity_scheduled", e.seq), seq: e.seq });
          break;
        }
        store.append("activity_cancel_requested", now, { scheduled_event_id: row.scheduled_event_id, seq: e.seq });
        if (row.state === "started") {
          // The worker learns through its next heartbeat; the outcome it reports closes the activity.
          store.updateActivity(e.seq, { cancel_requested: 1 });
        } else {
          store.append("activity_cancelled", now, { scheduled_event_id: row.scheduled_event_id, seq: e.seq });
          store.deleteActivity(e.seq);
          needTask = true;
        }
        break;
      }
      case "start_timer": {
        const fireAt = now + e.durationMs;
        const id = store.append("timer_started", now, { seq: e.seq, fire_at: toRfc3339(fireAt), duration: e.durationMs / 1000 });
        store.insertTimer(e.seq, id, fireAt);
        store.updateRun({ last_timer_seq: e.seq });
        break;
      }
      case "cancel_timer": {
        const t = store.timers().find((x) => x.seq === e.seq);
        if (!t) {
          store.append("timer_cancelled", now, { started_event_id: store.scheduledEventOf("timer_started", e.seq), seq: e.seq });
          break;
        }
        store.append("timer_cancelled", now, { started_event_id: t.started_event_id, seq: e.seq });
        store.deleteTimer(e.seq);
        break;
      }
      case "close":
        if (e.outcome === "continued_as_new") continueAsNew(store, now, e.input, e.executionTimeout, out);
        else closeRun(store, now, e.outcome === "completed" ? { outcome: "completed", result: e.result } : e.outcome === "failed" ? { outcome: "failed", failure: e.failure } : { outcome: "cancelled", details: e.details });
        break;
      case "record_step":
        store.append("step_recorded", now, { seq: e.seq, name: e.name, ...(e.failure ? { failure: e.failure } : { result: e.result ?? null }) });
        store.updateRun({ last_step_seq: e.seq });
        break;
      case "record_patch_marker":
        store.append("marker_recorded", now, { patch_id: e.patchId, deprecated: e.deprecated });
        break;
      case "start_child": {
        const childId = e.executionId ?? defaultChildExecutionId(run.execution_id, run.run_number, e.seq);
        store.append("child_workflow_initiated", now, { seq: e.seq, workflow: e.workflow, execution_id: childId, input: e.input ?? null, parent_close_policy: e.policy });
        store.putChild({ seq: e.seq, execution_id: childId, policy: e.policy, state: "initiated", parent_run: run.run_id });
        store.updateRun({ last_child_seq: e.seq });
        if (childId.length > MAX_ID_LENGTH) {
          // A default id nested this deep could not be addressed by any route: the child does not start.
          const message = `child execution id is ${childId.length} characters, more than ${MAX_ID_LENGTH}: give the child an execution_id`;
          recordChildStartFailed(store, now, e.seq, childId, { message, type: "ChildExecutionIdTooLong", non_retryable: true }, out);
          break;
        }
        if (e.startFailure) {
          // Its input was refused by its workflow's schema (see checkCommandInputs): it does not start.
          recordChildStartFailed(store, now, e.seq, childId, e.startFailure, out);
          break;
        }
        store.outbox.put(childEntryKey("start-child", run.run_id, e.seq), {
          namespace: run.namespace,
          execution_id: childId,
          workflow: e.workflow,
          input: e.input ?? null,
          task_queue: e.taskQueue ?? run.task_queue,
          execution_timeout: e.executionTimeout ?? null,
          parent: { execution_id: run.execution_id, seq: e.seq, run_id: run.run_id },
        }, now);
        break;
      }
    }
  }
  if (store.run()?.status === "running") {
    for (const id of accepted) {
      const u = store.update(id);
      // The same task continued as new: the update failed with the old run.
      if (u?.state !== "accepted") continue;
      store.append("update_accepted", now, { update_id: id, name: u.name, input: JSON.parse(u.input) });
      needTask = true;
    }
  }
  if (needTask) scheduleWorkflowTask(store, now, out);
}
