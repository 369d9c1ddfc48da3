import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { repeatRuns, runsLeft } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// repeat_count near the last runs, with each overlap policy: the policy decides what a batch of
// due fires starts, and repeat_count limits the runs that come of it (Temporal applies the overlap
// policy to its buffer first, then takes an action for each start while actions remain).

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;
const at = (h: number) => `s:${new Date(T0 + h * HOUR).toISOString()}`;

function ctx(policy: Partial<SchedulePolicy>, now: number, repeat = 3) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", repeat_count: repeat }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

describe("repeat_count with each overlap policy", () => {
  for (const overlap of ["CANCEL_OTHER", "TERMINATE_OTHER"] as const) {
    it(`${overlap}: a late batch starts its newest fire only; the older ones are skipped and use no run`, () => {
      // 01:00-03:00 due at once (the alarm was late), two runs allowed.
      const t = tick(ctx({ overlap }, T0 + 3 * HOUR + 1, 2), initialState(T0, false, ""));
      expect(t.start.map((x) => x.runId)).toEqual([at(3)]);
      expect(t.state.counters.skipped_overlap).toBe(2);
      expect(t.cancel).toEqual([]);
      expect(t.terminate).toEqual([]);
      expect(runsLeft(ctx({}, 0, 2).spec, t.state)).toBe(1);
      expect(t.nextAlarm).toBe(T0 + 4 * HOUR);
      // With one run allowed, that one is still the newest fire.
      const one = tick(ctx({ overlap }, T0 + 3 * HOUR + 1, 1), initialState(T0, false, ""));
      expect(one.start.map((x) => x.runId)).toEqual([at(3)]);
    });
  }

  for (const overlap of ["CANCEL_OTHER", "TERMINATE_OTHER"] as const) {
    it(`${overlap}: a catch-up longer than one batch starts only the newest fire of the last batch, using one run`, () => {
      // Every minute, three runs; the alarm comes 250 fires late (batches of LIMITS.catchupBatch).
      const spec = compileSpec(ScheduleSpecInput.parse({ cron: "* * * * *", repeat_count: 3 }), { createdAt: T0 });
      const now = T0 + 250 * 60_000 + 1;
      const c = { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, overlap }, now };
      let t = tick(c, initialState(T0, false, ""));
      const started = [...t.start];
      for (let i = 0; i < 10 && t.nextAlarm === now; i++) {
        t = tick(c, t.state);
        started.push(...t.start);
      }
      expect(started.map((x) => x.runId)).toEqual([`s:${new Date(T0 + 250 * 60_000).toISOString()}`]);
      expect(t.state.counters).toMatchObject({ fired: 1, skipped_overlap: 249 });
      expect(repeatRuns(spec, t.state)).toBe(1);
      expect(t.nextAlarm).toBe(T0 + 251 * 60_000);
    });
  }

  it("SKIP with a run open passes over a late batch in one plan, as without repeat_count", () => {
    const open: ScheduleState = { ...initialState(T0, false, ""), repeatRuns: 1, running: [{ runId: "x", fire: { nominal: T0, actual: T0, kind: "scheduled" } }] };
    const t = tick(ctx({}, T0 + 5 * HOUR + 1, 2), open);
    expect(t.state.counters.skipped_overlap).toBe(5);
    expect(t.state.lastProcessed).toBe(T0 + 5 * HOUR);
    expect(t.nextAlarm).toBe(T0 + 6 * HOUR);
  });

  it("BUFFER_ONE and BUFFER_ALL buffer no more scheduled fires than runs are left", () => {
    for (const overlap of ["BUFFER_ONE", "BUFFER_ALL"] as const) {
      const t = tick(ctx({ overlap }, T0 + 5 * HOUR + 1, 2), initialState(T0, false, ""));
      expect(t.start.map((x) => x.runId)).toEqual([at(1)]);
      expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 2 * HOUR]);
      expect(runsLeft(ctx({}, 0, 2).spec, t.state)).toBe(0);
      expect(t.nextAlarm).toBeNull();
      const closed = runClosed(ctx({ overlap }, T0 + 5 * HOUR + 2, 2), t.state, at(1), "completed", null);
      expect(closed.start.map((x) => x.runId)).toEqual([at(2)]);
      const done = runClosed(ctx({ overlap }, T0 + 5 * HOUR + 3, 2), closed.state, at(2), "completed", null);
      expect(done.start).toEqual([]);
      expect(done.state.status).toBe("completed");
      expect(repeatRuns(ctx({}, 0, 2).spec, done.state)).toBe(2);
    }
  });

  it("a state written before runs were counted, with a fire waiting in the buffer, counts that fire once (when it starts)", () => {
    // BUFFER_ONE, three runs: 01:00 runs, 02:00 waits for it; repeat_count then allowed 01:00-03:00.
    const spec = ctx({}, 0).spec;
    const legacy: ScheduleState = {
      ...initialState(T0, false, ""),
      lastProcessed: T0 + 2 * HOUR,
      lastNominal: T0 + HOUR,
      running: [{ runId: at(1), fire: { nominal: T0 + HOUR, actual: T0 + HOUR, kind: "scheduled" } }],
      buffer: [{ nominal: T0 + 2 * HOUR, actual: T0 + 2 * HOUR, kind: "scheduled" }],
    };
    delete legacy.repeatRuns;
    expect(repeatRuns(spec, legacy)).toBe(1);
    expect(runsLeft(spec, legacy)).toBe(1);
    const policy = { overlap: "BUFFER_ONE" as const };
    const first = runClosed(ctx(policy, T0 + 2 * HOUR + 1), legacy, at(1), "completed", null);
    expect(first.start.map((x) => x.runId)).toEqual([at(2)]);
    expect(first.nextAlarm).toBe(T0 + 3 * HOUR);
    const second = runClosed(ctx(policy, T0 + 2 * HOUR + 2), first.state, at(2), "completed", null);
    expect(tick(ctx(policy, T0 + 3 * HOUR), second.state).start.map((x) => x.runId)).toEqual([at(3)]);
  });
});
