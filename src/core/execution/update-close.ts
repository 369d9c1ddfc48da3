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

/** The failure type the platform answers as a 409 `execution_closed` rather than a rejection. */
export const EXECUTION_CLOSED_FAILURE = "ExecutionClosed";

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
    out.fail.push({ updateId: u.update_id, failure: { message: `the execution ${how} before the update ${what}`, type: EXECUTION_CLOSED_FAILURE, non_retryable: true } });
  }
  return out;
}
