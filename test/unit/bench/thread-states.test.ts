import { describe, expect, it } from "vitest";
import { statState, threadStateShares } from "../../../bench/lib/thread-states.ts";

describe("thread states (bench/lib/thread-states.ts)", () => {
  it("reads the state after the command, whatever the command holds", () => {
    expect(statState("1234 (workerd) R 1 1234 1234 0 -1 4194560")).toBe("R");
    expect(statState("1234 (a (b) c) D 1 1234")).toBe("D");
    expect(statState("77 (node) S 1 77")).toBe("S");
  });

  it("gives shares of running, disk wait, idle (S and I) and the rest", () => {
    expect(threadStateShares({ R: 74, D: 22, S: 3, I: 1 })).toEqual({ samples: 100, running: 0.74, diskWait: 0.22, idle: 0.04, other: 0 });
    const t = threadStateShares({ R: 1, Z: 1 });
    expect([t.running, t.other]).toEqual([0.5, 0.5]);
    expect(threadStateShares({})).toEqual({ samples: 0, running: 0, diskWait: 0, idle: 0, other: 0 });
  });
});
