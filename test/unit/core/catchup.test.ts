import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { clampCatchupWindow, passOverMissed, planCatchup, startDeadline, type CatchupPlan } from "../../../src/core/catchup.ts";
import { fires } from "../../../src/core/fire-times.ts";
import { jitterOffset } from "../../../src/core/jitter.ts";

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
