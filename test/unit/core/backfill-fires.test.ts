import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { ConflictError, ValidationError } from "../../../src/core/errors.ts";
import { LIMITS } from "../../../src/core/limits.ts";
import { backfillBatch, backfillRangeEnd, backfillRoom, backfillSpec, checkBackfillFires, checkBackfillRange } from "../../../src/core/schedule/backfill-fires.ts";
import { between } from "../../../src/core/fire-times.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// A backfill starts every fire of [start_at, end_at] (both ends included): at most
// LIMITS.maxBackfillFires of them. Counting stops one past the cap, so the check is bounded
// however frequent the spec and long the range.

const T = (iso: string) => Date.parse(iso);
const compile = (input: Record<string, unknown>) => compileSpec(ScheduleSpecInput.parse(input), { createdAt: T("2020-01-01T00:00:00Z") });
const DAY = 86_400_000;
const from = T("2026-01-01T00:00:00Z");

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

describe("checkBackfillFires", () => {
  it("the cap is 100,000 fires", () => {
    expect(LIMITS.maxBackfillFires).toBe(100_000);
  });

  it.each([
    ["an interval of 1 s, both ends included", { interval_seconds: 1 }, from, from + 99_999_000, 100_000],
    ["a cron every minute over 3 hours", { cron: "* * * * *" }, from, from + 3 * 3_600_000, 181],
    ["one at time", { at: ["2026-01-01T00:00:30Z"] }, from, from + DAY, 1],
  ])("%s: counts %#", (_name, input, start, end, want) => {
    expect(checkBackfillFires(compile(input), start, end)).toBe(want);
  });

  it.each([
    ["an interval of 1 s over 2 days (172,800 fires)", { interval_seconds: 1 }, from + 2 * DAY],
    ["an interval of 1 s, one fire past the cap", { interval_seconds: 1 }, from + 100_000_000],
    ["a cron every second over 10 years", { cron: "* * * * * *" }, from + 3_653 * DAY],
  ])("%s: 422 limit_exceeded naming end_at, the cap and a split", (_name, input, end) => {
    // Bounded: the count stops at cap + 1 (10 years of seconds would be 315 million fires, far
    // past this test's timeout).
    const err = refusal(() => checkBackfillFires(compile(input), from, end));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ status: 422, code: "limit_exceeded", field: "end_at" });
    expect((err as Error).message).toContain("100000");
    expect((err as Error).message).toMatch(/split/);
  });

  it("a range with no fire is a 409 empty_backfill naming start_at", () => {
    const err = refusal(() => checkBackfillFires(compile({ cron: "0 0 1 1 *" }), from + DAY, from + 30 * DAY));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, code: "empty_backfill", field: "start_at" });
  });

  it("a smaller cap can be given (the check is the same)", () => {
    expect(checkBackfillFires(compile({ interval_seconds: 60 }), from, from + 9 * 60_000, 10)).toBe(10);
    expect(refusal(() => checkBackfillFires(compile({ interval_seconds: 60 }), from, from + 10 * 60_000, 10))).toMatchObject({ code: "limit_exceeded" });
  });
});

// A backfill range is at most 10 calendar years (UTC): not 10 × 366 days, which lets 3,660 days through.
describe("checkBackfillRange", () => {
  it("the limit is 10 years", () => {
    expect(LIMITS.maxBackfillYears).toBe(10);
  });

  it.each([
    ["a plain date", "2010-01-01T00:00:00Z", "2020-01-01T00:00:00Z"],
    ["ten years with three leap days", "2012-03-01T06:30:00Z", "2022-03-01T06:30:00Z"],
    ["29 February to a year without one: the 28th", "2020-02-29T06:00:00Z", "2030-02-28T06:00:00Z"],
    ["year 0001", "0001-06-01T00:00:00Z", "0011-06-01T00:00:00Z"],
  ])("%s: ten years after %s is %s", (_name, start, end) => {
    expect(new Date(backfillRangeEnd(T(start), 10)).toISOString()).toBe(new Date(T(end)).toISOString());
  });

  it("accepts exactly 10 years and refuses 1 ms more, and 10 years and 5 days (under 10 × 366 days), as 422 limit_exceeded naming end_at", () => {
    const start = T("2010-01-01T00:00:00Z");
    expect(() => checkBackfillRange(start, T("2020-01-01T00:00:00Z"))).not.toThrow();
    expect(() => checkBackfillRange(start, start)).not.toThrow();
    for (const end of [T("2020-01-01T00:00:00.001Z"), T("2020-01-06T00:00:00Z"), start + 366 * 10 * DAY]) {
      const err = refusal(() => checkBackfillRange(start, end));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ status: 422, code: "limit_exceeded", field: "end_at" });
      expect((err as Error).message).toMatch(/at most 10 years.*split/);
    }
  });

  it("an end before the start is a 422 validation_failed naming end_at; the same instant is a range", () => {
    const start = T("2010-01-01T00:00:00Z");
    expect(refusal(() => checkBackfillRange(start, start - 1))).toMatchObject({ status: 422, code: "validation_failed", field: "end_at" });
    expect(() => checkBackfillRange(start, start)).not.toThrow();
  });
});

// backfillSpec: a backfill of an interval without start_at sees the schedule's whole grid (anchored
// at its creation, offset included), whatever the range's start: a fire of the grid is in a range
// or not by its time alone.
describe("backfillSpec", () => {
  const created = T("2027-06-03T10:17:00Z");
  const hourly = compileSpec(ScheduleSpecInput.parse({ intervals: [{ every: "1h", offset: "30m" }] }), { createdAt: created });
  const fires = (spec: typeof hourly, start: string, end: string) => between(backfillSpec(spec, T(start) - 1), T(start) - 1, T(end)).map((n) => new Date(n).toISOString().slice(11, 16));

  it.each([
    ["before creation", "2027-06-03T08:00:00Z", ["08:47", "09:47", "10:47", "11:47"]],
    ["exactly at creation", "2027-06-03T10:17:00Z", ["10:47", "11:47"]],
    ["after creation, before the first live fire", "2027-06-03T10:30:00Z", ["10:47", "11:47"]],
    ["on the grid point before the first live fire", "2027-06-03T10:47:00Z", ["10:47", "11:47"]],
    ["just after it", "2027-06-03T10:47:00.001Z", ["11:47"]],
  ])("every hour, 30 min offset, created 10:17, from %s: the grid …:47", (_name, start, want) => {
    expect(fires(hourly, start, "2027-06-03T12:00:00Z")).toEqual(want);
  });

  it("an explicit start_at stays a bound, and repeat_count is none", () => {
    const bounded = compileSpec(ScheduleSpecInput.parse({ intervals: [{ every: "1h" }], start_at: "2027-06-03T09:00:00Z", repeat_count: 1 }), { createdAt: created });
    expect(fires(bounded, "2027-06-03T06:00:00Z", "2027-06-03T12:00:00Z")).toEqual(["09:00", "10:00", "11:00", "12:00"]);
  });
});

// backfillBatch: a job's next fires under the spec it was asked of, each carrying that spec's zone
// and next fire, so a spec change while a fire waits changes neither its time nor its payload.
describe("backfillBatch", () => {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", timezone: "Europe/London" }), { createdAt: T("2027-06-03T10:17:00Z") });
  const job = { id: 7, cursor: T("2027-06-03T05:30:00Z"), end_at: T("2027-06-03T08:00:00Z"), overlap: "", last_fire: T("2027-06-03T04:00:00Z") };

  it("its first `room` fires after the cursor, in the spec's zone, each with its next fire (the range's end is no bound for it)", () => {
    const hour = (h: number) => T(`2027-06-03T0${h}:00:00Z`);
    expect(backfillBatch(spec, job, 2)).toEqual([
      { nominal: hour(6), actual: hour(6), kind: "backfill", backfillId: 7, last: job.last_fire, timezone: "Europe/London", upcoming: hour(7) },
      { nominal: hour(7), actual: hour(7), kind: "backfill", backfillId: 7, last: job.last_fire, timezone: "Europe/London", upcoming: hour(8) },
    ]);
    expect(backfillBatch(spec, job, 10).map((f) => [f.nominal, f.upcoming])).toEqual([
      [hour(6), hour(7)],
      [hour(7), hour(8)],
      [hour(8), hour(9)],
    ]);
  });

  it("a job's own overlap policy goes with each fire", () => {
    expect(backfillBatch(spec, { ...job, overlap: "BUFFER_ALL" }, 1)[0]).toMatchObject({ overlap: "BUFFER_ALL" });
  });
});

// backfillRoom: a backfill whose fires may wait in the buffer (BUFFER_ONE, BUFFER_ALL, and
// CANCEL_OTHER while the cancelled run closes) takes at most half of it; one whose fires never
// wait there (SKIP, ALLOW_ALL, TERMINATE_OTHER) is bounded by the open runs alone, so a buffer
// full of a paused schedule's own fires does not hold it back.
describe("backfillRoom", () => {
  const fire = { nominal: 0, actual: 0, kind: "scheduled" as const };
  const state = (running: number, buffered: number) => ({
    running: Array.from({ length: running }, (_, i) => ({ runId: `r${i}`, fire })),
    buffer: Array.from({ length: buffered }, () => fire),
  });
  it.each(["BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER"] as const)("%s: half the buffer, less what waits", (policy) => {
    expect(backfillRoom(state(0, LIMITS.bufferCap / 2), policy)).toBe(0);
    expect(backfillRoom(state(0, LIMITS.bufferCap / 2 - 3), policy)).toBe(3);
  });
  it.each(["SKIP", "ALLOW_ALL", "TERMINATE_OTHER"] as const)("%s: the buffer is no bound, the open runs are", (policy) => {
    expect(backfillRoom(state(0, LIMITS.bufferCap), policy)).toBe(LIMITS.runningCap);
    expect(backfillRoom(state(LIMITS.runningCap - 2, LIMITS.bufferCap / 2), policy)).toBe(2);
    expect(backfillRoom(state(LIMITS.runningCap, 0), policy)).toBe(0);
  });
});
