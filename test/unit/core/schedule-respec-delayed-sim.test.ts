import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { passOverMissed } from "../../../src/core/catchup.ts";
import { withoutRepeatBound } from "../../../src/core/fire-times.ts";
import { OVERLAP_POLICIES } from "../../../src/core/overlap.ts";
import { runClosed, tick } from "../../../src/core/schedule/machine.ts";
import { delayedAtChange, resumeDelayed } from "../../../src/core/schedule/respec-delayed.ts";
import { replanned } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { ScheduleSim } from "./schedule-sim.ts";

// Fires delayed over a spec change (respec-delayed.ts) played against random histories: jittered
// specs changed back and forth while fires wait on their jitter, alarms on time or late (an outage), runs
// closing (completed, failed), pauses and resumes, prepared runs on. The machine as the
// ScheduleObject drives it (schedule-repeat-sim.test.ts does the same for repeat_count).

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const SPECS = [
  { cron: "0 * * * *", jitter_seconds: 1800 },
  { cron: "*/20 * * * *", jitter_seconds: 600 },
  { cron: "30 * * * *", jitter_seconds: 1500, timezone: "Asia/Tokyo" },
];

type Step =
  | { kind: "wait"; ms: number }
  | { kind: "outage"; ms: number }
  | { kind: "close"; pick: number; status: "completed" | "failed" }
  | { kind: "patch"; spec: number }
  | { kind: "pause" }
  | { kind: "resume"; catchUp: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 * MIN }).map((ms): Step => ({ kind: "wait", ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * 86_400_000 }).map((ms): Step => ({ kind: "wait", ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 * MIN }).map((ms): Step => ({ kind: "outage", ms })) },
  { weight: 3, arbitrary: fc.record({ pick: fc.nat(), status: fc.constantFrom("completed" as const, "failed" as const) }).map((r): Step => ({ kind: "close", ...r })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: SPECS.length - 1 }).map((spec): Step => ({ kind: "patch", spec })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "pause" }) },
  { weight: 1, arbitrary: fc.boolean().map((catchUp): Step => ({ kind: "resume", catchUp })) },
);

const policyArb = fc
  .record({ overlap: fc.constantFrom(...OVERLAP_POLICIES), retry_max: fc.integer({ min: 0, max: 1 }), on_failure: fc.constantFrom("continue" as const, "pause" as const) })
  .map((p): SchedulePolicy => ({ ...DEFAULT_SCHEDULE_POLICY, ...p, retry_delay_seconds: 600 }));

const compile = (i: number, origin: number): CompiledSpec => withoutRepeatBound(compileSpec(ScheduleSpecInput.parse(SPECS[i]), { createdAt: origin }));

describe("fires delayed over a spec change, simulated", () => {
  it("no scheduled run starts twice, no retry is dropped, the alarm wakes for every waiting delayed fire, and none is left once the schedule has run on", { timeout: 60_000 }, () => {
    // The histories do hold delayed fires, and some of them start.
    let held = 0;
    let ran = 0;
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 40 }), (policy, steps) => {
        const started = new Set<string>();
        const sim: ScheduleSim = new ScheduleSim(compile(0, T0), policy, T0, (t) => {
          // A due retry waits for a free slot whatever the policy: the policy never drops it.
          expect(t.outcomes.filter((o) => o.kind === "skipped_overlap" && o.fire?.kind === "retry")).toEqual([]);
          for (const o of t.outcomes) {
            if (o.kind !== "started" || o.fire?.kind !== "scheduled") continue;
            if (o.fire.timezone !== undefined) ran++; // only a delayed fire carries its zone
            expect(started.has(o.runId!), `${o.runId} started twice`).toBe(false);
            started.add(o.runId!);
          }
          const delayed = sim.s.delayed ?? [];
          for (const f of delayed) expect(started.has(`s:${new Date(f.nominal).toISOString()}`), "a delayed fire already started").toBe(false);
          // An active schedule wakes no later than its first delayed fire.
          if (sim.s.status === "active" && delayed.length > 0) expect(sim.alarm()).toBeLessThanOrEqual(Math.max(sim.now, Math.min(...delayed.map((f) => f.actual))));
        });
        sim.apply(tick(sim.ctx(), sim.s));
        for (const step of steps) {
          if (step.kind === "wait") sim.advance(sim.now + step.ms);
          else if (step.kind === "outage") {
            // The platform is down: the alarms due meanwhile ring once, late, when it is back.
            sim.now += step.ms;
            sim.apply(tick(sim.ctx(), sim.s));
          } else if (step.kind === "close") {
            const r = sim.s.running[step.pick % Math.max(1, sim.s.running.length)];
            if (r) sim.apply(runClosed(sim.ctx(), sim.s, r.runId, step.status, null));
          } else if (step.kind === "patch") {
            sim.withdraw();
            const fire = delayedAtChange(sim.spec, "s", sim.s, policy.overlap, sim.now);
            if (fire) held++;
            sim.s = replanned(sim.s, sim.now, fire);
            sim.spec = compile(step.spec, sim.now);
            sim.apply(tick(sim.ctx(), sim.s));
          } else if (step.kind === "pause" && (sim.s.status === "active" || sim.s.status === "paused")) {
            sim.withdraw();
            sim.s = { ...sim.s, status: "paused" };
          } else if (step.kind === "resume" && sim.s.status !== "completed") {
            sim.withdraw();
            const over = sim.s.status !== "active" && !step.catchUp;
            const passed = over ? passOverMissed(sim.spec, "s", sim.s.lastProcessed, sim.now, 100) : null;
            const state = over ? resumeDelayed(sim.s, sim.now).state : sim.s;
            sim.apply(tick(sim.ctx(), { ...state, status: "active", lastProcessed: passed?.cursor ?? sim.s.lastProcessed }));
          }
        }
        // Run on, active, with every run closing: no delayed fire is left behind.
        if (sim.s.status !== "active") sim.apply(tick(sim.ctx(), { ...sim.s, status: "active" }));
        for (let i = 0; i < 20; i++) {
          while (sim.s.running.length > 0) sim.apply(runClosed(sim.ctx(), sim.s, sim.s.running[0]!.runId, "completed", null));
          sim.advance(sim.now + HOUR);
        }
        expect(sim.s.delayed ?? []).toEqual([]);
      }),
      { numRuns: Number(process.env.SIM_RUNS ?? 300) },
    );
    expect(held).toBeGreaterThan(0);
    expect(ran).toBeGreaterThan(0);
  });
});
