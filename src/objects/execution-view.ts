import { toRfc3339, truncatedFailure, type Execution, type Failure, type HistoryPage, type SchedulePayload } from "@sundial/sdk/protocol";
import { ConflictError } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import type { ExecutionIndexWrite } from "../index/executions.ts";
import { parseJson, type CloseCallback, type ExecutionStore, type RunRow } from "./execution-store.ts";

/** An execution as the API shows it. */
export function describeRun(store: ExecutionStore, run: RunRow): Execution {
  // Last failures are shown whole while they fit the budget, then cut (read without loading them).
  let budget = LIMITS.describeFailureBytes;
  const lastFailure = (seq: number, bytes: number | null): Failure | null => {
    if (bytes === null) return null;
    if (bytes <= budget) {
      budget -= bytes;
      return store.lastFailure(seq, false);
    }
    const cut = store.lastFailure(seq, true);
    return cut === null ? null : truncatedFailure(cut, bytes);
  };
  const parent = parseJson<CloseCallback>(run.callback)?.parent;
  return {
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    status: run.status,
    task_queue: run.task_queue,
    input: JSON.parse(run.input),
    ...(run.result !== null ? { result: JSON.parse(run.result) } : {}),
    failure: parseJson<Failure>(run.failure),
    started_at: toRfc3339(run.started_at),
    closed_at: run.closed_at === null ? null : toRfc3339(run.closed_at),
    execution_timeout: run.execution_timeout,
    history_length: store.eventCount(),
    history_size_bytes: store.historyBytes(),
    cancel_requested: run.cancel_requested === 1,
    pending_activities: store.activities().map((a) => ({
      seq: a.seq,
      activity_type: a.activity_type,
      state: a.cancel_requested === 1 ? "cancel_requested" : a.state,
      attempt: a.attempt,
      last_failure: lastFailure(a.seq, a.last_failure_bytes),
      last_heartbeat_at: a.last_heartbeat_at === null ? null : toRfc3339(a.last_heartbeat_at),
      next_attempt_at: a.next_attempt_at === null ? null : toRfc3339(a.next_attempt_at),
    })),
    schedule: parseJson<SchedulePayload>(run.schedule),
    run_number: run.run_number,
    previous_run_id: run.previous_run_id,
    parent_execution_id: parent?.execution_id ?? null,
    parent_run_id: parent?.run_id ?? null,
  };
}

/** The D1 index row of a run, with its place in the execution's life (which write is newer, see upsertExecution). */
export function indexRow(run: RunRow): ExecutionIndexWrite {
  const schedule = parseJson<SchedulePayload>(run.schedule);
  return {
    namespace: run.namespace,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    status: run.status,
    task_queue: run.task_queue,
    schedule_id: schedule?.schedule_id ?? null,
    started_at: run.started_at,
    closed_at: run.closed_at,
    run_number: run.run_number,
    previous_run_id: run.previous_run_id,
  };
}

/**
 * A page of `run`'s history after `afterId` (and before `beforeId`): at most `limit` events and
 * LIMITS.historyPageBytes. A client's page token names the run it pages through (`pageRunId`):
 * after a continue-as-new or a reset the next page would join another run's events to it, a 409.
 * A worker's task history (`beforeId` given) pages by event ids alone.
 */
export function historyPage(store: ExecutionStore, run: RunRow, afterId: number, limit: number, beforeId?: number, pageRunId?: string): HistoryPage {
  if (pageRunId !== undefined && pageRunId !== run.run_id) {
    throw new ConflictError("the execution has a new run since this page token was issued (continue-as-new or reset): read its history again from the start", "history_changed", { field: "page_token" });
  }
  const { events, more } = store.eventsPage(afterId, limit, LIMITS.historyPageBytes, beforeId);
  const last = events[events.length - 1]!;
  return { events, next_page_token: !more ? null : beforeId === undefined ? `${last.id}.${run.run_id}` : String(last.id) };
}
