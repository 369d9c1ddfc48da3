import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, startExtra, tick, type PendingFire, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// A schedule that is not active (paused, completed, dead) starts none of its own fires, also not
// those waiting in the buffer; a trigger or backfill runs all the same ("run now, also while paused").

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;

function ctx(policy: Partial<SchedulePolicy>, now: number) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}
const scheduled = (h: number): PendingFire => ({ nominal: T0 + h * HOUR, actual: T0 + h * HOUR, kind: "scheduled" });
const runOf = (h: number) => ({ runId: `s:${new Date(T0 + h * HOUR).toISOString()}`, fire: scheduled(h) });
const trigger = (at: number, requestId: string): PendingFire => ({ nominal: at, actual: at, kind: "trigger", requestId, timed: true });

describe("a trigger buffered before trigger ids carried their time (stored state)", () => {
  it("starts under the id its answer gave, {schedule_id}:trigger:{request_id}", () => {
    const policy = { overlap: "BUFFER_ONE" as const };
    const stored: PendingFire = { nominal: T0 + HOUR + 60_000, actual: T0 + HOUR + 60_000, kind: "trigger", requestId: "old" };
    const s: ScheduleState = { ...initialState(T0, false, ""), lastProcessed: T0 + HOUR, lastNominal: T0 + HOUR, running: [runOf(1)], buffer: [stored] };
    const closed = runClosed(ctx(policy, T0 + HOUR + 120_000), s, runOf(1).runId, "completed", null);
    expect(closed.start.map((x) => x.runId)).toEqual(["s:trigger:old"]);
  });
});

describe("fires waiting while the schedule is not active", () => {
  it("a trigger while paused runs now; the scheduled fire that waited before the pause keeps waiting for the resume", () => {
    const policy = { overlap: "BUFFER_ONE" as const };
    // 02:00 waited for 01:00's run; the schedule was paused, then 01:00 closed: 02:00 still waits.
    const s: ScheduleState = { ...initialState(T0, false, ""), status: "paused", lastProcessed: T0 + 2 * HOUR, lastNominal: T0 + HOUR, buffer: [scheduled(2)], counters: { fired: 1, skipped_overlap: 0, skipped_catchup: 0, failed: 0 } };
    const now = T0 + 2 * HOUR + 60_000;
    const t = startExtra(ctx(policy, now), s, [trigger(now, "now")]);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T02:01:00.000Z:trigger:now"]);
    expect(t.state.buffer).toEqual([scheduled(2)]);
    expect(t.state.status).toBe("paused");
    // The resume (after the trigger's run closed) starts it.
    const closed = runClosed(ctx(policy, now + 1_000), t.state, t.start[0]!.runId, "completed", null);
    expect(closed.start).toEqual([]);
    const resumed = tick(ctx(policy, now + 2_000), { ...closed.state, status: "active" });
    expect(resumed.start.map((x) => x.runId)).toEqual(["s:2027-01-04T02:00:00.000Z"]);
  });

  for (const status of ["paused", "completed"] as const) {
    it(`a trigger waiting for the slot of a ${status} schedule starts when the open run closes`, () => {
      const policy = { overlap: "BUFFER_ONE" as const };
      const s: ScheduleState = { ...initialState(T0, false, ""), status, lastProcessed: T0 + HOUR, lastNominal: T0 + HOUR, running: [runOf(1)] };
      const now = T0 + HOUR + 60_000;
      const t = startExtra(ctx(policy, now), s, [trigger(now, "wait")]);
      expect(t.state.buffer).toHaveLength(1);
      const closed = runClosed(ctx(policy, now + 1_000), t.state, runOf(1).runId, "completed", null);
      expect(closed.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:01:00.000Z:trigger:wait"]);
      expect(closed.state.buffer).toEqual([]);
      expect(closed.state.status).toBe(status);
      expect(closed.state.counters.fired).toBe(1);
    });
  }
});

describe("fires held over a pause meet the fires decided while paused", () => {
  // 01:00's run is open, 02:00 waits for it; the schedule pauses (02:00 is held), a trigger comes.
  const paused = (extra: Partial<ScheduleState> = {}): ScheduleState => ({
    ...initialState(T0, false, ""),
    status: "paused",
    lastProcessed: T0 + 2 * HOUR,
    lastNominal: T0 + HOUR,
    running: [runOf(1)],
    buffer: [scheduled(2)],
    counters: { fired: 1, skipped_overlap: 0, skipped_catchup: 0, failed: 0 },
    ...extra,
  });
  const now = T0 + 2 * HOUR + 60_000;
  const trig = trigger(now, "t");
  const trigRun = "s:2027-01-04T02:01:00.000Z:trigger:t";

  it("BUFFER_ONE: a trigger answered buffered while paused keeps its place at the resume; the held fire is the one skipped", () => {
    const policy = { overlap: "BUFFER_ONE" as const };
    const t = startExtra(ctx(policy, now), paused(), [trig]);
    expect(t.outcomes.map((o) => o.kind)).toEqual(["buffered"]);
    const resumed = tick(ctx(policy, now + 1_000), { ...t.state, status: "active" });
    expect(resumed.state.buffer).toEqual([trig]);
    expect(resumed.outcomes).toEqual([{ kind: "skipped_overlap", fire: scheduled(2) }]);
    expect(resumed.state.counters.skipped_overlap).toBe(1);
    const closed = runClosed(ctx(policy, now + 2_000), resumed.state, runOf(1).runId, "completed", null);
    expect(closed.start.map((x) => x.runId)).toEqual([trigRun]);
    expect(closed.state.buffer).toEqual([]);
  });

  it("BUFFER_ALL: both run, the trigger first (it was decided while the held fire was out of the decision)", () => {
    const policy = { overlap: "BUFFER_ALL" as const };
    const t = startExtra(ctx(policy, now), paused(), [trig]);
    const resumed = tick(ctx(policy, now + 1_000), { ...t.state, status: "active" });
    expect(resumed.state.buffer).toEqual([trig, scheduled(2)]);
    const first = runClosed(ctx(policy, now + 2_000), resumed.state, runOf(1).runId, "completed", null);
    expect(first.start.map((x) => x.runId)).toEqual([trigRun]);
    const second = runClosed(ctx(policy, now + 3_000), first.state, trigRun, "completed", null);
    expect(second.start.map((x) => x.runId)).toEqual([runOf(2).runId]);
    expect(second.state.counters.skipped_overlap).toBe(0);
  });

  it("CANCEL_OTHER: the trigger, newer, takes the held fire's place at once; after the resume nothing cancels the trigger's run", () => {
    const policy = { overlap: "CANCEL_OTHER" as const };
    const s = paused({ running: [{ ...runOf(1), cancelRequested: true }] });
    const t = startExtra(ctx(policy, now), s, [trig]);
    expect(t.state.buffer).toEqual([trig]);
    expect(t.outcomes).toEqual([{ kind: "skipped_overlap", fire: scheduled(2) }, { kind: "buffered", fire: trig }]);
    expect(t.cancel).toEqual([]); // already asked
    const closed = runClosed(ctx(policy, now + 1_000), t.state, runOf(1).runId, "cancelled", null);
    expect(closed.start.map((x) => x.runId)).toEqual([trigRun]);
    const resumed = tick(ctx(policy, now + 2_000), { ...closed.state, status: "active" });
    expect(resumed.cancel).toEqual([]);
    expect(resumed.start).toEqual([]);
    expect(resumed.state.running.map((r) => r.runId)).toEqual([trigRun]);
  });

  it("a trigger under TERMINATE_OTHER drops the held fire with the run it terminates; one under SKIP that is skipped leaves it held", () => {
    const policy = { overlap: "BUFFER_ONE" as const };
    const t = startExtra(ctx(policy, now), paused(), [{ ...trig, overlap: "TERMINATE_OTHER" }]);
    expect(t.terminate).toEqual([runOf(1).runId]);
    expect(t.start.map((x) => x.runId)).toEqual([trigRun]);
    expect(t.state.buffer).toEqual([]);
    expect(t.state.counters.skipped_overlap).toBe(1);
    const skipped = startExtra(ctx({ overlap: "CANCEL_OTHER" }, now), paused(), [{ ...trig, overlap: "SKIP" }]);
    expect(skipped.outcomes).toEqual([{ kind: "skipped_overlap", fire: { ...trig, overlap: "SKIP" } }]);
    expect(skipped.state.buffer).toEqual([scheduled(2)]);
  });
});

