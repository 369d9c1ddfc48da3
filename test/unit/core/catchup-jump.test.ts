import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { planCatchup } from "../../../src/core/catchup.ts";
import { LIMITS } from "../../../src/core/limits.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// After a very long outage the planner jumps over the fires too old for the catch-up window
// instead of walking them, and counts them up to LIMITS.catchupSkipCountCap (then "N+").
const ms = (s: string): number => Date.parse(s);
const SEC = 1_000;
const MIN = 60_000;

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: ms("2020-01-01T00:00:00Z") });
}

describe("planCatchup after a very long outage", () => {
  const now = ms("2026-06-01T12:00:00Z");

  it("a year of an every-second schedule: one plan skips past it (count capped) and starts the fires inside the window", () => {
    const spec = compile({ cron: "* * * * * *" });
    const started = performance.now();
    const plan = planCatchup({ spec, scheduleId: "s", lastProcessed: now - 365 * 86_400_000, now, windowSeconds: 60, batch: 100 });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(LIMITS.catchupSkipCountCap).toBe(10_000);
    expect(plan.skippedTooOld).toBe(10_000);
    expect(plan.skippedCapped).toBe(true);
    expect(plan.due).toHaveLength(61);
    expect(plan.due[0]!.nominal).toBe(now - 60 * SEC);
    expect(plan.due.at(-1)!.nominal).toBe(now);
    expect(plan).toMatchObject({ cursor: now, more: false, nextFire: { nominal: now + SEC, actual: now + SEC } });
  });

  it.each<[string, number, number, boolean]>([
    // every minute, window 60 s: the fires at -1 min and now are due; older ones are skipped.
    ["below the cap", 5_002, 5_000, false],
    ["exactly the cap", 10_002, 10_000, false],
    ["one past the cap", 10_003, 10_000, true],
    ["far past the cap", 200_000, 10_000, true],
  ])("%s: counted exactly up to the cap, then a minimum", (_name, minutesBack, skipped, capped) => {
    const spec = compile({ cron: "* * * * *" });
    const plan = planCatchup({ spec, scheduleId: "s", lastProcessed: now - minutesBack * MIN, now, windowSeconds: 60 });
    expect(plan.skippedTooOld).toBe(skipped);
    expect(plan.skippedCapped === true).toBe(capped);
    expect(plan.due.map((f) => f.nominal)).toEqual([now - MIN, now]);
    expect(plan.more).toBe(false);
  });

  it("the jump never passes a fire a jitter could keep inside the window", () => {
    const spec = compile({ cron: "0 * * * *", jitter_seconds: 3_000 });
    const plan = planCatchup({ spec, scheduleId: "jit", lastProcessed: now - 400 * 86_400_000, now, windowSeconds: 600 });
    expect(plan.skippedCapped).toBeUndefined();
    expect(plan.skippedTooOld).toBeGreaterThan(9_000);
    // Whatever was due is inside the window by its actual time.
    for (const f of plan.due) expect(now - f.actual).toBeLessThanOrEqual(600 * SEC);
  });
});
