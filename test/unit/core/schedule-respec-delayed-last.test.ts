import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { nextFire } from "../../../src/core/fire-times.ts";
import { delayedAtChange } from "../../../src/core/schedule/respec-delayed.ts";
import { initialState, runClosed, tick, type Transition } from "../../../src/core/schedule/machine.ts";
import { replanned } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// DESIGN "Payload": `last_timestamp` (previous nominal fire, or null). README "Schedules":
// "`last_timestamp` is the nominal time of the last scheduled fire that started before this one
// (null for the first), so "everything since `last_timestamp`" is the run's window of work."
const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const M = 60_000;
const compile = (input: Record<string, unknown>, at = T0): CompiledSpec => compileSpec(ScheduleSpecInput.parse(input), { createdAt: at });
const policy = (p: Partial<SchedulePolicy> = {}): SchedulePolicy => ({ ...DEFAULT_SCHEDULE_POLICY, ...p });
const ctx = (spec: CompiledSpec, now: number) => ({ spec, scheduleId: "s", policy: policy({ overlap: "ALLOW_ALL" }), now });

describe("a fire delayed over a spec change, started after the new spec's fires", () => {
  it("its last_timestamp is not a nominal time after its own timestamp", () => {
    const hourly = compile({ cron: "0 * * * *", jitter_seconds: 3000 });
    const fire = nextFire(hourly, "s", T0 + 1)!;
    // The example needs a jitter long enough for the new spec to fire before the delayed fire starts.
    expect(fire.actual - fire.nominal).toBeGreaterThan(10 * M);
    const change = fire.nominal + M;
    const delayed = delayedAtChange(hourly, "s", initialState(T0, false, ""), "ALLOW_ALL", change);
    expect(delayed).not.toBeNull();
    const every5 = compile({ cron: "*/5 * * * *" }, change);
    let s = replanned(initialState(T0, false, ""), change, delayed);
    let delayedStart: Transition["start"][number] | undefined;
    const times = [...Array.from({ length: 60 }, (_, i) => change + i * M).filter((x) => x < fire.actual), fire.actual];
    for (const now of times) {
      const t = tick(ctx(every5, now), s);
      s = t.state;
      delayedStart ??= t.start.find((x) => x.fire.nominal === fire.nominal);
      for (const x of t.start) s = runClosed(ctx(every5, now), s, x.runId, "completed", null).state;
    }
    expect(delayedStart).toBeDefined();
    // The new spec's 01:05, 01:10, ... started before it; its window of work must not end before it begins.
    expect(delayedStart!.last === null || delayedStart!.last < fire.nominal, `last_timestamp ${delayedStart!.last && new Date(delayedStart!.last).toISOString()} for timestamp ${new Date(fire.nominal).toISOString()}`).toBe(true);
  });
});
