import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { nextFire } from "../../../src/core/fire-times.ts";
import { delayedAtChange, resumeDelayed, withDelayed } from "../../../src/core/schedule/respec-delayed.ts";
import { initialState, runClosed, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { planPrepare } from "../../../src/core/schedule/prepare.ts";
import { repeatRuns, replanned } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// A spec change re-plans from now, in nominal time. A fire of the old spec whose nominal time had
// come and whose jittered actual time had not is the old spec's fire, merely delayed: the change
// holds it, and it starts once, at its actual time (core/schedule/respec-delayed.ts).

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;
const compile = (input: Record<string, unknown>): CompiledSpec => compileSpec(ScheduleSpecInput.parse(input), { createdAt: T0 });
const hourly = compile({ cron: "0 * * * *", jitter_seconds: 1800 });
const daily = compile({ cron: "30 9 * * *" });
const policy = (p: Partial<SchedulePolicy> = {}): SchedulePolicy => ({ ...DEFAULT_SCHEDULE_POLICY, ...p });
const ctx = (spec: CompiledSpec, now: number, p: Partial<SchedulePolicy> = {}) => ({ spec, scheduleId: "s", policy: policy(p), now });

// 01:00's fire, jittered some minutes later (the offset is a hash of schedule id and nominal time).
const fire = nextFire(hourly, "s", T0 + 1)!;
const during = fire.nominal + Math.floor((fire.actual - fire.nominal) / 2);

describe("a spec change while a fire waits on its jitter", () => {
  it("the example fire does wait: its actual time is minutes after its nominal time", () => {
    expect(fire.nominal).toBe(T0 + HOUR);
    expect(fire.actual - fire.nominal).toBeGreaterThan(60_000);
  });

  it("holds the old spec's fire, which starts once at its actual time, uses none of the new repeat_count, and wakes the schedule for it", () => {
    const before = initialState(T0, false, "");
    const delayed = delayedAtChange(hourly, "s", before, "SKIP", during);
    expect(delayed).toEqual({ nominal: fire.nominal, actual: fire.actual, kind: "scheduled", prior: true, timezone: "UTC", last: null });
    const s = replanned(before, during, delayed);
    expect(s.lastProcessed).toBe(during);
    let t = tick(ctx(daily, during), s);
    expect(t.start).toEqual([]);
    expect(t.nextAlarm).toBe(fire.actual);
    t = tick(ctx(daily, fire.actual), t.state);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z"]);
    expect(t.state.delayed).toBeUndefined();
    expect(repeatRuns(daily, t.state)).toBe(0);
    expect(t.state.lastNominal).toBe(fire.nominal);
    // Once: the next tick starts nothing more, and the new spec's 09:30 is next.
    const after = runClosed(ctx(daily, fire.actual + 1000), t.state, "s:2027-01-04T01:00:00.000Z", "completed", null);
    expect(after.start).toEqual([]);
    expect(after.nextAlarm).toBe(T0 + 9.5 * HOUR);
  });

  it("holds nothing when no fire waits: no jitter, the actual time has come, or the schedule fires no more", () => {
    const s = initialState(T0, false, "");
    expect(delayedAtChange(compile({ cron: "0 * * * *" }), "s", s, "SKIP", T0 + HOUR + 1)).toBeNull();
    expect(delayedAtChange(hourly, "s", s, "SKIP", fire.actual)).toBeNull();
    expect(delayedAtChange(hourly, "s", { ...s, status: "dead" }, "SKIP", during)).toBeNull();
    expect(delayedAtChange(hourly, "s", { ...s, status: "completed" }, "SKIP", during)).toBeNull();
    const once = compile({ cron: "0 * * * *", jitter_seconds: 1800, repeat_count: 1 });
    expect(delayedAtChange(once, "s", { ...s, repeatRuns: 1 }, "SKIP", during)).toBeNull();
    // A paused schedule holds it too: a resume before its time runs it.
    expect(delayedAtChange(hourly, "s", { ...s, status: "paused" }, "SKIP", during)).not.toBeNull();
  });

  it("paused: the delayed fire does not start while paused; a resume without catch-up passes it over once its time came, keeps it before", () => {
    const delayed = delayedAtChange(hourly, "s", initialState(T0, true, ""), "SKIP", during);
    const s: ScheduleState = replanned(initialState(T0, true, ""), during, delayed);
    expect(tick(ctx(daily, fire.actual), s).start).toEqual([]);
    expect(resumeDelayed(s, fire.actual - 1)).toEqual({ state: s, missed: 0 });
    const late = resumeDelayed(s, fire.actual);
    expect(late.missed).toBe(1);
    expect(late.state.delayed).toBeUndefined();
  });

  it("is skipped by catch-up when the schedule wakes more than the window after its actual time", () => {
    const s = replanned(initialState(T0, false, ""), during, delayedAtChange(hourly, "s", initialState(T0, false, ""), "SKIP", during));
    const t = tick(ctx(daily, fire.actual + 20_000, { catchup_window_seconds: 10 }), s);
    expect(t.start).toEqual([]);
    expect(t.state.counters.skipped_catchup).toBe(1);
    expect(t.state.delayed).toBeUndefined();
  });

  it("no run of the new spec is prepared while a delayed fire is to start before it", () => {
    const s = replanned(initialState(T0, false, ""), during, delayedAtChange(hourly, "s", initialState(T0, false, ""), "SKIP", during));
    expect(planPrepare(ctx(compile({ cron: "*/5 * * * *" }), during), s, 60 * 60_000, false)).toEqual({ kind: "none" });
  });

  it("a dead schedule drops it", () => {
    const s = replanned({ ...initialState(T0, false, ""), running: [{ runId: "r", fire: { nominal: T0, actual: T0, kind: "scheduled" } }] }, during, delayedAtChange(hourly, "s", initialState(T0, false, ""), "SKIP", during));
    const t = runClosed(ctx(daily, during + 1, { on_failure: "dead" }), s, "r", "failed", "boom");
    expect(t.state.status).toBe("dead");
    expect(t.state.delayed).toBeUndefined();
  });
});

describe("a delayed fire beside a due retry", () => {
  // CANCEL_OTHER and TERMINATE_OTHER keep only the newest fire: a retry decided beside a newer fire
  // would be dropped by it (and its failed fire forgotten, on_failure never applied). The delayed
  // fire is such a fire: it starts first, and the retry waits for its run to close.
  it.each(["CANCEL_OTHER", "TERMINATE_OTHER"] as const)("%s: the retry is not dropped; it starts once the delayed fire's run has closed", (overlap) => {
    const held = delayedAtChange(hourly, "s", initialState(T0, false, ""), overlap, during);
    const retry = { nominal: T0 - HOUR, actual: T0 - HOUR, kind: "retry" as const, retry: 1, at: fire.actual - 1000 };
    const s: ScheduleState = { ...replanned(initialState(T0, false, ""), during, held), retry };
    const t = tick(ctx(daily, fire.actual, { overlap, retry_max: 3 }), s);
    expect(t.outcomes.filter((o) => o.kind === "skipped_overlap")).toEqual([]);
    expect(t.state.counters.skipped_overlap).toBe(0);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z"]);
    expect(t.state.retry).toEqual(retry);
    const after = runClosed(ctx(daily, fire.actual + 1000, { overlap, retry_max: 3 }), t.state, "s:2027-01-04T01:00:00.000Z", "completed", null);
    expect(after.start.map((x) => x.runId)).toEqual(["s:2027-01-03T23:00:00.000Z:retry-1"]);
  });
});

describe("the next fires describe and the index show", () => {
  const s = replanned(initialState(T0, false, ""), during, delayedAtChange(hourly, "s", initialState(T0, false, ""), "SKIP", during));
  const later = [{ nominal: T0 + 9.5 * HOUR, actual: T0 + 9.5 * HOUR }];

  it("list the delayed fire first, also once its time has come and the alarm has not run yet", () => {
    expect(withDelayed(later, s, fire.actual + 1000, 10, 60)).toEqual([{ nominal: fire.nominal, actual: fire.actual }, ...later]);
  });

  it("do not list it once the catch-up window will skip it (the alarm counts it in skipped_catchup)", () => {
    const now = fire.actual + 20_000;
    expect(tick(ctx(daily, now, { catchup_window_seconds: 10 }), s).start).toEqual([]);
    expect(withDelayed(later, s, now, 10, 10)).toEqual(later);
  });
});

describe("a delayed fire's run that fails", () => {
  it("is retried in its old spec's zone (the retry keeps its payload)", () => {
    const s = replanned(initialState(T0, false, ""), during, delayedAtChange(hourly, "s", initialState(T0, false, ""), "SKIP", during));
    const started = tick(ctx(daily, fire.actual, { retry_max: 1 }), s);
    const failed = runClosed(ctx(daily, fire.actual + 1000, { retry_max: 1 }), started.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    expect(failed.state.retry).toMatchObject({ nominal: fire.nominal, kind: "retry", timezone: "UTC" });
  });
});
