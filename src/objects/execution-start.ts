import { isSameChild } from "../core/execution/children.ts";
import { ConflictError } from "../core/errors.ts";
import { SIGNAL_MARK_PREFIX } from "../core/execution/signal-marks.ts";
import { LIMITS } from "../core/limits.ts";
import { scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import type { StartArgs } from "./execution-types.ts";
import { parseJson, type CloseCallback, type ExecutionStore, type RunRow, type RunStatus } from "./execution-store.ts";
import { indexRow } from "./execution-view.ts";

const FAILED_STATUSES: RunStatus[] = ["failed", "timed_out", "cancelled", "terminated"];

/**
 * Starts a run, or applies the id-reuse policy when the execution exists: `use_existing` returns
 * it, `reject_duplicate` is a 409, the `allow_duplicate*` policies start a new run once the old
 * one closed (failed-only for the second). Synchronous: one atomic write.
 */
export function startRun(store: ExecutionStore, args: StartArgs, now: number, dispatches: Dispatch[]): { started: boolean } {
  const existing = store.run();
  let signalMarks: { task_key: string; at: number }[] = [];
  if (existing) {
    const closed = existing.status !== "running";
    const policy = args.id_reuse_policy;
    const reusable = policy === "allow_duplicate" ? closed : policy === "allow_duplicate_failed_only" ? FAILED_STATUSES.includes(existing.status) : false;
    if (!reusable) {
      if (policy === "use_existing" && existing.workflow === args.workflow) {
        refuseOtherChild(existing, args);
        return { started: false };
      }
      throw new ConflictError(`execution ${args.execution_id} already exists (${existing.workflow}, ${existing.status})`, "execution_exists", { field: "execution_id" });
    }
    // The signal request ids the execution has seen outlive the run, as continue-as-new hands them
    // on: a signal sent again (its answer lost) is not delivered a second time, to the new run.
    signalMarks = store.marksWithPrefix(SIGNAL_MARK_PREFIX, LIMITS.signalRequestIdsKept);
    store.resetForNewRun();
  }
  // A new execution under a closed id numbers on from its last run (and continues nothing, so no
  // previous_run_id): run numbers never repeat under one id, nor do the default child ids made of
  // them, so this run never finds a child of an earlier one as its own.
  beginRun(store, args, now, dispatches, { run_number: existing ? existing.run_number + 1 : 1, previous_run_id: null });
  for (const m of signalMarks) store.markCompleted(m.task_key, m.at);
  return { started: true };
}

/**
 * A parent's child start finding its id running as the same parent's child of another seq or of
 * an earlier run: that is another child, and this start fails (409, which the parent records as
 * ChildWorkflowStartFailed) instead of attaching to it. A start delivered again finds its own child.
 */
function refuseOtherChild(existing: RunRow, args: StartArgs): void {
  const starting = args.callback?.parent;
  const theirs = parseJson<CloseCallback>(existing.callback)?.parent;
  if (existing.status !== "running" || !starting || !theirs || theirs.execution_id !== starting.execution_id || isSameChild(theirs, starting)) return;
  const run = theirs.run_id ? ` (parent run ${theirs.run_id})` : "";
  throw new ConflictError(`workflow already started: execution ${args.execution_id} is running as child ${theirs.seq} of ${theirs.execution_id}${run}; give this child another execution_id`, "execution_exists", { field: "execution_id" });
}

/** Writes a fresh run (the first, or the next after continue-as-new) and schedules its first task. */
export function beginRun(store: ExecutionStore, args: StartArgs, now: number, dispatches: Dispatch[], lineage: { run_number: number; previous_run_id: string | null }): void {
  const run: RunRow = {
    namespace: args.namespace,
    execution_id: args.execution_id,
    run_id: crypto.randomUUID(),
    workflow: args.workflow,
    task_queue: args.task_queue,
    input: JSON.stringify(args.input ?? null),
    status: "running",
    result: null,
    failure: null,
    // A scheduled run prepared ahead of its fire time starts then: its first task, and its timeout, count from start_at.
    started_at: Math.max(now, args.start_at ?? now),
    closed_at: null,
    execution_timeout: args.execution_timeout,
    deadline: Math.max(now, args.start_at ?? now) + args.execution_timeout * 1000,
    cancel_requested: 0,
    schedule: args.schedule ? JSON.stringify(args.schedule) : null,
    callback: args.callback ? JSON.stringify(args.callback) : null,
    last_activity_seq: 0,
    last_timer_seq: 0,
    wt_state: "none",
    wt_scheduled_event_id: 0,
    wt_attempt: 0,
    wt_started_at: null,
    wt_dispatched_at: null,
    wt_retry_at: null,
    wt_needed: 0,
    wt_acked: 1,
    run_number: lineage.run_number,
    previous_run_id: lineage.previous_run_id,
    last_child_seq: 0,
    last_step_seq: 0,
    start_by: args.start_at !== undefined && args.start_by !== undefined ? args.start_by : null,
  };
  store.insertRun(run);
  store.append("execution_started", now, {
    execution_id: args.execution_id,
    workflow: args.workflow,
    input: args.input ?? null,
    task_queue: args.task_queue,
    execution_timeout: args.execution_timeout,
    run_id: run.run_id,
    attempt: 1,
    schedule: args.schedule,
    ...(lineage.previous_run_id ? { continued_from_run_id: lineage.previous_run_id } : {}),
    ...(args.callback?.parent ? { parent_execution_id: args.callback.parent.execution_id } : {}),
  });
  scheduleWorkflowTask(store, now, dispatches);
  store.outbox.put("index", indexRow(store.run()!), now);
}
