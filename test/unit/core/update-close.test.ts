import { describe, expect, it } from "vitest";
import { updatesAtRunEnd, type OpenUpdate, type RunEnd } from "../../../src/core/execution/update-close.ts";

const open: OpenUpdate[] = [
  { update_id: "r1", state: "requested" },
  { update_id: "a1", state: "accepted" },
  { update_id: "r2", state: "requested" },
];
const closed = (message: string) => ({ message, type: "ExecutionClosed", non_retryable: true });

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
