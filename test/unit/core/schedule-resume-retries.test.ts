import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { resumeRetries } from "../../../src/core/schedule/retry-queue.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// A resume decides a failed fire's retry that came due while the schedule was paused as it does a
// fire due then (README "pause/resume"): not run without catch-up, run within the window with it.
// One due before the pause was only waiting for a run to close, as a buffered fire the pause holds.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const S = 1_000;
const M = 60_000;
const HOUR = 60 * M;
const policy: SchedulePolicy = { ...DEFAULT_SCHEDULE_POLICY, retry_max: 1, retry_delay_seconds: 60 };

function ctx(now: number, extra: Partial<SchedulePolicy> = {}) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...policy, ...extra }, now };
}

const id = (h: number, suffix = "") => `s:${new Date(T0 + h * HOUR).toISOString()}${suffix}`;

/** 01:00 failed at 01:00:01: its retry is due at 01:01:01. */
function failedAt0100(): ScheduleState {
  const t = tick(ctx(T0 + HOUR), initialState(T0, false, ""));
  return runClosed(ctx(T0 + HOUR + S), t.state, id(1), "failed", "boom").state;
}

describe("resumeRetries", () => {
  it("a retry due after the pause: not run without catch-up, its chain ended", () => {
    const s = { ...failedAt0100(), status: "paused" as const, pausedAt: T0 + HOUR + 30 * S };
    const r = resumeRetries(s, T0 + HOUR + 10 * M, null);
    expect(r).toMatchObject({ missed: 1, late: 0, state: { retry: null, currentRetry: 0 } });
  });

  it("with catch-up: kept within the window, skipped past it", () => {
    const s = { ...failedAt0100(), status: "paused" as const, pausedAt: T0 + HOUR + 30 * S };
    expect(resumeRetries(s, T0 + HOUR + 3 * M, 300)).toMatchObject({ missed: 0, late: 0, state: { retry: { at: T0 + HOUR + 61 * S }, currentRetry: 1 } });
    expect(resumeRetries(s, T0 + HOUR + 10 * M, 300)).toMatchObject({ missed: 0, late: 1, state: { retry: null, currentRetry: 0 } });
  });

  it("a retry not due yet at the resume waits for its time", () => {
    const s = { ...failedAt0100(), status: "paused" as const, pausedAt: T0 + HOUR + 30 * S };
    expect(resumeRetries(s, T0 + HOUR + 45 * S, null)).toMatchObject({ missed: 0, state: { retry: { at: T0 + HOUR + 61 * S } } });
  });

  it("a retry due before the pause, held by an open run, runs at the resume", () => {
    // A trigger's run holds the slot at 01:01:01; the schedule pauses at 01:02 with the retry waiting.
    let s = failedAt0100();
    s = startExtra(ctx(T0 + HOUR + 50 * S), s, [{ nominal: T0 + HOUR + 50 * S, actual: T0 + HOUR + 50 * S, kind: "trigger", requestId: "x", timed: true }]).state;
    const t = tick(ctx(T0 + HOUR + 61 * S), s);
    expect(t.start).toEqual([]);
    s = { ...t.state, status: "paused", pausedAt: T0 + HOUR + 2 * M };
    const r = resumeRetries(s, T0 + HOUR + 10 * M, null);
    expect(r).toMatchObject({ missed: 0, state: { retry: { at: T0 + HOUR + 61 * S }, currentRetry: 1 } });
  });

  it("a run failing into on_failure pause records when it paused", () => {
    const t = tick(ctx(T0 + HOUR, { on_failure: "pause", retry_max: 0 }), initialState(T0, false, ""));
    const closed = runClosed(ctx(T0 + HOUR + 5 * S, { on_failure: "pause", retry_max: 0 }), t.state, id(1), "failed", "boom");
    expect(closed.state).toMatchObject({ status: "paused", pausedAt: T0 + HOUR + 5 * S });
  });
});
