import type { Failure } from "@sundial/sdk/protocol";

/** An update still open when its run ends: offered to the workflow (`requested`) or running its handler (`accepted`). */
export interface OpenUpdate {
  update_id: string;
  state: "requested" | "accepted";
}

/** How a run ends, as far as its open updates care. */
export type RunEnd = "completed" | "failed" | "cancelled" | "timed_out" | "terminated" | "continued_as_new";

/** What becomes of a run's open updates when it ends. */
export interface UpdatesAtRunEnd {
  /** Offered to the next run (continue-as-new only), in the order given. */
  carry: string[];
  /** Failed for their callers (409 `execution_closed`), with this failure. */
  fail: { updateId: string; failure: Failure }[];
}

/** The failure type the platform gives an update its run ended without answering (a 409 `execution_closed`). */
export const EXECUTION_CLOSED_FAILURE = "ExecutionClosed";

/**
 * The `details` flag that tells the platform's ExecutionClosed failures from a workflow's own error
 * of that name (a worker reports failures by error class name, and "ExecutionClosed" is a fair name
 * in an order-execution domain): only the platform sets it, and only those answer 409.
 */
export const EXECUTION_CLOSED_MARK = "sundial_execution_closed";

/** The platform's failure for an update its run ended without answering. */
export function executionClosedFailure(message: string, details: Record<string, unknown> = {}): Failure {
  return { message, type: EXECUTION_CLOSED_FAILURE, non_retryable: true, details: { ...details, [EXECUTION_CLOSED_MARK]: true } };
}

/**
 * Whether the platform failed this update as its run ended (answered 409), as opposed to the
 * workflow failing or rejecting it. Rows written before {@link EXECUTION_CLOSED_MARK} carry the
 * platform's own wording instead ({@link LEGACY_EXECUTION_CLOSED_GLOB}).
 */
export function isExecutionClosedFailure(f: Failure | null | undefined): f is Failure {
  if (f?.type !== EXECUTION_CLOSED_FAILURE) return false;
  const details = f.details as Record<string, unknown> | undefined;
  if (details !== null && typeof details === "object" && details[EXECUTION_CLOSED_MARK] === true) return true;
  return LEGACY_EXECUTION_CLOSED.test(f.message);
}

/** The messages the platform wrote before the mark (update-close and reset), as a regular expression and as a SQL GLOB. */
const LEGACY_EXECUTION_CLOSED = /^the execution .* before the update/;
export const LEGACY_EXECUTION_CLOSED_GLOB = "the execution * before the update*";

/**
 * Temporal's rules for the updates a run leaves open. An accepted update's handler ran in this run:
 * it fails, whatever the end (a next run must not run it again). An update the workflow never
 * accepted is offered to the next run after a continue-as-new, which may accept it, and fails when
 * the run ends for good. Callers must never wait for an update no run will answer.
 * @example
 * updatesAtRunEnd([{ update_id: "a", state: "requested" }, { update_id: "b", state: "accepted" }], "continued_as_new")
 * // { carry: ["a"], fail: [{ updateId: "b", failure: { message: "the execution continued as new before the update completed", … } }] }
 */
export function updatesAtRunEnd(open: readonly OpenUpdate[], end: RunEnd): UpdatesAtRunEnd {
  const how = end === "continued_as_new" ? "continued as new" : end;
  const out: UpdatesAtRunEnd = { carry: [], fail: [] };
  for (const u of open) {
    if (u.state === "requested" && end === "continued_as_new") {
      out.carry.push(u.update_id);
      continue;
    }
    const what = u.state === "accepted" ? "completed" : "was accepted";
    out.fail.push({ updateId: u.update_id, failure: executionClosedFailure(`the execution ${how} before the update ${what}`) });
  }
  return out;
}
