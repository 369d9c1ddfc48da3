import type { Failure } from "@sundial/sdk/protocol";
import { isNewsForRun, parseChildEntryKey } from "../core/execution/children.ts";
import { scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import type { ChildClosedNotice } from "./execution-outbox.ts";
import type { ChildRow, ExecutionStore } from "./execution-store.ts";

// Each of these runs after an await (an RPC to the child or from it): re-check that the child is
// still waiting for this news and that the parent run is still open, so a repeat changes nothing.

/** The child started: the parent's workflow learns it (and may now signal or await it). */
export function recordChildStarted(store: ExecutionStore, now: number, seq: number, executionId: string, runId: string, out: Dispatch[], parentRun: string | null = null): void {
  const c = store.child(seq);
  // The execution id and the parent run too: a start carried over from the previous run (continue-as-new) must not be recorded for this run's child `seq`.
  if (!c || c.state !== "initiated" || !isChild(c, executionId, parentRun) || store.run()?.status !== "running") return;
  store.append("child_workflow_started", now, { seq, execution_id: executionId, run_id: runId });
  store.putChild({ ...c, state: "started" });
  scheduleWorkflowTask(store, now, out);
}

/** Whether news of `executionId`, started by `parentRun` (null: not known), is about child row `c`. */
const isChild = (c: ChildRow, executionId: string, parentRun: string | null | undefined) => c.execution_id === executionId && isNewsForRun(c.parent_run, parentRun);

/**
 * A child of a parent run that has closed turned out never to have started, or to have closed: it
 * is closed in the parent's bookkeeping, and the stops its parent's close policy queued for it are
 * dropped (there is nothing to stop, and the id may be, or become, someone else's execution).
 */
function forgetChild(store: ExecutionStore, c: ChildRow): void {
  store.putChild({ ...c, state: "closed" });
  dropChildStops(store, c);
}

/**
 * Drops the cancel and terminate entries a parent close policy queued for child row `c` (those of
 * the parent run that started it, for its execution id) that have not gone out yet.
 */
export function dropChildStops(store: ExecutionStore, c: ChildRow): void {
  for (const e of store.outbox.entries()) {
    const entry = parseChildEntryKey(e.key);
    if (entry === null || entry.kind === "start-child" || entry.seq !== c.seq || !isNewsForRun(c.parent_run, entry.parentRun)) continue;
    if ((JSON.parse(e.payload) as { execution_id: string }).execution_id === c.execution_id) store.outbox.drop(e.key);
  }
}

/** The child could not start (its id belongs to another workflow). */
export function recordChildStartFailed(store: ExecutionStore, now: number, seq: number, executionId: string, failure: Failure, out: Dispatch[], parentRun: string | null = null): void {
  const c = store.child(seq);
  if (!c || c.state !== "initiated" || !isChild(c, executionId, parentRun)) return;
  if (store.run()?.status !== "running") return forgetChild(store, c);
  store.append("child_workflow_start_failed", now, { seq, execution_id: executionId, failure });
  store.putChild({ ...c, state: "closed" });
  scheduleWorkflowTask(store, now, out);
}

/** The child closed: its result or failure becomes a history event the parent awaits. */
export function recordChildClosed(store: ExecutionStore, now: number, notice: ChildClosedNotice, out: Dispatch[]): { recorded: boolean } {
  const c = store.child(notice.seq);
  if (!c || !isChild(c, notice.execution_id, notice.parent_run) || c.state === "closed") return { recorded: false };
  if (store.run()?.status !== "running") {
    forgetChild(store, c);
    return { recorded: false };
  }
  if (notice.status === "completed") {
    store.append("child_workflow_completed", now, { seq: notice.seq, execution_id: notice.execution_id, result: notice.result ?? null });
  } else {
    const failure = notice.failure ?? { message: `child ${notice.status}`, type: "ChildWorkflowFailure", non_retryable: true };
    store.append("child_workflow_failed", now, { seq: notice.seq, execution_id: notice.execution_id, status: notice.status, failure });
  }
  store.putChild({ ...c, state: "closed" });
  scheduleWorkflowTask(store, now, out);
  return { recorded: true };
}

/**
 * The child's id names an execution that is not this child: another parent's, or a client's,
 * running (`status`) or, found by a reset's lookup, closed. A child not started yet fails to start
 * (its id is taken). One the parent's books have as started (a reset's lookup of a kept child that
 * closed while the parent was closed, its id since used again) is gone: it closes with a failure
 * saying so, as otherwise the workflow would wait on it forever (or take the other execution's
 * outcome for its own), and its real outcome is not known.
 */
export function recordChildIdTaken(store: ExecutionStore, now: number, seq: number, executionId: string, owner: string, out: Dispatch[], parentRun: string | null = null, status = "running"): void {
  const c = store.child(seq);
  if (!c || !isChild(c, executionId, parentRun)) return;
  if (c.state === "initiated") {
    const message = status === "running" ? `execution ${executionId} is already running (started by ${owner}): give the child another execution_id` : `execution ${executionId} is another execution (${status}, started by ${owner}): give the child another execution_id`;
    return recordChildStartFailed(store, now, seq, executionId, { message, type: "ChildWorkflowStartFailed", non_retryable: true }, out, parentRun);
  }
  const message = `child execution ${executionId} ended unseen by its parent, and its id now belongs to another execution (${status}, started by ${owner}): the child's outcome is lost`;
  const failure: Failure = { message, type: "ChildExecutionIdReused", non_retryable: true };
  recordChildClosed(store, now, { seq, execution_id: executionId, status: "terminated", result: null, failure, parent_run: parentRun }, out);
}
