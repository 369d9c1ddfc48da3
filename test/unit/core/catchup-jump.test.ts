import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { pendingFires, planCatchup, startDeadline, tooOldThrough } from "../../../src/core/catchup.ts";
import { fires } from "../../../src/core/fire-times.ts";
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

describe("fires too old whatever their actual jitter", () => {
  // Jitter never reaches the following nominal time, so a fire whose following fire is already
  // older than the window start is too old, however large jitter_seconds is: an every-second cron
  // with a day of jitter has under a second of it, not a day's 86,400 fires to examine one by one.
  const now = ms("2026-06-01T12:00:00Z");
  const spec = compile({ cron: "* * * * * *", jitter_seconds: 86_400 });
  const plain = compile({ cron: "* * * * * *" });
  const input = { scheduleId: "s", lastProcessed: now - 2 * 86_400_000, now, windowSeconds: 60 };

  it("one plan: the fires inside the window start at once, not after ~9 alarms of walking", () => {
    const plan = planCatchup({ ...input, spec });
    expect(plan.more).toBe(false);
    expect(plan.skippedTooOld).toBe(10_000);
    expect(plan.skippedCapped).toBe(true);
    // Each fire's jitter is under the 1 s to its successor: those inside the window are due, the last maybe not yet.
    expect(plan.due.length).toBeGreaterThanOrEqual(60);
    for (const f of plan.due) {
      expect(f.actual - f.nominal).toBeLessThan(SEC);
      expect(now - f.actual).toBeLessThanOrEqual(60 * SEC);
    }
    expect(plan.due[0]!.nominal).toBeLessThanOrEqual(now - 59 * SEC);
  });

  it.each([60, 600, 3_600, 86_400])("skips and starts exactly the fires a one-by-one walk does (window %i s)", (windowSeconds) => {
    const sparse = compile({ cron: "*/10 * * * *", jitter_seconds: 86_400, exclude: ["* 3 * * *"] });
    const lastProcessed = now - 3 * 86_400_000 + 1_234;
    const plan = planCatchup({ spec: sparse, scheduleId: "o", lastProcessed, now, windowSeconds, batch: 1_000 });
    let skipped = 0;
    const due: number[] = [];
    for (const f of fires(sparse, "o", lastProcessed)) {
      if (f.actual > now) break;
      if (now > startDeadline(f.actual, windowSeconds)) skipped++;
      else due.push(f.nominal);
    }
    expect(plan.more).toBe(false);
    expect(plan.skippedTooOld).toBe(skipped);
    expect(plan.due.map((f) => f.nominal)).toEqual(due);
  });

  it("pendingFires (describe, the index) costs about what it does without jitter", () => {
    const pending = { ...input, status: "active" };
    pendingFires({ ...pending, spec: plain }, 3); // warm up
    const t0 = performance.now();
    const want = pendingFires({ ...pending, spec: plain }, 3);
    const budget = 30 + 10 * (performance.now() - t0);
    const t1 = performance.now();
    const got = pendingFires({ ...pending, spec }, 3);
    const took = performance.now() - t1;
    expect(got.map((f) => f.nominal)).toEqual([now - 60 * SEC, now - 59 * SEC, now - 58 * SEC]);
    expect(want.map((f) => f.nominal)).toEqual(got.map((f) => f.nominal));
    expect(took).toBeLessThan(budget);
  });
});

describe("finding the last fire at the window start", () => {
  it("asks only about fires up to the window start, not for the fire after it (which can be centuries of excluded candidates away)", () => {
    // One `at` fire before the window start, then none: every cron candidate is excluded, so the fire
    // after it is a 400-year search that finds nothing. The bisection asked for it on about half of
    // its ~30 steps (each a search of that length: seconds per describe); now it asks up to the window start.
    const base = compile({ cron: "0 0 * * *", exclude: ["0 0 * * *"], at: ["2026-01-11T20:00:00Z"], jitter_seconds: 604_800, timezone: "America/New_York" });
    let lookups = 0;
    const z = base.zone;
    const zone = { name: z.name, fixed: z.fixed, offsetAt: (t: number) => (lookups++, z.offsetAt(t)), resolve: (n: number) => z.resolve(n), changeIn: (lo: number, hi: number) => z.changeIn(lo, hi) };
    const spec: CompiledSpec = { ...base, zone };
    const now = ms("2026-01-12T00:00:00Z");
    expect(tooOldThrough(spec, now, 3_600)).toBe(ms("2026-01-11T20:00:00Z") - 1);
    // ~30 short searches (under 200 offset look-ups); asking for the fire after it cost ~370,000 (3 s).
    expect(lookups).toBeLessThan(5_000);
  });
});
