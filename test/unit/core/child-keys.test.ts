import { describe, expect, it } from "vitest";
import { childEntryKey, isChildOf, isParentsStop, parentStopReason, parseChildEntryKey } from "../../../src/core/execution/children.ts";

describe("child outbox keys and parent stops", () => {
  it("keys name the parent run; keys written before it are read with no run", () => {
    expect(childEntryKey("start-child", "run-a", 3)).toBe("start-child:run-a:3");
    expect(parseChildEntryKey("terminate-child:run-a:3")).toEqual({ kind: "terminate-child", parentRun: "run-a", seq: 3 });
    expect(parseChildEntryKey("cancel-child:7")).toEqual({ kind: "cancel-child", parentRun: null, seq: 7 });
    expect(parseChildEntryKey("index")).toBeNull();
    expect(parseChildEntryKey("callback")).toBeNull();
  });

  it("a stop is its parent's when the execution and (where both know it) the run match", () => {
    const parent = { execution_id: "p", seq: 1, run_id: "r1" };
    expect(isParentsStop(parent, { execution_id: "p", run_id: "r1" })).toBe(true);
    expect(isParentsStop(parent, { execution_id: "p", run_id: "r2" })).toBe(false);
    expect(isParentsStop(parent, { execution_id: "q", run_id: "r1" })).toBe(false);
    expect(isParentsStop({ execution_id: "p", seq: 1 }, { execution_id: "p", run_id: "r2" })).toBe(true);
    expect(isParentsStop(parent, { execution_id: "p", run_id: null })).toBe(true);
    expect(isParentsStop(undefined, { execution_id: "p", run_id: "r1" })).toBe(false);
  });

  it("an execution found under a child's id is the child only if this parent (and, where both know it, this run) started it", () => {
    expect(isChildOf({ parent_execution_id: "p", parent_run_id: "r1" }, "p", "r1")).toBe(true);
    expect(isChildOf({ parent_execution_id: "p", parent_run_id: "r1" }, "p", "r2")).toBe(false);
    expect(isChildOf({ parent_execution_id: "q", parent_run_id: "r1" }, "p", "r1")).toBe(false);
    expect(isChildOf({ parent_execution_id: null, parent_run_id: null }, "p", "r1")).toBe(false);
    expect(isChildOf({}, "p", null)).toBe(false);
    expect(isChildOf({ parent_execution_id: "p", parent_run_id: null }, "p", "r1")).toBe(true);
    expect(isChildOf({ parent_execution_id: "p", parent_run_id: "r1" }, "p", null)).toBe(true);
  });

  it("a parent close policy's stop says whether the parent closed or was reset", () => {
    expect(parentStopReason("terminate-child")).toBe("parent closed (parent close policy TERMINATE)");
    expect(parentStopReason("cancel-child", "closed")).toBe("parent closed (parent close policy REQUEST_CANCEL)");
    expect(parentStopReason("terminate-child", "reset")).toBe("parent reset (parent close policy TERMINATE)");
    expect(parentStopReason("cancel-child", "reset")).toBe("parent reset (parent close policy REQUEST_CANCEL)");
  });
});
