import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { LIMITS } from "../../../src/core/limits.ts";
import { defaultRetryDelay, initialState, runClosed, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { addRetry } from "../../../src/core/schedule/retry-queue.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// DESIGN "Failure": retry_max re-fires a failed run for the same nominal time. A retry waits its
// backoff while the schedule goes on firing, so a later fire can fail before an earlier fire's
// retry has run: each fire keeps its own retries.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const M = 60_000;
const HOUR = 60 * M;

function ctx(policy: Partial<SchedulePolicy>, now: number) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

const id = (h: number, suffix = "") => `s:${new Date(T0 + h * HOUR).toISOString()}${suffix}`;

describe("retries of two fires pending at once", () => {
  it("a later fire failing while an earlier fire's retry waits does not drop that retry", () => {
    // Each retry waits 50 minutes: 01:00 fails at 01:05 (retry at 01:55), 02:00 would come first were it not.
    const policy = { retry_max: 1, retry_delay_seconds: 90 * 60 };
    let s: ScheduleState = initialState(T0, false, "");
    let t = tick(ctx(policy, T0 + HOUR), s);
    t = runClosed(ctx(policy, T0 + HOUR + 5 * M), t.state, id(1), "failed", "boom");
    expect(t.state.retry).toMatchObject({ nominal: T0 + HOUR, at: T0 + 2 * HOUR + 35 * M });
    // 02:00 starts (no run open) and fails at 02:05, before 01:00's retry (02:35) has run.
    t = tick(ctx(policy, T0 + 2 * HOUR), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([id(2)]);
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 5 * M), t.state, id(2), "failed", "boom");
    s = t.state;
    // Both retries run, each once, 01:00's first (its time comes first).
    const started: string[] = [];
    for (let now = T0 + 2 * HOUR + 5 * M; now <= T0 + 5 * HOUR; now += M) {
      t = tick(ctx(policy, now), s);
      for (const x of t.start) {
        started.push(x.runId);
        t = { ...t, ...runClosed(ctx(policy, now), t.state, x.runId, "completed", null) };
      }
      s = t.state;
    }
    expect(started.filter((r) => r.includes(":retry-"))).toEqual([id(1, ":retry-1"), id(2, ":retry-1")]);
  });

  it("ALLOW_ALL: runs open together that fail together are each retried, at their time", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 60 };
    // 01:00 and 02:00 are caught up together and both fail in the same minute.
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    expect(t.start.map((x) => x.runId)).toEqual([id(1), id(2)]);
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 1000), t.state, id(2), "failed", "boom");
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 2000), t.state, id(1), "failed", "boom");
    expect(t.nextAlarm).toBe(T0 + 2 * HOUR + 1000 + M);
    // Both are due by 02:01:02: one alarm starts both.
    t = tick(ctx(policy, T0 + 2 * HOUR + 2000 + M), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([id(2, ":retry-1"), id(1, ":retry-1")]);
    expect(t.state.retry).toBeNull();
    expect(t.state.retries).toBeUndefined();
  });

  it("on_failure dead drops every waiting retry", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 600, on_failure: "dead" as const };
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 1000), t.state, id(1), "failed", "boom");
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 2000), t.state, id(2), "failed", "boom");
    t = tick(ctx(policy, T0 + 2 * HOUR + 1000 + 10 * M), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 11 * M), t.state, id(1, ":retry-1"), "failed", "still");
    expect(t.state).toMatchObject({ status: "dead", retry: null });
    expect(t.state.retries).toBeUndefined();
    expect(t.nextAlarm).toBeNull();
  });

  it("keeps at most LIMITS.retriesCap waiting (the schedule's state is one row): the one due last goes", () => {
    let s: ScheduleState = initialState(T0, false, "");
    for (let i = 0; i <= LIMITS.retriesCap; i++) s = addRetry(s, { nominal: T0 + i * M, actual: T0 + i * M, kind: "retry", retry: 1, at: T0 + HOUR + i * M });
    expect(s.retry?.nominal).toBe(T0);
    expect(s.retries).toHaveLength(LIMITS.retriesCap - 1);
    expect(s.retries!.at(-1)!.nominal).toBe(T0 + (LIMITS.retriesCap - 1) * M);
  });

  it.each(["BUFFER_ONE", "BUFFER_ALL"] as const)("%s: a due retry takes the slot before a waiting fire, so a busy schedule does not starve it", (overlap) => {
    const policy = { overlap, retry_max: 1, retry_delay_seconds: 45 * 60 };
    // 01:00 fails at 01:30, its retry due at 02:15; 02:00 starts first and runs past 03:00, which waits.
    let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
    t = runClosed(ctx(policy, T0 + HOUR + 30 * M), t.state, id(1), "failed", "boom");
    t = tick(ctx(policy, T0 + 2 * HOUR), t.state);
    expect(t.start.map((x) => x.runId)).toEqual([id(2)]);
    t = tick(ctx(policy, T0 + 3 * HOUR), t.state);
    expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 3 * HOUR]);
    // 02:00 closes at 03:10: the retry, due since 02:15, starts; 03:00 keeps waiting, and starts next.
    t = runClosed(ctx(policy, T0 + 3 * HOUR + 10 * M), t.state, id(2), "completed", null);
    expect(t.start.map((x) => x.runId)).toEqual([id(1, ":retry-1")]);
    expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 3 * HOUR]);
    expect(t.state.retry).toBeNull();
    t = runClosed(ctx(policy, T0 + 3 * HOUR + 20 * M), t.state, id(1, ":retry-1"), "completed", null);
    expect(t.start.map((x) => x.runId)).toEqual([id(3)]);
  });

  // A simulation: every 5 minutes, runs of 0-19 minutes, 60% of them failing for 500 minutes,
  // then all succeeding. Every failed run that has retries left gets its next attempt by the end.
  it.each(["SKIP", "BUFFER_ONE", "BUFFER_ALL", "ALLOW_ALL"] as const)("%s: every failed run with retries left is retried, however busy the schedule", (overlap) => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "*/5 * * * *" }), { createdAt: T0 });
    for (let seed = 1; seed <= 8; seed++) {
      let x = seed;
      const random = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const policy = { ...DEFAULT_SCHEDULE_POLICY, overlap, retry_max: 2, retry_delay_seconds: 60 + Math.floor(random() * 600) };
      const at = (now: number) => ({ spec, scheduleId: "s", policy, now });
      let s: ScheduleState = initialState(T0, false, "");
      const open = new Map<string, number>();
      const started = new Set<string>();
      const owed: string[] = [];
      const track = (now: number, starts: readonly { runId: string }[]) => {
        for (const { runId } of starts) {
          started.add(runId);
          open.set(runId, now + Math.floor(random() * 20) * M);
        }
      };
      for (let now = T0; now < T0 + 900 * M; now += 30_000) {
        const t = tick(at(now), s);
        s = t.state;
        track(now, t.start);
        for (const [runId, closes] of [...open]) {
          if (closes > now) continue;
          open.delete(runId);
          const failed = now < T0 + 500 * M && random() < 0.6;
          const c = runClosed(at(now), s, runId, failed ? "failed" : "completed", null);
          s = c.state;
          track(now, c.start);
          const retry = /:retry-(\d+)$/.exec(runId);
          if (failed && Number(retry?.[1] ?? 0) < 2) owed.push(retry ? runId.replace(/\d+$/, String(Number(retry[1]) + 1)) : `${runId}:retry-1`);
        }
      }
      expect(owed.length, `seed ${seed}`).toBeGreaterThan(10);
      expect(owed.filter((r) => !started.has(r)), `seed ${seed}`).toEqual([]);
      expect(s.retry).toBeNull();
    }
  });
});

describe("a due retry under ALLOW_ALL while a fire waits to cancel the open runs", () => {
  it("waits for that fire's run instead of being dropped with the runs cancelled", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 60 };
    // 01:00 and 02:00 run together; 01:00 fails and its retry is due at 02:11.
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 10 * M), t.state, id(1), "failed", "boom");
    expect(t.state.retry).toMatchObject({ nominal: T0 + HOUR, at: T0 + 2 * HOUR + 11 * M });
    // A trigger under CANCEL_OTHER asks 02:00 to cancel and waits for its slot.
    const now = T0 + 2 * HOUR + 10 * M;
    const x = startExtra(ctx(policy, now), t.state, [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true, overlap: "CANCEL_OTHER" }]);
    expect(x.cancel).toEqual([id(2)]);
    // The retry comes due while 02:00 is still closing: it is not skipped by overlap.
    t = tick(ctx(policy, T0 + 2 * HOUR + 12 * M), x.state);
    expect(t.outcomes.filter((o) => o.kind === "skipped_overlap")).toEqual([]);
    expect(t.state.retry).toMatchObject({ nominal: T0 + HOUR });
    // 02:00 closes: the trigger takes the slot, and the retry starts beside it (ALLOW_ALL).
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 13 * M), t.state, id(2), "cancelled", null);
    expect(t.start.map((s) => s.runId)).toEqual([`s:${new Date(now).toISOString()}:trigger:manual`, id(1, ":retry-1")]);
    expect(t.state.retry).toBeNull();
  });
});

describe("a trigger's failed run", () => {
  it("is not retried: its failure is counted and on_failure decides at once (pause pauses the schedule)", () => {
    const policy = { retry_max: 3, on_failure: "pause" as const };
    const now = T0 + 10 * M;
    const t = startExtra(ctx(policy, now), initialState(T0, false, ""), [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true }]);
    expect(t.start).toHaveLength(1);
    const closed = runClosed(ctx(policy, now + M), t.state, t.start[0]!.runId, "failed", "boom");
    expect(closed.state).toMatchObject({ status: "paused", retry: null, counters: { failed: 1 } });
    expect(closed.state.note).toBe(`paused after run s:${new Date(now).toISOString()}:trigger:manual failed: boom`);
    expect(closed.outcomes.some((o) => o.kind === "retry_scheduled")).toBe(false);
  });

  it("leaves current_retry as it is while a scheduled fire's retry waits: a trigger's run is no retry chain", () => {
    const policy = { retry_max: 3, retry_delay_seconds: 30 * 60 };
    // 01:00 fails: its retry-1 waits (01:31), current_retry 1.
    let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
    t = runClosed(ctx(policy, T0 + HOUR + M), t.state, id(1), "failed", "boom");
    expect(t.state.currentRetry).toBe(1);
    // A trigger meanwhile fails (on_failure continue): 01:00's retry still waits, and is the first.
    const now = T0 + HOUR + 5 * M;
    const trig = startExtra(ctx(policy, now), t.state, [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true }]);
    t = runClosed(ctx(policy, now + M), trig.state, trig.start[0]!.runId, "failed", "boom");
    expect(t.state.retry).toMatchObject({ nominal: T0 + HOUR, retry: 1 });
    expect(t.state.currentRetry).toBe(1);
    // Under on_failure dead, the trigger's failure drops that retry, and the count goes with it.
    const dead = runClosed(ctx({ ...policy, on_failure: "dead" }, now + M), trig.state, trig.start[0]!.runId, "failed", "boom");
    expect(dead.state).toMatchObject({ status: "dead", retry: null, currentRetry: 0 });
  });

  it.each(["pause", "dead"] as const)("leaves a completed or dead schedule as it is under on_failure %s (neither can be paused or killed); the failure is counted", (onFailure) => {
    const policy = { on_failure: onFailure };
    const now = T0 + 10 * M;
    for (const status of ["completed", "dead"] as const) {
      const before: ScheduleState = { ...initialState(T0, false, ""), status, note: "as it was" };
      const t = startExtra(ctx(policy, now), before, [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true }]);
      const closed = runClosed(ctx(policy, now + M), t.state, t.start[0]!.runId, "failed", "boom");
      expect(closed.state).toMatchObject({ status, note: "as it was", counters: { failed: 1 } });
    }
  });
});

describe("retry_delay_seconds left out (README: the first interval when the spec has intervals, else 60 s)", () => {
  const delay = (spec: Record<string, unknown>) => defaultRetryDelay(compileSpec(ScheduleSpecInput.parse({ timezone: "UTC", ...spec }), { createdAt: T0 }));
  it.each<[string, Record<string, unknown>, number]>([
    ["an interval", { interval_seconds: 600 }, 600],
    ["two intervals: the first", { intervals: [{ every: "15m" }, { every: "1h" }] }, 900],
    ["a cron and an interval: the interval", { cron: "0 9 * * *", intervals: [{ every: "2h" }] }, 7_200],
    ["a cron", { cron: "0 9 * * *" }, 60],
    ["one-shot times", { at: ["2030-01-01T00:00:00Z"] }, 60],
  ])("%s -> %d s", (_what, spec, seconds) => {
    expect(delay(spec)).toBe(seconds);
  });
});

// README "Failure": `dead` fires no more — its waiting retries go. Under ALLOW_ALL (or beside a
// trigger or backfill run) another run can still be open when the schedule goes dead; its failure
// afterwards must not queue a retry the dead schedule would never run (nor one a resume would run,
// when every retry waiting at the death was dropped).
describe("a run that fails once its schedule is dead", () => {
  it("queues no retry: the dead schedule fires no more", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 2, retry_delay_seconds: 60, on_failure: "dead" as const };
    // 01:00 and 02:00 caught up together, both open. A trigger fails: on_failure dead decides at once.
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    expect(t.start.map((x) => x.runId)).toEqual([id(1), id(2)]);
    const now = T0 + 2 * HOUR + M;
    const trig = startExtra(ctx(policy, now), t.state, [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true }]);
    t = runClosed(ctx(policy, now + 1), trig.state, trig.start[0]!.runId, "failed", "boom");
    expect(t.state.status).toBe("dead");
    // 01:00's run fails after that.
    t = runClosed(ctx(policy, now + 2), t.state, id(1), "failed", "boom");
    expect(t.state).toMatchObject({ status: "dead", retry: null, currentRetry: 0, counters: { failed: 2 } });
    expect(t.outcomes.some((o) => o.kind === "retry_scheduled")).toBe(false);
  });
});
