import { isParentsStop, type StopFrom } from "../core/execution/children.ts";
import { ConflictError } from "../core/errors.ts";
import { closeRun, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import { parseJson, type CloseCallback, type ExecutionStore, type RunRow } from "./execution-store.ts";

/**
 * A stop sent by a parent's close policy names the parent run that started the child (`from`): an
 * execution that is not that run's child (its id was reused, by a client or another parent, or by
 * a later run of the same parent) refuses it, so a stale parent cannot stop someone else's run.
 */
function checkStopFrom(run: RunRow, from: StopFrom | undefined): void {
  if (from === undefined) return;
  if (isParentsStop(parseJson<CloseCallback>(run.callback)?.parent, from)) return;
  const sender = `${from.execution_id}${from.run_id ? ` (run ${from.run_id})` : ""}`;
  throw new ConflictError(`execution ${run.execution_id} (run ${run.run_id}) is not a child of ${sender}: its parent close policy does not apply`, "not_parent", { field: "from" });
}

/**
 * Requests cancellation: recorded in history and delivered to the workflow, which decides how to
 * end. Asked again while the request is pending, or once the run has closed as cancelled (a retry
 * of the request that ended it), it changes nothing and succeeds. A run that closed otherwise
 * cannot be cancelled (as Temporal's RequestCancelWorkflowExecution on a closed run is an error):
 * 409 `execution_closed` (the schedule's CANCEL_OTHER and a parent's close policy ignore it).
 */
export function requestCancel(store: ExecutionStore, run: RunRow, now: number, reason: string, from: StopFrom | undefined, out: Dispatch[]): void {
  checkStopFrom(run, from);
  if (run.status !== "running" && run.status !== "cancelled") {
    throw closedConflict("cancel", run);
  }
  if (run.status !== "running" || run.cancel_requested !== 0) return;
  store.append("execution_cancel_requested", now, { reason });
  store.updateRun({ cancel_requested: 1 });
  scheduleWorkflowTask(store, now, out);
}

/**
 * Ends the run at once; the workflow gets no say. Sent again once the run has closed as terminated
 * (a retry of the request that ended it), it changes nothing and succeeds; a run that closed
 * otherwise is a 409 `execution_closed`, as for a cancel (the schedule's TERMINATE_OTHER and a
 * parent's close policy ignore it).
 */
export function terminateRun(store: ExecutionStore, run: RunRow, now: number, reason: string, from: StopFrom | undefined): void {
  checkStopFrom(run, from);
  if (run.status === "running") return closeRun(store, now, { outcome: "terminated", reason });
  if (run.status !== "terminated") throw closedConflict("terminate", run);
}

const closedConflict = (what: string, run: RunRow) =>
  new ConflictError(`cannot ${what} execution ${run.execution_id}: it has already closed (${run.status})`, "execution_closed", { field: "execution_id" });
