import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { clampCatchupWindow, passOverMissed, planCatchup, startDeadline, type CatchupPlan } from "../../../src/core/catchup.ts";
import { fires } from "../../../src/core/fire-times.ts";
import { decideOverlap, OVERLAP_POLICIES, type OverlapDecision, type OverlapPolicy } from "../../../src/core/overlap.ts";
import { activityRetryDelaySeconds, alarmRetryDelayMs, DEFAULT_RETRY_POLICY, retryDecision, scheduleRetryDelaySeconds, type RetryPolicy } from "../../../src/core/backoff.ts";
import { scheduleRunId } from "../../../src/core/run-id.ts";
import { hash32, jitterOffset } from "../../../src/core/jitter.ts";

const ms = (s: string): number => Date.parse(s);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: ms("2020-01-01T00:00:00Z") });
}

describe("clampCatchupWindow", () => {
  it.each<[number | undefined, number]>([
    [undefined, 86_400],
    [Number.NaN, 86_400],
    [0, 10],
    [-100, 10],
    [5, 10],
    [10, 10],
    [11, 11],
    [3_600, 3_600],
    [86_400, 86_400],
    [366 * 86_400, 366 * 86_400],
    [366 * 86_400 + 1, 366 * 86_400],
    [10 * 365 * 86_400, 366 * 86_400],
  ])("%s -> %s", (input, expected) => {
    expect(clampCatchupWindow(input)).toBe(expected);
  });

  it("the upper clamp is at least a year", () => {
    expect(clampCatchupWindow(1e12)).toBeGreaterThanOrEqual(365 * 86_400);
  });
});

describe("planCatchup", () => {
  const everyMinute = compile({ cron: "* * * * *" });
  const now = ms("2026-01-01T10:00:00Z");

  it("everything since the last processed fire is due when inside the window", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - 5 * MIN, now });
    expect(plan.due.map((f) => f.nominal)).toEqual([4, 3, 2, 1, 0].map((k) => now - k * MIN));
    expect(plan.due.every((f) => f.actual === f.nominal)).toBe(true);
    expect(plan).toMatchObject({ skippedTooOld: 0, cursor: now, more: false, nextFire: { nominal: now + MIN, actual: now + MIN } });
  });

  it("nothing due: cursor stays, the next fire is reported", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now, now: now + 30_000 });
    expect(plan).toEqual({ due: [], skippedTooOld: 0, cursor: now, more: false, nextFire: { nominal: now + MIN, actual: now + MIN } });
  });

  it("fires older than now - window are skipped and counted, the boundary is kept", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - 600 * MIN, now, windowSeconds: 3_600 });
    // 600 fires: 09:00..10:00 (61) are within the hour; 00:01..08:59 (539) are too old.
    expect(plan.skippedTooOld).toBe(539);
    expect(plan.due).toHaveLength(61);
    expect(plan.due[0]!.nominal).toBe(now - HOUR);
    expect(plan.due[60]!.nominal).toBe(now);
    expect(plan.cursor).toBe(now);
    expect(plan.more).toBe(false);
  });

  it("startDeadline is the same boundary: a fire exactly the window late is due, one millisecond more is skipped (clamped like the planner's window)", () => {
    // The fire at `now`, planned exactly 10 s late and 1 ms more.
    expect(startDeadline(now, 10)).toBe(now + 10_000);
    expect(planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - MIN, now: now + 10_000, windowSeconds: 10 })).toMatchObject({ skippedTooOld: 0 });
    expect(planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - MIN, now: now + 10_001, windowSeconds: 10 })).toMatchObject({ skippedTooOld: 1 });
    const fire = now - 10_000;
    expect(startDeadline(fire, 1)).toBe(now); // below the 10 s minimum
    expect(startDeadline(fire, undefined)).toBe(fire + 86_400_000);
  });

  it("the default window is one day", () => {
    const hourly = compile({ cron: "0 * * * *" });
    const at = ms("2026-01-03T00:00:00Z");
    const plan = planCatchup({ spec: hourly, scheduleId: "s", lastProcessed: ms("2026-01-01T00:00:00Z"), now: at });
    // 48 fires; Jan 1 01:00..23:00 (23) are older than one day; Jan 2 00:00..Jan 3 00:00 (25) are due.
    expect(plan.skippedTooOld).toBe(23);
    expect(plan.due).toHaveLength(25);
    expect(plan.due[0]!.nominal).toBe(ms("2026-01-02T00:00:00Z"));
  });

  it("a window below 10 s is clamped up to 10 s", () => {
    const everySecond = compile({ cron: "* * * * * *" });
    const plan = planCatchup({ spec: everySecond, scheduleId: "s", lastProcessed: now - 60_000, now, windowSeconds: 1 });
    expect(plan.due.map((f) => (f.nominal - now) / 1000)).toEqual([-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0]);
    expect(plan.skippedTooOld).toBe(49);
  });

  it("a window above a year is clamped down to 366 days", () => {
    const daily = compile({ cron: "0 0 * * *" });
    const at = ms("2027-06-01T00:00:00Z");
    const plan = planCatchup({ spec: daily, scheduleId: "s", lastProcessed: at - 400 * DAY, now: at, windowSeconds: 10 * 365 * 86_400, batch: 1_000 });
    // 400 fires at -399d..0d; those before -366d (33 of them) are too old.
    expect(plan.skippedTooOld).toBe(33);
    expect(plan.due).toHaveLength(367);
    expect(plan.due[0]!.nominal).toBe(at - 366 * DAY);
  });

  it("hands back at most `batch` due fires, then more=true; repeated plans work the backlog off", () => {
    const plans: CatchupPlan[] = [];
    let cursor = now - 300 * MIN;
    for (let i = 0; i < 10; i++) {
      const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: cursor, now, batch: 100 });
      plans.push(plan);
      cursor = plan.cursor;
      if (!plan.more) break;
    }
    expect(plans.map((p) => [p.due.length, p.more])).toEqual([[100, true], [100, true], [100, false]]);
    expect(plans[0]!.nextFire).toBeNull();
    expect(plans[0]!.cursor).toBe(now - 200 * MIN);
    expect(plans[2]!.nextFire).toEqual({ nominal: now + MIN, actual: now + MIN });
    const all = plans.flatMap((p) => p.due.map((f) => f.nominal));
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => now - (299 - i) * MIN));
  });

  it("the default batch is 100", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - 300 * MIN, now });
    expect(plan.due).toHaveLength(100);
    expect(plan.more).toBe(true);
  });

  it("a batch filled by exactly the last due fire is not `more`", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - 100 * MIN, now, batch: 100 });
    expect(plan.due).toHaveLength(100);
    expect(plan.more).toBe(false);
    expect(plan.nextFire?.nominal).toBe(now + MIN);
  });

  it("fires too old for the window are jumped over in one plan, not examined one scanLimit at a time", () => {
    const plan = planCatchup({ spec: everyMinute, scheduleId: "s", lastProcessed: now - 1000 * MIN, now, windowSeconds: 60, scanLimit: 100 });
    expect(plan).toMatchObject({ skippedTooOld: 998, more: false, cursor: now }); // -999 min .. -2 min
    expect(plan.skippedCapped).toBeUndefined();
    expect(plan.due.map((f) => f.nominal)).toEqual([now - MIN, now]);
  });

  it("scanLimit still bounds the fires examined one by one (those inside the window, and one a jitter could keep in it)", () => {
    // Jitter up to 50 minutes, but less than the minute to the next fire in fact: only the last fire
    // at the window start can still be inside it. It and the 30 minutes of fires after it are
    // examined, 10 per plan.
    const spec = compile({ cron: "* * * * *", jitter_seconds: 3_000 });
    const lastProcessed = now - 1000 * MIN;
    let cursor = lastProcessed;
    let skipped = 0;
    const due: number[] = [];
    let calls = 0;
    for (;;) {
      const plan = planCatchup({ spec, scheduleId: "s", lastProcessed: cursor, now, windowSeconds: 1_800, scanLimit: 10 });
      calls++;
      if (calls > 1) expect(plan.skippedTooOld + plan.due.length).toBeLessThanOrEqual(10);
      skipped += plan.skippedTooOld;
      due.push(...plan.due.map((f) => f.nominal));
      expect(plan.cursor).toBeGreaterThanOrEqual(cursor);
      cursor = plan.cursor;
      if (!plan.more) break;
      expect(calls).toBeLessThan(20);
    }
    // The oracle: every fire whose actual time has come, judged one by one.
    let wantSkipped = 0;
    const wantDue: number[] = [];
    for (const f of fires(spec, "s", lastProcessed)) {
      if (f.actual > now) break;
      if (now > startDeadline(f.actual, 1_800)) wantSkipped++;
      else wantDue.push(f.nominal);
    }
    expect(skipped).toBe(wantSkipped);
    expect(due).toEqual(wantDue);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThanOrEqual(4); // 969 jumped at once; the 31 fires from the window start in tens
  });

  it("a finished spec reports no next fire", () => {
    const oneShot = compile({ at: "2026-01-01T09:59:00Z" });
    const plan = planCatchup({ spec: oneShot, scheduleId: "s", lastProcessed: now - HOUR, now });
    expect(plan.due.map((f) => f.nominal)).toEqual([ms("2026-01-01T09:59:00Z")]);
    expect(plan).toMatchObject({ more: false, nextFire: null, cursor: ms("2026-01-01T09:59:00Z") });
  });

  it("honours jitter: a fire is due when its actual time has come", () => {
    const hourly = compile({ cron: "0 * * * *", jitter_seconds: 3_600 });
    const nominal = ms("2026-01-01T10:00:00Z");
    const j = jitterOffset("jittered", nominal, 3_600_000, nominal + HOUR);
    expect(j).toBeGreaterThan(0);
    const before = planCatchup({ spec: hourly, scheduleId: "jittered", lastProcessed: nominal - HOUR, now: nominal + j - 1 });
    expect(before.due).toEqual([]);
    expect(before.cursor).toBe(nominal - HOUR);
    expect(before.nextFire).toEqual({ nominal, actual: nominal + j });
    const at = planCatchup({ spec: hourly, scheduleId: "jittered", lastProcessed: nominal - HOUR, now: nominal + j });
    expect(at.due).toEqual([{ nominal, actual: nominal + j }]);
    expect(at.cursor).toBe(nominal);
  });

  it("counts a fire's lateness from its actual time: a jitter longer than the catch-up window skips nothing", () => {
    const hourly = compile({ cron: "0 * * * *", jitter_seconds: 3_600 });
    const nominal = ms("2026-01-01T10:00:00Z");
    const j = jitterOffset("jittered", nominal, 3_600_000, nominal + HOUR);
    expect(j).toBeGreaterThan(10_000);
    const onTime = planCatchup({ spec: hourly, scheduleId: "jittered", lastProcessed: nominal - HOUR, now: nominal + j, windowSeconds: 10 });
    expect(onTime).toMatchObject({ due: [{ nominal, actual: nominal + j }], skippedTooOld: 0 });
    const late = planCatchup({ spec: hourly, scheduleId: "jittered", lastProcessed: nominal - HOUR, now: nominal + j + 10_001, windowSeconds: 10 });
    expect(late).toMatchObject({ due: [], skippedTooOld: 1, cursor: nominal });
  });
});

describe("planCatchup near a DST change", () => {
  it("works off an every-second New York schedule's outage on spring-forward day as cheaply as in UTC", () => {
    // Each next() once walked an hour of wasted candidates here: ~20 s for this plan, past a Worker's CPU limit.
    const spec = compile({ cron: "* * * * * *", timezone: "America/New_York" });
    const started = performance.now();
    const plan = planCatchup({ spec, scheduleId: "s", lastProcessed: ms("2026-03-08T12:00:00Z"), now: ms("2026-03-08T12:10:00Z"), windowSeconds: 10 });
    expect(plan.skippedTooOld + plan.due.length).toBe(600);
    expect(plan.due.map((f) => f.nominal).at(-1)).toBe(ms("2026-03-08T12:10:00Z"));
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("passOverMissed: a resume without catch-up", () => {
  const t0 = ms("2027-01-01T00:00:00Z");

  /** A schedule id whose jitter delays the fire at `nominal` by more than 2 ms, and that delay. */
  function jittered(spec: CompiledSpec, nominal: number): { id: string; delay: number } {
    for (let i = 0; ; i++) {
      const id = `s${i}`;
      const f = fires(spec, id, nominal - 1).next().value!;
      if (f.nominal === nominal && f.actual - nominal > 2) return { id, delay: f.actual - nominal };
    }
  }

  it("passes over every fire that came due and counts them", () => {
    const spec = compile({ cron: "0 * * * *" });
    expect(passOverMissed(spec, "s", t0, t0 + 4 * HOUR + 30 * MIN, 100)).toEqual({ missed: 4, cursor: t0 + 4 * HOUR + 30 * MIN });
  });

  it("changes nothing when the cursor is already past now (a spec changed, a run adopted ahead)", () => {
    const spec = compile({ cron: "0 * * * *", jitter_seconds: "50m" });
    expect(passOverMissed(spec, "s", t0 + 5 * HOUR, t0 + 4 * HOUR + 30 * MIN, 100)).toEqual({ missed: 0, cursor: t0 + 5 * HOUR });
  });

  it("changes nothing when nothing came due", () => {
    const spec = compile({ cron: "0 * * * *" });
    expect(passOverMissed(spec, "s", t0, t0 + 30 * MIN, 100)).toEqual({ missed: 0, cursor: t0 });
  });

  it("counts up to the limit and still passes over the rest", () => {
    const spec = compile({ cron: "* * * * *" });
    expect(passOverMissed(spec, "s", t0, t0 + DAY, 100)).toEqual({ missed: 100, cursor: t0 + DAY });
  });

  it("keeps a jittered fire whose nominal time has passed but actual time has not: it runs at its actual time", () => {
    const spec = compile({ cron: "0 * * * *", jitter_seconds: "50m" });
    const nominal = t0 + 4 * HOUR;
    const { id, delay } = jittered(spec, nominal);
    const now = nominal + Math.floor(delay / 2);
    const passed = passOverMissed(spec, id, t0, now, 100);
    expect(passed.missed).toBe(3);
    // Planning from the new cursor: nothing is due now, and the kept fire is next, at its actual time.
    const plan = planCatchup({ spec, scheduleId: id, lastProcessed: passed.cursor, now });
    expect(plan.due).toEqual([]);
    expect(plan.nextFire).toEqual({ nominal, actual: nominal + delay });
    expect(planCatchup({ spec, scheduleId: id, lastProcessed: passed.cursor, now: nominal + delay }).due).toEqual([{ nominal, actual: nominal + delay }]);
  });

  it("passes over a jittered fire whose actual time has come", () => {
    const spec = compile({ cron: "0 * * * *", jitter_seconds: "50m" });
    const nominal = t0 + 4 * HOUR;
    const { id, delay } = jittered(spec, nominal);
    expect(passOverMissed(spec, id, t0, nominal + delay, 100)).toEqual({ missed: 4, cursor: nominal + delay });
  });

  it("finds the one fire still waiting for its jitter quickly on a dense spec with a week of jitter", () => {
    const spec = compile({ cron: "* * * * * *", jitter_seconds: "7d" });
    const nominal = t0 + 3 * DAY;
    const { id, delay } = jittered(spec, nominal);
    const started = performance.now();
    const passed = passOverMissed(spec, id, t0, nominal + Math.floor(delay / 2), 100);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(passed).toEqual({ missed: 100, cursor: nominal - 1 });
  });
});

describe("decideOverlap", () => {
  const NONE: OverlapDecision<string> = { start: [], buffer: [], cancel: [], terminate: [], skipped: [] };
  type Row = [OverlapPolicy, string[], string[], string[], Partial<OverlapDecision<string>>, number?];
  it.each<Row>([
    // policy, running, buffer, due, expected (rest empty), bufferCap
    ["SKIP", [], [], ["a"], { start: ["a"] }],
    ["SKIP", [], [], ["a", "b", "c"], { start: ["a"], skipped: ["b", "c"] }],
    ["SKIP", ["r1"], [], ["a"], { skipped: ["a"] }],
    ["SKIP", ["r1"], [], ["a", "b"], { skipped: ["a", "b"] }],
    ["SKIP", ["r1"], ["x"], ["a"], { skipped: ["x", "a"] }],
    ["BUFFER_ONE", [], [], ["a"], { start: ["a"] }],
    ["BUFFER_ONE", [], [], ["a", "b", "c"], { start: ["a"], buffer: ["b"], skipped: ["c"] }],
    ["BUFFER_ONE", ["r1"], [], ["a"], { buffer: ["a"] }],
    ["BUFFER_ONE", ["r1"], [], ["a", "b", "c"], { buffer: ["a"], skipped: ["b", "c"] }],
    ["BUFFER_ONE", ["r1"], ["x"], ["a"], { buffer: ["x"], skipped: ["a"] }],
    ["BUFFER_ONE", ["r1"], ["x"], [], { buffer: ["x"] }],
    ["BUFFER_ONE", [], ["x"], ["a"], { start: ["x"], buffer: ["a"] }],
    ["BUFFER_ONE", [], ["x"], [], { start: ["x"] }],
    ["BUFFER_ALL", [], [], ["a", "b", "c"], { start: ["a"], buffer: ["b", "c"] }],
    ["BUFFER_ALL", ["r1"], ["x"], ["a", "b"], { buffer: ["x", "a", "b"] }],
    ["BUFFER_ALL", ["r1"], ["x", "y"], ["a", "b"], { buffer: ["x", "y", "a"], skipped: ["b"] }, 3],
    ["BUFFER_ALL", [], ["x", "y", "z"], ["a"], { start: ["x"], buffer: ["y", "z", "a"] }, 3],
    ["BUFFER_ALL", [], ["x", "y", "z"], ["a", "b"], { start: ["x"], buffer: ["y", "z", "a"], skipped: ["b"] }, 3],
    ["BUFFER_ALL", [], ["x"], [], { start: ["x"] }],
    ["CANCEL_OTHER", ["r1"], [], ["a"], { cancel: ["r1"], buffer: ["a"] }],
    ["CANCEL_OTHER", ["r1", "r2"], ["x"], ["a", "b"], { cancel: ["r1", "r2"], buffer: ["b"], skipped: ["x", "a"] }],
    ["CANCEL_OTHER", [], [], ["a", "b"], { start: ["b"], skipped: ["a"] }],
    ["CANCEL_OTHER", [], ["x"], [], { start: ["x"] }],
    ["TERMINATE_OTHER", ["r1"], [], ["a"], { terminate: ["r1"], start: ["a"] }],
    ["TERMINATE_OTHER", ["r1"], [], ["a", "b", "c"], { terminate: ["r1"], start: ["c"], skipped: ["a", "b"] }],
    ["TERMINATE_OTHER", [], [], ["a"], { start: ["a"] }],
    ["ALLOW_ALL", ["r1", "r2"], [], ["a", "b"], { start: ["a", "b"] }],
    ["ALLOW_ALL", [], ["x"], ["a"], { start: ["x", "a"] }],
  ])("%s running=%j buffer=%j due=%j", (policy, running, buffer, due, expected, bufferCap = 1_000) => {
    expect(decideOverlap({ policy, running, buffer, due, bufferCap })).toEqual({ ...NONE, ...expected });
  });

  it.each(OVERLAP_POLICIES.map((p) => [p]))("%s with nothing due and nothing buffered does nothing", (policy) => {
    expect(decideOverlap<string>({ policy, running: ["r1"], buffer: [], due: [], bufferCap: 1_000 })).toEqual(NONE);
    expect(decideOverlap<string>({ policy, running: [], buffer: [], due: [], bufferCap: 1_000 })).toEqual(NONE);
  });

  it("does not alias its inputs", () => {
    const running = ["r1"];
    const buffer = ["x"];
    const due = ["a"];
    const d = decideOverlap({ policy: "CANCEL_OTHER", running, buffer, due, bufferCap: 10 });
    d.cancel.push("mutated");
    d.skipped.push("mutated");
    expect(running).toEqual(["r1"]);
    expect(buffer).toEqual(["x"]);
    expect(due).toEqual(["a"]);
  });
});

describe("scheduleRetryDelaySeconds: doubling, capped at 10x the first delay", () => {
  it.each<[number, number, number]>([
    [60, 1, 60],
    [60, 2, 120],
    [60, 3, 240],
    [60, 4, 480],
    [60, 5, 600],
    [60, 6, 600],
    [60, 50, 600],
    [30, 1, 30],
    [30, 4, 240],
    [30, 5, 300],
    [1, 4, 8],
    [1, 5, 10],
    [600, 2, 1_200],
    [600, 9, 6_000],
    [60, 0, 60],
  ])("first %ss, retry %s -> %ss", (first, retry, expected) => {
    expect(scheduleRetryDelaySeconds(first, retry)).toBe(expected);
  });
});

describe("activity retry policy", () => {
  const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...over });

  it("defaults: 1 s, x2, unlimited attempts, nothing non-retryable", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ initial_interval: 1, backoff_coefficient: 2, maximum_attempts: 0, non_retryable_error_types: [] });
  });

  it.each<[Partial<RetryPolicy>, number, number]>([
    [{}, 1, 1],
    [{}, 2, 2],
    [{}, 3, 4],
    [{}, 7, 64],
    [{}, 8, 100], // 128 capped at 100 x initial
    [{}, 30, 100],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 1, 2],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 5, 162],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 6, 200], // 486 capped at 200
    [{ maximum_interval: 10 }, 4, 8],
    [{ maximum_interval: 10 }, 5, 10],
    [{ maximum_interval: 10 }, 12, 10],
    [{ backoff_coefficient: 1, initial_interval: 5 }, 9, 5],
    [{ initial_interval: 0.5 }, 3, 2],
  ])("%j attempt %s -> %ss", (over, attempt, expected) => {
    expect(activityRetryDelaySeconds(policy(over), attempt)).toBe(expected);
  });

  it.each<[string, Partial<RetryPolicy>, number, { type?: string; non_retryable?: boolean }, ReturnType<typeof retryDecision>]>([
    ["first failure retried after 1 s", {}, 1, {}, { retry: true, delaySeconds: 1 }],
    ["unlimited attempts", {}, 1_000, { type: "Boom" }, { retry: true, delaySeconds: 100 }],
    ["non_retryable flag", {}, 1, { non_retryable: true }, { retry: false, reason: "non-retryable failure" }],
    ["non-retryable type", { non_retryable_error_types: ["Fatal", "Bad"] }, 1, { type: "Bad" }, { retry: false, reason: "error type Bad is non-retryable" }],
    ["other type retried", { non_retryable_error_types: ["Fatal"] }, 2, { type: "Transient" }, { retry: true, delaySeconds: 2 }],
    ["below maximum_attempts", { maximum_attempts: 3 }, 2, {}, { retry: true, delaySeconds: 2 }],
    ["at maximum_attempts", { maximum_attempts: 3 }, 3, {}, { retry: false, reason: "maximum attempts (3) reached" }],
    ["maximum_attempts 1 never retries", { maximum_attempts: 1 }, 1, {}, { retry: false, reason: "maximum attempts (1) reached" }],
    ["non-retryable wins over attempts left", { maximum_attempts: 10 }, 1, { non_retryable: true }, { retry: false, reason: "non-retryable failure" }],
  ])("%s", (_name, over, attempt, failure, expected) => {
    expect(retryDecision(policy(over), attempt, failure)).toEqual(expected);
  });
});

describe("alarmRetryDelayMs: an object's alarm after failures in a row", () => {
  it("waits 1 s, doubling, capped at 5 minutes", () => {
    expect([1, 2, 3, 4, 9, 10, 50].map(alarmRetryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000]);
  });
});

describe("scheduleRunId", () => {
  const nominal = Date.UTC(2026, 10, 22, 9);
  it.each<[Parameters<typeof scheduleRunId>[2], string]>([
    [undefined, "nightly:2026-11-22T09:00:00.000Z"],
    [{ kind: "scheduled" }, "nightly:2026-11-22T09:00:00.000Z"],
    [{ kind: "retry", retry: 2 }, "nightly:2026-11-22T09:00:00.000Z:retry-2"],
    [{ kind: "trigger", requestId: "req-1" }, "nightly:trigger:req-1"],
    [{ kind: "backfill" }, "nightly:2026-11-22T09:00:00.000Z:backfill"],
  ])("%j -> %s", (origin, expected) => {
    expect(scheduleRunId("nightly", nominal, origin)).toBe(expected);
  });

  it("keeps milliseconds and is the same for the same inputs", () => {
    expect(scheduleRunId("a", nominal + 123)).toBe("a:2026-11-22T09:00:00.123Z");
    expect(scheduleRunId("a", nominal)).toBe(scheduleRunId("a", nominal));
    expect(scheduleRunId("a", nominal)).not.toBe(scheduleRunId("b", nominal));
    expect(scheduleRunId("a", nominal)).not.toBe(scheduleRunId("a", nominal + 1));
  });
});

describe("jitterOffset", () => {
  const nominal = Date.UTC(2026, 10, 22, 9); // 1795338000000

  it("is pinned: a changed hash would move every jittered fire of every schedule", () => {
    // Computed independently (FNV-1a 32 + murmur3 fmix32) outside this code base.
    expect(hash32("")).toBe(2_872_998_923);
    expect(hash32("a")).toBe(444_641_715);
    expect(hash32("nightly|1795338000000")).toBe(2_797_255_970);
    expect(jitterOffset("nightly", nominal, 60_000, null)).toBe(39_077);
  });

  it.each<[string, number, number, number | null, number]>([
    ["no jitter", nominal, 0, nominal + HOUR, 0],
    ["negative jitter", nominal, -5, nominal + HOUR, 0],
    ["next nominal 1 ms away", nominal, 60_000, nominal + 1, 0],
    ["1 ms of jitter", nominal, 1, null, 0],
  ])("%s -> %s", (_name, n, jitterMs, following, expected) => {
    expect(jitterOffset("s", n, jitterMs, following)).toBe(expected);
  });

  it("stays below min(jitter, gap to the next nominal) and spreads over that range", () => {
    const gap = 60_000;
    const values: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const n = nominal + i * gap;
      const j = jitterOffset("spread", n, HOUR, n + gap);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(gap);
      expect(Number.isInteger(j)).toBe(true);
      values.push(j);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(gap * 0.4);
    expect(mean).toBeLessThan(gap * 0.6);
    expect(values.filter((v) => v < gap / 10).length).toBeGreaterThan(100);
    expect(values.filter((v) => v >= gap * 0.9).length).toBeGreaterThan(100);
  });

  it("depends on the schedule id and the nominal time", () => {
    const byId = new Set(Array.from({ length: 50 }, (_, i) => jitterOffset(`id-${i}`, nominal, HOUR, null)));
    const byTime = new Set(Array.from({ length: 50 }, (_, i) => jitterOffset("id", nominal + i * HOUR, HOUR, null)));
    expect(byId.size).toBeGreaterThan(45);
    expect(byTime.size).toBeGreaterThan(45);
  });
});
