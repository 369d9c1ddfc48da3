import { describe, expect, it } from "vitest";
import { childEntryKey, isParentsStop, parseChildEntryKey } from "../../../src/core/execution/children.ts";

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
});
