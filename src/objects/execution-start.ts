import { ConflictError } from "../core/errors.ts";
import { queueCloseNotice, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import type { StartArgs } from "./execution-types.ts";
import type { ExecutionStore, RunRow, RunStatus } from "./execution-store.ts";
import { SKIPPED_CATCHUP } from "../core/schedule/machine.ts";
import { indexRow } from "./execution-view.ts";

const FAILED_STATUSES: RunStatus[] = ["failed", "timed_out", "cancelled", "terminated"];

/**
 * Starts a run, or applies the id-reuse policy when the execution exists: `use_existing` returns
 * it, `reject_duplicate` is a 409, the `allow_duplicate*` policies start a new run once the old
 * one closed (failed-only for the second). Synchronous: one atomic write.
 */
export function startRun(store: ExecutionStore, args: StartArgs, now: number, dispatches: Dispatch[]): { started: boolean } {
  const existing = store.run();
  if (existing) {
    const closed = existing.status !== "running";
    const policy = args.id_reuse_policy;
    const reusable = policy === "allow_duplicate" ? closed : policy === "allow_duplicate_failed_only" ? FAILED_STATUSES.includes(existing.status) : false;
    if (!reusable) {
      if (policy === "use_existing" && existing.workflow === args.workflow) return { started: false };
      throw new ConflictError(`execution ${args.execution_id} already exists (${existing.workflow}, ${existing.status})`, "execution_exists", { field: "execution_id" });
    }
    store.resetForNewRun();
  }
  beginRun(store, args, now, dispatches, { run_number: 1, previous_run_id: null });
  return { started: true };
}

/** A prepared run nothing has happened to yet (no signal, cancel or update): its first workflow task is all it has. */
function untouchedPrepared(store: ExecutionStore, run: RunRow): boolean {
  return run.status === "running" && run.schedule !== null && run.wt_state === "scheduled" && run.wt_attempt === 1 && store.eventCount() === 2 && store.updatesIn("requested").length === 0;
}

/** Forgets the run: it never existed (its index row is removed too). */
function forgetRun(store: ExecutionStore, run: RunRow, now: number): void {
  const row = indexRow(run);
  store.deleteRun();
  store.outbox.put("index", { ...row, deleted: true }, now);
}

/**
 * Withdraws a run its schedule prepared ahead of the fire time (`start_at`), if that time has not
 * come: the execution then never existed (its index row is removed). Once its start time has
 * passed, or anything happened to it (a signal, a cancel), the run has begun, and it stays; the
 * schedule adopts it. So this also settles the catch-up window, once, if no lease has: a withdraw
 * that arrives more than the window after the fire (it was queued before the fire, delivered after
 * an outage) finds the run late and forgets it as withdrawn (the schedule's own planning handles
 * that fire), and one in time clears `start_by`, so no later lease can skip a run the schedule adopted.
 */
export function discardPreparedRun(store: ExecutionStore, now: number): { discarded: boolean } {
  const run = store.run();
  if (!run) return { discarded: true };
  const untouched = untouchedPrepared(store, run);
  if ((now < run.started_at || (run.start_by !== null && now > run.start_by)) && untouched) {
    forgetRun(store, run, now);
    return { discarded: true };
  }
  if (run.start_by !== null) store.updateRun({ start_by: null });
  return { discarded: false };
}

/**
 * The catch-up window for a prepared run, decided once, when its first workflow task is leased.
 * `availableAt` is when the task queue made that task available to workers: at the fire time as a
 * rule, later when the platform was down (or its start was delivered late). In time (by `start_by`),
 * or once anything else happened to the run, it has begun: the deadline is cleared and the lease
 * goes ahead. Later, the fire was more than the window late: as the schedule skips such a fire
 * when it plans it, the run is forgotten (as a withdrawn one is) and the schedule is told, so it
 * counts the fire in `skipped_catchup` instead of `fired` (core `runClosed`). Returns true then:
 * the queue entry `ref` (the scheduled event id it points to) is stale.
 */
export function settlePreparedStart(store: ExecutionStore, ref: number, availableAt: number, now: number): boolean {
  const run = store.run();
  if (!run || run.start_by === null || run.wt_scheduled_event_id !== ref) return false;
  if (availableAt <= run.start_by || !untouchedPrepared(store, run)) {
    store.updateRun({ start_by: null });
    return false;
  }
  forgetRun(store, run, now);
  queueCloseNotice(store, run, SKIPPED_CATCHUP, now);
  return true;
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
