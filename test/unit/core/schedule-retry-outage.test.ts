import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { addRetry, judgeDueRetries, nextRunAt } from "../../../src/core/schedule/retry-queue.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// DESIGN "Catch-up": a fire more than catchup_window_seconds late (its alarm ran late: the platform
// was down) is skipped and counted. A failed fire's retry follows the same rule, judged the first
// time the schedule finds it due; one found due in time waits for a free slot however long.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const S = 1_000;
const M = 60_000;
const HOUR = 60 * M;
const policy: SchedulePolicy = { ...DEFAULT_SCHEDULE_POLICY, retry_max: 2, retry_delay_seconds: 60, catchup_window_seconds: 300 };

function ctx(now: number, extra: Partial<SchedulePolicy> = {}) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...policy, ...extra }, now };
}

const id = (h: number, suffix = "") => `s:${new Date(T0 + h * HOUR).toISOString()}${suffix}`;

/** 01:00 failed at 01:00:01: its retry is due at 01:01:01. */
function failedAt0100(extra: Partial<SchedulePolicy> = {}): ScheduleState {
  const t = tick(ctx(T0 + HOUR, extra), initialState(T0, false, ""));
  return runClosed(ctx(T0 + HOUR + S, extra), t.state, id(1), "failed", "boom").state;
}

describe("a retry whose alarm runs late", () => {
  it("a retry planned after a failure is missable until found due", () => {
    expect(failedAt0100().retry).toMatchObject({ at: T0 + HOUR + 61 * S, missable: true });
  });

  it("within the catch-up window: starts, late", () => {
    const t = tick(ctx(T0 + HOUR + 6 * M), failedAt0100());
    expect(t.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
    expect(t.start[0]!.fire).not.toHaveProperty("missable");
    expect(t.state).toMatchObject({ retry: null, currentRetry: 1, counters: { skipped_catchup: 0 } });
  });

  it("past the window: skipped, counted, recorded as the retry's fire; its chain ends and on_failure does not decide", () => {
    for (const on_failure of ["continue", "pause", "dead"] as const) {
      const t = tick(ctx(T0 + HOUR + 6 * M + 2 * S, { on_failure }), failedAt0100({ on_failure }));
      expect(t.start).toEqual([]);
      expect(t.state).toMatchObject({ status: "active", retry: null, currentRetry: 0, counters: { fired: 1, failed: 1, skipped_catchup: 1 } });
      expect(t.outcomes).toEqual([{ kind: "skipped_catchup", fire: expect.objectContaining({ kind: "retry", retry: 1, nominal: T0 + HOUR }), runId: id(1, ":retry-1") }]);
      expect(t.nextAlarm).toBe(T0 + 2 * HOUR);
    }
  });

  it("past the window of a retry and of the fire after it: both skipped; the fire's plan counts its own", () => {
    const t = tick(ctx(T0 + 2 * HOUR + 6 * M), failedAt0100());
    expect(t.start).toEqual([]);
    expect(t.state.counters).toMatchObject({ skipped_catchup: 2 });
    expect(t.outcomes.map((o) => o.kind)).toEqual(["skipped_catchup", "skipped_catchup"]);
  });

  it("one found due in time and held for a slot (a trigger's run open) runs when the slot frees, however late", () => {
    let s = startExtra(ctx(T0 + HOUR + 30 * S), failedAt0100(), [{ nominal: T0 + HOUR + 30 * S, actual: T0 + HOUR + 30 * S, kind: "trigger", requestId: "x", timed: true }]).state;
    const held = tick(ctx(T0 + HOUR + 61 * S), s);
    expect(held.start).toEqual([]);
    expect(held.state.retry).not.toHaveProperty("missable");
    s = held.state;
    const closed = runClosed(ctx(T0 + HOUR + 40 * M), s, s.running[0]!.runId, "completed", null);
    expect(closed.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
    expect(closed.state.counters.skipped_catchup).toBe(0);
  });

  it("one due behind a retry already waiting for the slot waits in line, however long: no alarm wakes for it meanwhile", () => {
    const trigger = { nominal: T0 + HOUR + 30 * S, actual: T0 + HOUR + 30 * S, kind: "trigger" as const, requestId: "x", timed: true as const };
    let s = startExtra(ctx(T0 + HOUR + 30 * S), failedAt0100(), [trigger]).state;
    s = tick(ctx(T0 + HOUR + 61 * S), s).state;
    // Another fire's retry, due at 01:02 while 01:00's waits for the trigger's run to close.
    s = addRetry(s, { nominal: T0, actual: T0, kind: "retry", retry: 1, at: T0 + HOUR + 2 * M, missable: true });
    const closed = runClosed(ctx(T0 + HOUR + 40 * M), s, s.running[0]!.runId, "completed", null);
    expect(closed.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
    expect(closed.state).toMatchObject({ retry: { nominal: T0, at: T0 + HOUR + 2 * M }, counters: { skipped_catchup: 0 } });
    const next = runClosed(ctx(T0 + HOUR + 50 * M), closed.state, id(1, ":retry-1"), "completed", null);
    expect(next.start.map((x) => x.runId)).toEqual([id(0, ":retry-1")]);
  });

  it("not found due in time and held for a slot: a close delivered past the window skips it, as the alarm would", () => {
    const s = startExtra(ctx(T0 + HOUR + 30 * S), failedAt0100(), [{ nominal: T0 + HOUR + 30 * S, actual: T0 + HOUR + 30 * S, kind: "trigger", requestId: "x", timed: true }]).state;
    const closed = runClosed(ctx(T0 + HOUR + 40 * M), s, s.running[0]!.runId, "completed", null);
    expect(closed.start).toEqual([]);
    expect(closed.state).toMatchObject({ retry: null, currentRetry: 0, counters: { skipped_catchup: 1 } });
    expect(closed.outcomes[0]).toMatchObject({ kind: "skipped_catchup", runId: id(1, ":retry-1") });
  });

  it("CANCEL_OTHER: a retry found due beside a scheduled fire waits for its run, and is not skipped after", () => {
    const cancel = { overlap: "CANCEL_OTHER" as const, retry_delay_seconds: 3_600 };
    // 01:00 fails at 01:00:01; its retry is due at 02:00:01, and the 02:00 alarm runs at 02:00:01.
    const failed = failedAt0100(cancel);
    const t = tick(ctx(T0 + 2 * HOUR + S, cancel), failed);
    expect(t.start.map((x) => x.runId)).toEqual([id(2)]);
    expect(t.state.retry).not.toHaveProperty("missable");
    const closed = runClosed(ctx(T0 + 2 * HOUR + 30 * M, cancel), t.state, id(2), "completed", null);
    expect(closed.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
  });

  it("a retry stored before missable existed is never skipped (as then)", () => {
    const { missable: _missable, ...legacy } = failedAt0100().retry!;
    const t = tick(ctx(T0 + HOUR + HOUR / 2), { ...failedAt0100(), retry: legacy });
    expect(t.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
  });

  it("another fire's chain still under way keeps current_retry", () => {
    // 01:00 and 02:00 caught up together at 02:00 (a 2-hour window for that), both failing.
    const allow = { overlap: "ALLOW_ALL" as const, retry_delay_seconds: 600, catchup_window_seconds: 7_200 };
    let t = tick(ctx(T0 + 2 * HOUR, allow), initialState(T0, false, ""));
    t = runClosed(ctx(T0 + 2 * HOUR + S, allow), t.state, id(1), "failed", "boom");
    t = runClosed(ctx(T0 + 2 * HOUR + 9 * M, allow), t.state, id(2), "failed", "boom");
    // 01:00's retry (02:10:01) is past the window at 02:16; 02:00's (02:19) still waits.
    const r = judgeDueRetries(t.state, T0 + 2 * HOUR + 16 * M, 300);
    expect(r.late.map((x) => x.nominal)).toEqual([T0 + HOUR]);
    expect(r.state).toMatchObject({ retry: { nominal: T0 + 2 * HOUR, missable: true }, currentRetry: 1 });
  });

  it("a one-shot whose only retry is skipped completes, as when its only fire is", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ at: [new Date(T0 + HOUR).toISOString()] }), { createdAt: T0 });
    const c = (now: number) => ({ spec, scheduleId: "s", policy, now });
    let t = tick(c(T0 + HOUR), initialState(T0, false, ""));
    t = runClosed(c(T0 + HOUR + S), t.state, id(1), "failed", "boom");
    expect(t.state).toMatchObject({ status: "active", retry: { at: T0 + HOUR + 61 * S } });
    t = tick(c(T0 + HOUR + 7 * M), t.state);
    expect(t.start).toEqual([]);
    expect(t.state).toMatchObject({ status: "completed", retry: null, counters: { skipped_catchup: 1 } });
    expect(t.nextAlarm).toBeNull();
  });

  it("next_run_at passes over a retry the next alarm will skip", () => {
    const s = failedAt0100();
    expect(nextRunAt(s, T0 + 2 * HOUR, T0 + HOUR + 2 * M, 300)).toBe(T0 + HOUR + 61 * S);
    expect(nextRunAt(s, T0 + 2 * HOUR, T0 + HOUR + 7 * M, 300)).toBe(T0 + 2 * HOUR);
  });
});
