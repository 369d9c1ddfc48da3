import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { between, next } from "../../../src/core/fire-times.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// One search for the next fire asks each cron for its next fire once and reuses the answer while
// it is still ahead: a cron that matches no date (stored before the Vixie day-field rule, `0 0 30 2 */2`
// now ANDs to nothing) cost a 400-year search on every excluded candidate.
const ms = (s: string): number => Date.parse(s);
const DEAD = "0 0 30 2 */2";

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: ms("2025-12-01T00:00:00Z") });
}

describe("a search with several crons", () => {
  it.each(["UTC", "Europe/Berlin"])("a cron that never fires costs one search, not one per excluded candidate (%s)", (timezone) => {
    // 3,540 excluded seconds (minutes 0-58) before the first fire at minute 59.
    const exclude = ["* 0-58 * * * *"];
    const live = compile({ cron_expressions: ["* * * * * *"], exclude, timezone });
    const withDead = compile({ cron_expressions: [DEAD, "* * * * * *"], exclude, timezone });
    const from = ms("2026-01-01T00:00:00Z");
    next(live, from - 86_400_000); // warm up: the budget is what the live cron alone costs, 5 times over
    const t0 = performance.now();
    const want = next(live, from);
    const budget = 20 + 5 * (performance.now() - t0);
    const t1 = performance.now();
    const got = next(withDead, from);
    const took = performance.now() - t1;
    expect(got).toBe(want);
    expect(new Date(got!).getUTCMinutes()).toBe(59);
    // Before: ~3,500 searches of 400 years (over a second); now about what the live cron alone costs.
    expect(took).toBeLessThan(budget);
  });

  // Its reference computes each cron alone, the never-firing one's 400-year search included: ~4.6 s on a slow day, near the default 5 s.
  it("reusing a cron's answer gives the same fires as the union of each cron alone", { timeout: 60_000 }, () => {
    // New York across the spring-forward and fall-back of 2026, crons landing on each other's
    // minutes, and an exclusion that makes one search step over many candidates.
    const crons = ["*/7 * * * *", "*/3 * * * *", "30 2 * * *", "0 1 * * *", DEAD];
    const exclude = ["*/2 * * * *"];
    const timezone = "America/New_York";
    const spec = compile({ cron_expressions: crons, exclude, timezone });
    for (const [from, to] of [["2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z"], ["2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"]] as const) {
      const union = new Set<number>();
      for (const cron of crons) {
        for (const t of between(compile({ cron_expressions: [cron], exclude, timezone }), ms(from), ms(to))) union.add(t);
      }
      const got = between(spec, ms(from), ms(to));
      expect(got.length).toBeGreaterThan(300);
      expect(got).toEqual([...union].sort((a, b) => a - b));
    }
  });
});
