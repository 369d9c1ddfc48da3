import { describe, expect, it } from "vitest";
import { summarize, type CpuProfile } from "../../../bench/lib/cpu-profile.ts";

// root → handler (bundle.js line 10) → exec (native), and root → (idle); handler also recurses once.
const frame = (functionName: string, url = "", lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0 });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 4] },
    { id: 2, callFrame: frame("", "file:///b/bundle.js", 9), children: [3, 5], positionTicks: [{ line: 12, ticks: 3 }, { line: 11, ticks: 1 }] },
    { id: 3, callFrame: frame("exec"), children: [] },
    { id: 4, callFrame: frame("(idle)"), children: [] },
    { id: 5, callFrame: frame("", "file:///b/bundle.js", 9), children: [], positionTicks: [{ line: 11, ticks: 1 }] },
  ],
  // handler self 2 ms, exec 3 ms, idle 4 ms, the recursive handler 1 ms.
  samples: [2, 2, 3, 3, 3, 4, 4, 4, 4, 5],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  startTime: 0,
  endTime: 10_000,
};

describe("bench/lib/cpu-profile summarize", () => {
  const s = summarize(profile);
  const fn = (key: string) => s.functions.find((f) => f.key === key)!;

  it("totals the sampled time and what was idle", () => {
    expect(s.totalMs).toBe(10);
    expect(s.idleMs).toBe(4);
  });

  it("gives self and inclusive time per function, a recursive frame counted once, busiest self first", () => {
    expect(fn("exec")).toMatchObject({ selfMs: 3, inclusiveMs: 3 });
    expect(fn("(anonymous) bundle.js:10")).toMatchObject({ selfMs: 3, inclusiveMs: 6, line: 10 });
    expect(fn("(root)").inclusiveMs).toBe(10);
    expect(s.functions[0]!.key).toBe("(idle)");
    expect(s.functions.map((f) => f.selfMs)).toEqual([...s.functions.map((f) => f.selfMs)].sort((a, b) => b - a));
  });

  it("names the line most of a function's own samples fell on", () => {
    expect(fn("(anonymous) bundle.js:10").hotLine).toBe(12);
    expect(fn("exec").hotLine).toBeNull();
  });
});
