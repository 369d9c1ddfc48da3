import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { cursorAt, pendingFires, planCatchup } from "../../../src/core/catchup.ts";
import { upcoming } from "../../../src/core/fire-times.ts";
import { jitterOffset } from "../../../src/core/jitter.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// pendingFires is what describe's next_fire_times and the D1 index's next_fire_at both show: the
// fires the planner (planCatchup) acts on next, so the list and describe never disagree with it.
const ms = (s: string): number => Date.parse(s);
const MIN = 60_000;
const HOUR = 3_600_000;

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: ms("2020-01-01T00:00:00Z") });
}

/** The first fire planCatchup acts on: its first due fire, else the one it arms the alarm for. */
function plannedFirst(spec: CompiledSpec, scheduleId: string, lastProcessed: number, now: number, windowSeconds?: number) {
  const plan = planCatchup({ spec, scheduleId, lastProcessed, now, windowSeconds, batch: 1, scanLimit: 1_000_000 });
  return plan.due[0] ?? plan.nextFire;
}

describe("pendingFires", () => {
  const now = ms("2026-01-01T10:30:00Z");

  it("with catch-up pending, the oldest fire inside the window comes first (not the first fire after now)", () => {
    const spec = compile({ cron: "* * * * *" });
    const pending = pendingFires({ spec, scheduleId: "s", status: "active", lastProcessed: now - 150 * MIN, now, windowSeconds: 3_600 }, 3);
    expect(pending.map((f) => f.nominal)).toEqual([now - 60 * MIN, now - 59 * MIN, now - 58 * MIN]);
    expect(pending[0]).toEqual(plannedFirst(spec, "s", now - 150 * MIN, now, 3_600));
  });

  it("with exclusions, the first fire the plan does not skip: excluded minutes are no fire", () => {
    const spec = compile({ cron: "* * * * *", exclude: ["* 9 * * *"] });
    // Window 09:30-10:30, but 09:xx is excluded: 10:00 is the first fire to act on.
    const pending = pendingFires({ spec, scheduleId: "s", status: "active", lastProcessed: now - 150 * MIN, now, windowSeconds: 3_600 }, 2);
    expect(pending.map((f) => f.nominal)).toEqual([ms("2026-01-01T10:00:00Z"), ms("2026-01-01T10:01:00Z")]);
    expect(pending[0]).toEqual(plannedFirst(spec, "s", now - 150 * MIN, now, 3_600));
  });

  it("a jittered fire whose nominal time has passed and actual time has not comes first", () => {
    const spec = compile({ cron: "0 * * * *", jitter_seconds: 3_600 });
    const nominal = ms("2026-01-01T10:00:00Z");
    const j = jitterOffset("jit", nominal, HOUR, nominal + HOUR);
    expect(j).toBeGreaterThan(2);
    const at = nominal + Math.floor(j / 2);
    const [first] = pendingFires({ spec, scheduleId: "jit", status: "active", lastProcessed: nominal - HOUR, now: at }, 1);
    expect(first).toEqual({ nominal, actual: nominal + j });
    expect(first).toEqual(plannedFirst(spec, "jit", nominal - HOUR, at));
  });

  it("is the plan's first fire across outages, windows, jitter and exclusions", () => {
    const specs = [
      compile({ cron: "*/7 * * * *" }),
      compile({ cron: "0 * * * *", jitter_seconds: 3_000, exclude: ["* 2-4 * * *"] }),
      compile({ intervals: [{ every: 90 }], start_at: "2026-01-01T00:00:00Z", jitter_seconds: 60 }),
      compile({ cron: "30 2 * * *", timezone: "America/New_York", jitter_seconds: 600 }),
      // Jitter far larger than the gap between fires: the gap bounds it, and so what is too old.
      compile({ cron: "* * * * * *", jitter_seconds: 86_400 }),
      compile({ cron: "*/10 * * * *", jitter_seconds: 86_400, exclude: ["* 3 * * *"] }),
    ];
    const base = ms("2026-01-01T00:00:00Z");
    for (const [i, spec] of specs.entries()) {
      for (const outage of [0, 45_000, 20 * MIN, 5 * HOUR, 3 * 86_400_000]) {
        for (const window of [10, 600, 3_600, 86_400]) {
          const lastProcessed = base + i * 1_234;
          const at = lastProcessed + outage + 17_000;
          const want = plannedFirst(spec, `s${i}`, lastProcessed, at, window);
          const [got] = pendingFires({ spec, scheduleId: `s${i}`, status: "active", lastProcessed, now: at, windowSeconds: window }, 1);
          expect(got ?? null, `spec ${i}, outage ${outage}, window ${window}`).toEqual(want);
        }
      }
    }
  });

  it("a paused schedule's fires start from now (a resume passes over missed fires); other statuses have none", () => {
    const spec = compile({ cron: "* * * * *" });
    const input = { spec, scheduleId: "s", lastProcessed: now - 150 * MIN, now };
    expect(pendingFires({ ...input, status: "paused" }, 2)).toEqual(upcoming(spec, "s", cursorAt(spec, "s", input.lastProcessed, now), 2));
    expect(pendingFires({ ...input, status: "paused" }, 1)[0]!.nominal).toBe(now + MIN);
    expect(pendingFires({ ...input, status: "completed" }, 2)).toEqual([]);
    expect(pendingFires({ ...input, status: "dead" }, 2)).toEqual([]);
    expect(pendingFires({ ...input, status: "active" }, 0)).toEqual([]);
  });
});
