import type { ActivityState } from "../core/execution/activity.ts";
import type { ResolvedActivityOptions } from "../core/execution/commands.ts";

// The ExecutionObject's stored rows as TypeScript sees them, and the helpers that build or read them.

export interface ChildRow {
  seq: number;
  execution_id: string;
  policy: "ABANDON" | "REQUEST_CANCEL" | "TERMINATE";
  state: "initiated" | "started" | "closed";
  /** The parent run that started the child (null in rows written before it was recorded). */
  parent_run: string | null;
}

/**
 * `carried`: completed in an earlier run of the execution, or failed with ExecutionClosed as one
 * ended, and kept by continue-as-new (result or failure only, no input), so a retried update_id
 * gets its outcome (or the 409 again) instead of running again; it is not one of this run's
 * updates (not counted, never offered to the workflow).
 */
export type UpdateState = "requested" | "accepted" | "completed" | "rejected" | "carried";

export interface UpdateRow {
  update_id: string;
  name: string;
  input: string;
  state: UpdateState;
  result: string | null;
  failure: string | null;
  created_at: number;
}

export type RunStatus = "running" | "completed" | "failed" | "timed_out" | "cancelled" | "terminated";
export type WorkflowTaskState = "none" | "scheduled" | "started" | "backoff";

/** Where to report the close of a run started by a schedule. */
export interface CloseCallback {
  /** The schedule that started this run. */
  schedule_id?: string;
  /** The parent workflow that started this run as its child `seq`. */
  parent?: { execution_id: string; seq: number; run_id?: string };
}

export interface RunRow {
  namespace: string;
  execution_id: string;
  run_id: string;
  workflow: string;
  task_queue: string;
  input: string;
  status: RunStatus;
  result: string | null;
  failure: string | null;
  started_at: number;
  closed_at: number | null;
  execution_timeout: number;
  deadline: number;
  cancel_requested: number;
  schedule: string | null;
  callback: string | null;
  last_activity_seq: number;
  last_timer_seq: number;
  wt_state: WorkflowTaskState;
  wt_scheduled_event_id: number;
  wt_attempt: number;
  wt_started_at: number | null;
  wt_dispatched_at: number | null;
  wt_retry_at: number | null;
  wt_needed: number;
  /** 0 while a leased workflow task has not been acknowledged by the worker that received it. */
  wt_acked: number;
  run_number: number;
  previous_run_id: string | null;
  last_child_seq: number;
  last_step_seq: number;
  /**
   * A prepared scheduled run: the last instant its first workflow task may become available to
   * workers (fire + catch-up window). Cleared when its first lease finds it in time; a run first
   * available later is skipped instead (execution-prepared.ts).
   */
  start_by: number | null;
}

export interface ActivityRow {
  seq: number;
  scheduled_event_id: number;
  activity_type: string;
  input: string;
  options: string;
  state: ActivityState["state"];
  attempt: number;
  scheduled_at: number;
  started_at: number | null;
  last_heartbeat_at: number | null;
  heartbeat_details: string | null;
  next_attempt_at: number | null;
  last_failure: string | null;
  dispatched_at: number | null;
  cancel_requested: number;
  identity: string | null;
  /** 0 while the current lease has not been acknowledged (no ack, heartbeat or result yet). */
  acked: number;
  /** Incremented on every lease; task tokens carry it, so a lost lease's token goes stale. */
  lease: number;
}

/** A freshly scheduled activity: attempt 1, queued now. */
export function newActivityRow(seq: number, scheduledEventId: number, activityType: string, input: unknown, options: unknown, now: number): ActivityRow {
  return {
    seq,
    scheduled_event_id: scheduledEventId,
    activity_type: activityType,
    input: JSON.stringify(input ?? null),
    options: JSON.stringify(options),
    state: "scheduled",
    attempt: 1,
    scheduled_at: now,
    started_at: null,
    last_heartbeat_at: null,
    heartbeat_details: null,
    next_attempt_at: null,
    last_failure: null,
    dispatched_at: now,
    cancel_requested: 0,
    identity: null,
    acked: 1,
    lease: 0,
  };
}

/** An activity row without its payloads, and the size of its last failure: what {@link ExecutionStore.activities} lists. */
export type ActivitySummary = Omit<ActivityRow, "input" | "heartbeat_details" | "last_failure"> & {
  /** UTF-8 bytes of the last failure (null: none), read without loading it. */
  last_failure_bytes: number | null;
};

export const SUMMARY_COLUMNS =
  "seq, scheduled_event_id, activity_type, options, state, attempt, scheduled_at, started_at, last_heartbeat_at, next_attempt_at, " +
  "dispatched_at, cancel_requested, identity, acked, lease, octet_length(last_failure) AS last_failure_bytes";

export function activityState(row: Omit<ActivityRow, "input" | "heartbeat_details" | "last_failure">): ActivityState {
  return {
    seq: row.seq,
    state: row.state,
    attempt: row.attempt,
    options: JSON.parse(row.options) as ResolvedActivityOptions,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    nextAttemptAt: row.next_attempt_at,
    dispatchedAt: row.dispatched_at,
    acked: row.acked === 1,
  };
}

