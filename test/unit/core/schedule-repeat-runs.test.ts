import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { pendingFires } from "../../../src/core/catchup.ts";
import { withoutRepeatBound } from "../../../src/core/fire-times.ts";
import { initialState, runClosed, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { isLastRun, repeatRuns, runsLeft } from "../../../src/core/schedule/repeat-runs.ts";
import { planPrepare } from "../../../src/core/schedule/prepare.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { nextScheduleAlarm } from "../../../src/objects/schedule-plan.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";
import { withOverlap } from "./schedule-support.ts";


// repeat_count is the most scheduled runs a schedule starts (DESIGN "Specs": max runs; Pipelit's
// current_repeat counts runs; Temporal's remaining actions): fires skipped by overlap, catch-up or
// a pause use none, and triggers, backfills and retries do not count.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;
const at = (h: number) => `s:${new Date(T0 + h * HOUR).toISOString()}`;

function ctx(policy: Partial<SchedulePolicy>, now: number, repeat = 3) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", repeat_count: repeat }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

describe("repeat_count counts runs, not fire times", () => {
  it("fires skipped by SKIP while a run is open use no run: three runs start, then the schedule completes", () => {
    let s: ScheduleState = initialState(T0, false, "");
    let t = tick(ctx({}, T0 + HOUR), s);
    expect(t.start.map((x) => x.runId)).toEqual([at(1)]);
    // 02:00 and 03:00 come while 01:00 still runs: skipped, and not counted.
    t = tick(ctx({}, T0 + 2 * HOUR), t.state);
    t = tick(ctx({}, T0 + 3 * HOUR), t.state);
    expect(t.state.counters.skipped_overlap).toBe(2);
    expect(repeatRuns(ctx({}, 0).spec, t.state)).toBe(1);
    expect(t.nextAlarm).toBe(T0 + 4 * HOUR);
    t = runClosed(ctx({}, T0 + 3 * HOUR + 1), t.state, at(1), "completed", null);
    t = tick(ctx({}, T0 + 4 * HOUR), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([at(4)]);
    t = runClosed(ctx({}, T0 + 4 * HOUR + 1), t.state, at(4), "completed", null);
    t = tick(ctx({}, T0 + 5 * HOUR), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([at(5)]);
    // The third run: nothing left to wait for, but it is still open.
    expect(t.nextAlarm).toBeNull();
    expect(t.state.status).toBe("active");
    s = runClosed(ctx({}, T0 + 5 * HOUR + 1), t.state, at(5), "completed", null).state;
    expect(s.status).toBe("completed");
    expect(s.counters).toMatchObject({ fired: 3, skipped_overlap: 2 });
  });

  it("fires too old for the catch-up window use no run", () => {
    // Down from 00:30 to 10:00:30 with a 1-hour window: 01:00-09:00 are skipped, 10:00 runs.
    const policy = { catchup_window_seconds: 3600 };
    const t = tick(ctx(policy, T0 + 10 * HOUR + 30_000), initialState(T0, false, ""));
    expect(t.state.counters.skipped_catchup).toBe(9);
    expect(t.start.map((x) => x.runId)).toEqual([at(10)]);
    expect(runsLeft(ctx(policy, 0).spec, t.state)).toBe(2);
    expect(t.state.status).toBe("active");
  });

  it("a catch-up batch starts no more runs than are left, and the fires past them are planned again (ALLOW_ALL)", () => {
    const policy = { overlap: "ALLOW_ALL" as const };
    const t = tick(ctx(policy, T0 + 5 * HOUR + 1), initialState(T0, false, ""));
    expect(t.start.map((x) => x.runId)).toEqual([at(1), at(2), at(3)]);
    expect(t.nextAlarm).toBeNull();
    // Later ticks start nothing more.
    const again = tick(ctx(policy, T0 + 6 * HOUR), t.state);
    expect(again.start).toEqual([]);
    expect(again.state.lastProcessed).toBe(t.state.lastProcessed);
  });

  it("a batch is cut to the runs left only when its overlap policy would start or buffer more (BUFFER_ALL; BUFFER_ONE with a run open is not)", () => {
    // One run already counted and open: two runs left; 01:00-05:00 due.
    const open: ScheduleState = { ...initialState(T0, false, ""), repeatRuns: 1, running: [{ runId: "x", fire: { nominal: T0, actual: T0, kind: "scheduled" } }] };
    const all = tick(ctx({ overlap: "BUFFER_ALL" }, T0 + 5 * HOUR + 1), open);
    // 01:00 and 02:00 wait (they count: they will run); 03:00-05:00 are not planned, not skipped.
    expect(all.state.buffer.map((f) => f.nominal)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    expect(all.state.counters.skipped_overlap).toBe(0);
    expect(all.state.lastProcessed).toBe(T0 + 2 * HOUR);
    expect(all.nextAlarm).toBeNull();
    // BUFFER_ONE buffers 01:00 and skips 02:00-05:00, one run of the batch: as without repeat_count.
    const one = tick(ctx({ overlap: "BUFFER_ONE" }, T0 + 5 * HOUR + 1), open);
    expect(one.state.buffer.map((f) => f.nominal)).toEqual([T0 + HOUR]);
    expect(one.state.counters.skipped_overlap).toBe(4);
    expect(one.state.lastProcessed).toBe(T0 + 5 * HOUR);
    expect(runsLeft(ctx({}, 0).spec, one.state)).toBe(1);
    expect(one.nextAlarm).toBe(T0 + 6 * HOUR);
  });

  it("fires while paused use no run: a resume plans the runs that are left", () => {
    const c = ctx({}, T0 + HOUR);
    const started = tick(c, initialState(T0, false, ""));
    const closed = runClosed(ctx({}, T0 + HOUR + 1), started.state, at(1), "completed", null).state;
    // Paused 01:00-08:00, resumed at 08:00 (a resume plans from now).
    const resumed: ScheduleState = { ...closed, status: "active", lastProcessed: T0 + 8 * HOUR };
    const spec = ctx({}, 0).spec;
    expect(pendingFires({ spec: withoutRepeatBound(spec), scheduleId: "s", status: "active", lastProcessed: resumed.lastProcessed, now: T0 + 8 * HOUR, runsLeft: runsLeft(spec, resumed) }, 10).map((f) => f.nominal)).toEqual([T0 + 9 * HOUR, T0 + 10 * HOUR]);
    const t = tick(ctx({}, T0 + 9 * HOUR), resumed);
    expect(t.start.map((x) => x.runId)).toEqual([at(9)]);
  });

  it("triggers, backfills and retries do not count", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 60 };
    let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
    const extra = startExtra(ctx(policy, T0 + HOUR + 1), t.state, withOverlap([
      { nominal: T0 + HOUR + 1, actual: T0 + HOUR + 1, kind: "trigger", requestId: "a" },
      { nominal: T0 - 5 * HOUR, actual: T0 - 5 * HOUR, kind: "backfill", last: null },
    ], "ALLOW_ALL"));
    expect(repeatRuns(ctx(policy, 0).spec, extra.state)).toBe(1);
    t = runClosed(ctx(policy, T0 + HOUR + 2), extra.state, at(1), "failed", "boom");
    t = tick(ctx(policy, T0 + HOUR + 2 + 60_000), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([`${at(1)}:retry-1`]);
    expect(repeatRuns(ctx(policy, 0).spec, t.state)).toBe(1);
  });

  it("the last run's payload has no upcoming fire; a prepared run is not planned once none is left", () => {
    const policy = { overlap: "ALLOW_ALL" as const };
    const t = tick(ctx(policy, T0 + 3 * HOUR + 1), initialState(T0, false, ""));
    const spec = ctx(policy, 0).spec;
    expect(t.start.map((x) => isLastRun(spec, t.state, x.fire))).toEqual([false, false, true]);
    expect(planPrepare(ctx(policy, T0 + 3 * HOUR + 2), t.state, 60_000, false)).toEqual({ kind: "none" });
  });

  it("a state written before runs were counted counts the fires it handled, so the schedule stops where it would have", () => {
    const spec = ctx({}, 0).spec;
    const legacy: ScheduleState = { ...initialState(T0, false, ""), lastProcessed: T0 + 2 * HOUR };
    delete legacy.repeatRuns;
    expect(repeatRuns(spec, legacy)).toBe(2);
    expect(runsLeft(spec, legacy)).toBe(1);
    const t = tick(ctx({}, T0 + 3 * HOUR), legacy);
    expect(t.start.map((x) => x.runId)).toEqual([at(3)]);
    expect(t.state.repeatRuns).toBe(3);
    expect(t.nextAlarm).toBeNull();
  });
});

// repeat_count near the last runs, with each overlap policy: the policy decides what a batch of
// due fires starts, and repeat_count limits the runs that come of it (Temporal applies the overlap
// policy to its buffer first, then takes an action for each start while actions remain).
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

describe("current_repeat of a state written before runs were counted, without a repeat_count", () => {
  it("goes on from the runs it had started instead of restarting at 0", () => {
    const spec = ctx({}, 0, 0).spec;
    const legacy: ScheduleState = { ...initialState(T0, false, ""), lastProcessed: T0 + 2 * HOUR, counters: { fired: 5, skipped_overlap: 0, skipped_catchup: 0, failed: 0 } };
    delete legacy.repeatRuns;
    expect(repeatRuns(spec, legacy)).toBe(5);
    const t = tick(ctx({}, T0 + 3 * HOUR, 0), legacy);
    expect(t.start.map((x) => x.runId)).toEqual([at(3)]);
    expect(t.state.repeatRuns).toBe(6);
  });
});

// repeat_count with its last runs waiting in the buffer: a fire that would take a waiting fire's
// place (CANCEL_OTHER, TERMINATE_OTHER keep only the newest) is still decided at its time, as in
// Temporal (its buffer keeps the newest; remaining actions count only starts).
describe("repeat_count with the last runs waiting in the buffer", () => {
  it("CANCEL_OTHER: a newer fire replaces the waiting one, so the newest fire runs (two runs in all)", () => {
    const policy = { overlap: "CANCEL_OTHER" as const };
    let t = tick(ctx(policy, T0 + HOUR, 2), initialState(T0, false, ""));
    expect(t.start.map((x) => x.runId)).toEqual([at(1)]);
    // 02:00: 01:00 is asked to cancel, 02:00 waits for its slot; the 03:00 fire must still be seen.
    t = tick(ctx(policy, T0 + 2 * HOUR, 2), t.state);
    expect(t.cancel).toEqual([at(1)]);
    expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 2 * HOUR]);
    expect(t.nextAlarm).toBe(T0 + 3 * HOUR);
    // 03:00 before 01:00 has closed: 03:00 replaces 02:00 (skipped by overlap).
    t = tick(ctx(policy, T0 + 3 * HOUR, 2), t.state);
    expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 3 * HOUR]);
    expect(t.state.counters.skipped_overlap).toBe(1);
    t = runClosed(ctx(policy, T0 + 3 * HOUR + 1, 2), t.state, at(1), "cancelled", null);
    expect(t.start.map((x) => x.runId)).toEqual([at(3)]);
    const done = runClosed(ctx(policy, T0 + 3 * HOUR + 2, 2), t.state, at(3), "completed", null);
    expect(done.state.status).toBe("completed");
    expect(repeatRuns(ctx({}, 0, 2).spec, done.state)).toBe(2);
    expect(done.state.counters).toMatchObject({ fired: 2, skipped_overlap: 1 });
  });

  it("the schedule's alarm rings at the next fire only when that fire would replace the waiting one (not for BUFFER_ONE or BUFFER_ALL, where it could not run)", () => {
    for (const [overlap, expected] of [["CANCEL_OTHER", T0 + 3 * HOUR], ["BUFFER_ONE", null], ["BUFFER_ALL", null]] as const) {
      const c = ctx({ overlap }, T0 + 2 * HOUR, 2);
      const s = tick(c, tick(ctx({ overlap }, T0 + HOUR, 2), initialState(T0, false, "")).state).state;
      expect(s.buffer.map((f) => f.nominal)).toEqual([T0 + 2 * HOUR]);
      // The object compiles its spec without repeat_count's bound on fire times (schedule-plan.ts).
      const row = { schedule_id: "s", policy: c.policy, state: s } as unknown as ScheduleRow;
      expect(nextScheduleAlarm(row, withoutRepeatBound(c.spec), null, [], 0, T0 + 2 * HOUR)).toBe(expected);
    }
  });
});
