import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { passOverMissed } from "../../../src/core/catchup.ts";
import { withoutRepeatBound } from "../../../src/core/fire-times.ts";
import { OVERLAP_POLICIES } from "../../../src/core/overlap.ts";
import { adoptPrepared, initialState, runClosed, tick, type ScheduleState, type Transition } from "../../../src/core/schedule/machine.ts";
import { planPrepare, settlePrepared } from "../../../src/core/schedule/prepare.ts";
import { delayedAtChange, resumeDelayed } from "../../../src/core/schedule/respec-delayed.ts";
import { replanned } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { nextScheduleAlarm } from "../../../src/objects/schedule-plan.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";

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
        let now = T0;
        let spec = compile(0, T0);
        let s: ScheduleState = initialState(T0, false, "");
        const started = new Set<string>();
        const ctx = () => ({ spec, scheduleId: "s", policy, now });
        const alarm = () => nextScheduleAlarm({ schedule_id: "s", state: s, policy } as unknown as ScheduleRow, spec, null, [], 0, now);
        const apply = (t: Pick<Transition, "state" | "outcomes">) => {
          s = settlePrepared(t.state, []).state;
          // A due retry waits for a free slot whatever the policy: the policy never drops it.
          expect(t.outcomes.filter((o) => o.kind === "skipped_overlap" && o.fire?.kind === "retry")).toEqual([]);
          for (const o of t.outcomes) {
            if (o.kind !== "started" || o.fire?.kind !== "scheduled") continue;
            if (o.fire.timezone !== undefined) ran++; // only a delayed fire carries its zone
            expect(started.has(o.runId!), `${o.runId} started twice`).toBe(false);
            started.add(o.runId!);
          }
          const delayed = s.delayed ?? [];
          for (const f of delayed) expect(started.has(`s:${new Date(f.nominal).toISOString()}`), "a delayed fire already started").toBe(false);
          // An active schedule wakes no later than its first delayed fire.
          if (s.status === "active" && delayed.length > 0) expect(alarm()).toBeLessThanOrEqual(Math.max(now, Math.min(...delayed.map((f) => f.actual))));
          const d = planPrepare(ctx(), s, HOUR, false);
          if (d.kind === "prepare") s = { ...s, prepared: d.run };
        };
        const withdraw = () => {
          const p = s.prepared;
          if (p && p.actual <= now) apply({ state: adoptPrepared(s, p), outcomes: [{ kind: "started", fire: { nominal: p.nominal, actual: p.actual, kind: "scheduled" }, runId: p.runId }] });
          else if (p) s = { ...s, prepared: null };
        };
        const advance = (to: number) => {
          for (let a = alarm(); a !== null && a <= to; a = alarm()) {
            now = Math.max(now, a);
            apply(tick(ctx(), s));
          }
          now = to;
        };
        apply(tick(ctx(), s));
        for (const step of steps) {
          if (step.kind === "wait") advance(now + step.ms);
          else if (step.kind === "outage") {
            // The platform is down: the alarms due meanwhile ring once, late, when it is back.
            now += step.ms;
            apply(tick(ctx(), s));
          }
          else if (step.kind === "close") {
            const r = s.running[step.pick % Math.max(1, s.running.length)];
            if (r) apply(runClosed(ctx(), s, r.runId, step.status, null));
          } else if (step.kind === "patch") {
            withdraw();
            const fire = delayedAtChange(spec, "s", s, policy.overlap, now);
            if (fire) held++;
            s = replanned(s, now, fire);
            spec = compile(step.spec, now);
            apply(tick(ctx(), s));
          } else if (step.kind === "pause" && (s.status === "active" || s.status === "paused")) {
            withdraw();
            s = { ...s, status: "paused" };
          } else if (step.kind === "resume" && s.status !== "completed") {
            withdraw();
            const over = s.status !== "active" && !step.catchUp;
            const passed = over ? passOverMissed(spec, "s", s.lastProcessed, now, 100) : null;
            const state = over ? resumeDelayed(s, now).state : s;
            apply(tick(ctx(), { ...state, status: "active", lastProcessed: passed?.cursor ?? s.lastProcessed }));
          }
        }
        // Run on, active, with every run closing: no delayed fire is left behind.
        if (s.status !== "active") apply(tick(ctx(), { ...s, status: "active" }));
        for (let i = 0; i < 20; i++) {
          while (s.running.length > 0) apply(runClosed(ctx(), s, s.running[0]!.runId, "completed", null));
          advance(now + HOUR);
        }
        expect(s.delayed ?? []).toEqual([]);
      }),
      { numRuns: Number(process.env.SIM_RUNS ?? 300) },
    );
    expect(held).toBeGreaterThan(0);
    expect(ran).toBeGreaterThan(0);
  });
});
