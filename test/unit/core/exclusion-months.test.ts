import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { between, next } from "../../../src/core/fire-times.ts";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";

// The search skips a whole local month that one exclusion covers: every day of it, at every time
// of day the spec's crons fire (or at all). A daily cron whose exclusions leave only leap-day
// Mondays has one candidate a day, and 5,000 of them (14 years) read as "no more fires".
const from = Date.parse("2026-01-01T00:00:00Z");
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const LEAP_MONDAYS = ["0 0 * 1,3-12 *", "0 0 1-28,30,31 2 *", "0 0 * * 0,2-6"];

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: from });
}

describe("exclusions that cover whole months", () => {
  it.each<[string, string[]]>([
    ["UTC", ["2044-02-29T00:00:00.000Z", "2072-02-29T00:00:00.000Z", "2112-02-29T00:00:00.000Z"]],
    ["Europe/Berlin", ["2044-02-28T23:00:00.000Z", "2072-02-28T23:00:00.000Z", "2112-02-28T23:00:00.000Z"]],
    // New York's DST months (March, November) hold an offset change: walked day by day, still found.
    ["America/New_York", ["2044-02-29T05:00:00.000Z", "2072-02-29T05:00:00.000Z", "2112-02-29T05:00:00.000Z"]],
  ])("a daily cron excluded to leap-day Mondays fires decades ahead (%s)", (timezone, want) => {
    const spec = compile({ cron: "0 0 * * *", exclude: LEAP_MONDAYS, timezone });
    const got: (string | null)[] = [];
    let t = from;
    for (let i = 0; i < want.length; i++) {
      const n = next(spec, t);
      got.push(iso(n));
      if (n === null) break;
      t = n;
    }
    expect(got).toEqual(want);
  });

  it("a 6-field cron at other seconds than the exclusion names is not skipped", () => {
    // The exclusion names second 0 only: 00:00:30 is no time it covers, so every day still fires.
    const spec = compile({ cron: "30 0 0 * * *", exclude: ["0 0 0 * 1-11 *"] });
    expect(iso(next(spec, from))).toBe("2026-01-01T00:00:30.000Z");
    // A 5-field exclusion names whole minutes: it covers 00:00:30, and January to November pass in single steps.
    const minute = compile({ cron: "30 0 0 * * *", exclude: ["0 0 * 1-11 *"] });
    expect(iso(next(minute, from))).toBe("2026-12-01T00:00:30.000Z");
  });

  it("an `at` time inside a skipped month still fires; an interval keeps its month from being skipped", () => {
    const at = compile({ cron: "0 0 * * *", at: ["2030-06-15T12:00:00Z"], exclude: ["0 0 * * *"] });
    expect(iso(next(at, from))).toBe("2030-06-15T12:00:00.000Z");
    const interval = compile({ cron: "0 0 * * *", intervals: [{ every: 86_400 * 40, offset: 3_600 }], start_at: "2026-01-01T00:00:00Z", exclude: ["0 0 * * *"] });
    expect(between(interval, from, Date.parse("2026-04-01T00:00:00Z")).map(iso)).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-02-10T01:00:00.000Z",
      "2026-03-22T01:00:00.000Z",
    ]);
  });

  it.each(["America/Santiago", "America/Havana", "Asia/Beirut", "Asia/Gaza", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia"])(
    "skipping months gives the fires a day-by-day walk does, across offset changes (%s)",
    (timezone) => {
      const base = { cron_expressions: ["0 0 * * *", "30 1 * * *"], start_at: "2010-01-01T00:00:00Z", timezone };
      const skipped = compile({ ...base, exclude: ["0,30 0-1 * 1,3,5,8,10,12 *", "0 0 1-20 7 *"] });
      // The same fires, with a daily interval whose fires an extra exclusion removes: an interval
      // fires at any time of day, so no month is skipped and every candidate is looked at.
      const walked = compile({
        ...base,
        intervals: [{ every: 86_400, offset: 34 * 60 + 56 }],
        exclude: ["0,30 0-1 * 1,3,5,8,10,12 *", "0 0 1-20 7 *", "4,19,34,49 * * * *"],
      });
      const [lo, hi] = [Date.parse("2010-01-01T00:00:00Z"), Date.parse("2013-01-01T00:00:00Z")];
      const want = between(walked, lo, hi);
      expect(want.length).toBeGreaterThan(1_000);
      expect(between(skipped, lo, hi)).toEqual(want);
      // The first spec did skip months (those before the months that fire, their first fires right after midnight), the second did not.
      expect([skipped.monthExcludes?.length, walked.monthExcludes?.length]).toEqual([1, 0]);
    },
  );

  it("a month not fully covered is walked as before", () => {
    // February 29 of leap years is not excluded: the month is walked and that day fires.
    const spec = compile({ cron: "0 12 * * *", exclude: ["* * * 1,3-12 *", "0 12 1-28 2 *"] });
    expect(between(spec, from, Date.parse("2033-01-01T00:00:00Z")).map(iso)).toEqual(["2028-02-29T12:00:00.000Z", "2032-02-29T12:00:00.000Z"]);
  });
});
