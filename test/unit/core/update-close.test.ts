import { describe, expect, it } from "vitest";
import { executionClosedFailure, isExecutionClosedFailure, updatesAtRunEnd, type OpenUpdate, type RunEnd } from "../../../src/core/execution/update-close.ts";

const open: OpenUpdate[] = [
  { update_id: "r1", state: "requested" },
  { update_id: "a1", state: "accepted" },
  { update_id: "r2", state: "requested" },
];
const closed = (message: string) => ({ message, type: "ExecutionClosed", non_retryable: true, details: { sundial_execution_closed: true } });

describe("updatesAtRunEnd: what becomes of a run's open updates when it ends", () => {
  it("continue-as-new offers the updates never accepted to the next run, in order, and fails the accepted ones", () => {
    expect(updatesAtRunEnd(open, "continued_as_new")).toEqual({
      carry: ["r1", "r2"],
      fail: [{ updateId: "a1", failure: closed("the execution continued as new before the update completed") }],
    });
  });

  it.each<[RunEnd]>([["completed"], ["failed"], ["cancelled"], ["timed_out"], ["terminated"]])("a run %s for good fails every open update, saying whether it was accepted", (end) => {
    expect(updatesAtRunEnd(open, end)).toEqual({
      carry: [],
      fail: [
        { updateId: "r1", failure: closed(`the execution ${end} before the update was accepted`) },
        { updateId: "a1", failure: closed(`the execution ${end} before the update completed`) },
        { updateId: "r2", failure: closed(`the execution ${end} before the update was accepted`) },
      ],
    });
  });

  it("no open update: nothing to do", () => {
    expect(updatesAtRunEnd([], "continued_as_new")).toEqual({ carry: [], fail: [] });
  });
});

describe("isExecutionClosedFailure: the platform's failure, never a workflow's error of that name", () => {
  it("is the platform's, marked in details (extra details kept)", () => {
    expect(isExecutionClosedFailure(executionClosedFailure("the execution terminated before the update completed"))).toBe(true);
    const excluded = executionClosedFailure("the execution was reset to before the update and the reset excluded updates", { excluded_by_reset: true });
    expect(excluded.details).toEqual({ excluded_by_reset: true, sundial_execution_closed: true });
    expect(isExecutionClosedFailure(excluded)).toBe(true);
  });

  it("is not a workflow's own ExecutionClosed error, whatever its message", () => {
    expect(isExecutionClosedFailure({ message: "the order book is closed", type: "ExecutionClosed", non_retryable: true })).toBe(false);
    expect(isExecutionClosedFailure({ message: "closed", type: "ExecutionClosed", non_retryable: false, details: { sundial_execution_closed: "yes" } })).toBe(false);
    expect(isExecutionClosedFailure({ message: "the execution completed before the update completed", type: "Error", non_retryable: true })).toBe(false);
    expect(isExecutionClosedFailure(null)).toBe(false);
  });

  it("reads rows written before the mark by the platform's wording", () => {
    expect(isExecutionClosedFailure({ message: "the execution continued as new before the update completed", type: "ExecutionClosed", non_retryable: true })).toBe(true);
    expect(isExecutionClosedFailure({ message: "the execution was reset to before the update and the reset excluded updates", type: "ExecutionClosed", non_retryable: true, details: { excluded_by_reset: true } })).toBe(true);
  });
});
