import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { passOverMissed } from "../../../src/core/catchup.ts";
import { withoutRepeatBound } from "../../../src/core/fire-times.ts";
import { OVERLAP_POLICIES, type OverlapPolicy } from "../../../src/core/overlap.ts";
import { runClosed, SKIPPED_CATCHUP, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { repeatRuns } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { ScheduleSim } from "./schedule-sim.ts";
import { withOverlap } from "./schedule-support.ts";


// repeat_count (the most scheduled runs) played against random histories of an hourly schedule:
// alarms ringing on time or late, runs closing (completed, failed, found late by catch-up),
// triggers, pauses and resumes, with prepared runs on. The core machine as the ScheduleObject
// drives it (ticks at the alarm schedule-plan.ts arms, prepares after each change, withdraws or
// adopts the prepared run before one).

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;

type Step =
  | { kind: "wait"; ms: number }
  | { kind: "close"; pick: number; status: "completed" | "failed" | typeof SKIPPED_CATCHUP }
  | { kind: "trigger"; policy: OverlapPolicy }
  | { kind: "pause" }
  | { kind: "resume"; catchUp: boolean };

type CloseStatus = Extract<Step, { kind: "close" }>["status"];
const stepArb = (triggers: readonly OverlapPolicy[], closes: readonly CloseStatus[]): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 * HOUR }).map((ms): Step => ({ kind: "wait", ms })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * 86_400_000 }).map((ms): Step => ({ kind: "wait", ms })) },
    { weight: 4, arbitrary: fc.record({ pick: fc.nat(), status: fc.constantFrom(...closes) }).map((r): Step => ({ kind: "close", ...r })) },
    { weight: 1, arbitrary: fc.constantFrom(...triggers).map((policy): Step => ({ kind: "trigger", policy })) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: "pause" }) },
    { weight: 1, arbitrary: fc.boolean().map((catchUp): Step => ({ kind: "resume", catchUp })) },
  );

interface Played {
  /** Scheduled run ids in the order they started (an adopted prepared run among them). */
  started: string[];
  /** Scheduled runs counted: started, less those found late by catch-up. */
  scheduled: number;
  state: ScheduleState;
}

/** Plays `steps`, calling `check` after each change; then, with `drain`, lets every run succeed and every alarm ring. */
function play(repeat: number, policy: SchedulePolicy, steps: Step[], check: (p: Played, alarm: number | null) => void, drain: boolean): Played {
  const spec = withoutRepeatBound(compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", repeat_count: repeat }), { createdAt: T0 }));
  const started: string[] = [];
  let scheduled = 0;
  let triggers = 0;
  const sim: ScheduleSim = new ScheduleSim(spec, policy, T0, (t) => {
    for (const o of t.outcomes) if (o.kind === "started" && o.fire?.kind === "scheduled") started.push(o.runId!);
    scheduled += t.outcomes.filter((o) => o.kind === "started" && o.fire?.kind === "scheduled").length;
    check({ started, scheduled, state: sim.s }, sim.alarm());
  });
  const close = (pick: number, status: string) => {
    const r = sim.s.running[pick % sim.s.running.length];
    // Only an adopted prepared run is found late by catch-up; in this model, any scheduled run.
    if (!r || (status === SKIPPED_CATCHUP && r.fire.kind !== "scheduled")) return;
    if (status === SKIPPED_CATCHUP) scheduled--;
    sim.apply(runClosed(sim.ctx(), sim.s, r.runId, status, null));
  };
  sim.apply(tick(sim.ctx(), sim.s));
  for (const step of steps) {
    const s = sim.s;
    if (step.kind === "wait") sim.advance(sim.now + step.ms);
    else if (step.kind === "close") close(step.pick, step.status);
    else if (step.kind === "trigger") {
      sim.withdraw();
      sim.apply(startExtra(sim.ctx(), sim.s, withOverlap([{ nominal: sim.now, actual: sim.now, kind: "trigger", requestId: `r${++triggers}` }], step.policy)));
    } else if (step.kind === "pause" && (s.status === "active" || s.status === "paused")) {
      sim.withdraw();
      sim.s = { ...sim.s, status: "paused" };
    } else if (step.kind === "resume" && s.status !== "completed") {
      sim.withdraw();
      const passed = sim.s.status !== "active" && !step.catchUp ? passOverMissed(spec, "s", sim.s.lastProcessed, sim.now, 100) : null;
      sim.apply(tick(sim.ctx(), { ...sim.s, status: "active", lastProcessed: passed?.cursor ?? sim.s.lastProcessed }));
    }
  }
  for (let i = 0; drain && i < 200 && sim.s.status !== "completed"; i++) {
    if (sim.s.status !== "active") sim.apply(tick(sim.ctx(), { ...sim.s, status: "active" }));
    else if (sim.s.running.length > 0) close(0, "completed");
    else sim.advance(sim.alarm()!);
  }
  return { started, scheduled, state: sim.s };
}

const policyArb = fc.record({
  overlap: fc.constantFrom(...OVERLAP_POLICIES),
  retry_max: fc.integer({ min: 0, max: 2 }),
  on_failure: fc.constantFrom("continue" as const, "pause" as const, "dead" as const),
}).map((p): SchedulePolicy => ({ ...DEFAULT_SCHEDULE_POLICY, ...p, retry_delay_seconds: 600 }));
const RUNS = { numRuns: Number(process.env.SIM_RUNS ?? 300) };

describe("repeat_count, simulated", () => {
  it("never starts more scheduled runs than repeat_count, completes only when they have all run, and never stalls", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), policyArb, fc.array(stepArb(OVERLAP_POLICIES, ["completed", "failed", SKIPPED_CATCHUP]), { maxLength: 40 }), (repeat, policy, steps) => {
        const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", repeat_count: repeat }), { createdAt: T0 });
        const end = play(repeat, policy, steps, ({ scheduled, state: s }, alarm) => {
          expect(scheduled).toBeLessThanOrEqual(repeat);
          expect(repeatRuns(spec, s)).toBe(scheduled);
          if (s.status === "completed") {
            expect(scheduled).toBe(repeat);
            expect(s.running.filter((r) => r.fire.kind !== "trigger")).toEqual([]);
          }
          // An active schedule with no run open has an alarm to wake it.
          if (s.status === "active" && s.running.length === 0) expect(alarm, JSON.stringify(s)).not.toBeNull();
        }, true);
        expect(end.state.status).toBe("completed");
        expect(end.scheduled).toBe(repeat);
      }),
      RUNS,
    );
  });

  // Two deviations are known and left out here: fires that come while every run left is waiting
  // in the buffer are not planned (so CANCEL_OTHER does not replace the last waiting fire with a
  // newer one, and should a waiting fire be dropped, by a trigger with another overlap policy,
  // because a run before it was found late by catch-up, or by a failure that makes the schedule
  // dead, which empties its buffer, those fires are planned afterwards: a resume with catch_up
  // then runs them).
  it("until its last run has started, a schedule with repeat_count starts the runs it would start without one", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        policyArb.filter((p) => p.overlap !== "CANCEL_OTHER" && p.on_failure !== "dead"),
        fc.array(stepArb(OVERLAP_POLICIES, ["completed", "failed"]), { maxLength: 40 }),
        (repeat, policy, drawn) => {
          // Triggers with the schedule's own policy, which keeps a fire waiting in the buffer.
          const steps = drawn.map((st): Step => (st.kind === "trigger" ? { ...st, policy: policy.overlap } : st));
          let upTo = 0;
          const limited = play(repeat, policy, steps, ({ started, scheduled }) => {
            if (upTo === 0 && scheduled === repeat) upTo = started.length;
          }, false).started;
          const unlimited = play(0, policy, steps, () => {}, false).started;
          const n = upTo === 0 ? limited.length : upTo;
          expect(limited.slice(0, n)).toEqual(unlimited.slice(0, n));
        },
      ),
      RUNS,
    );
  });
});
