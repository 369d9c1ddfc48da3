import { describe, expect, it } from "vitest";
import { parseCron } from "../../../src/core/cron.ts";
import { InvalidCronError, ValidationError } from "../../../src/core/errors.ts";
import { naive, nextN, wall } from "./cron-support.ts";

describe("parseCron: nextLocal", () => {
  // [expression, after (exclusive), the next matching wall times]
  // Weekdays (checked against a calendar): 2026-01-01 Thu, 2026-02-01 Sun, 2026-03-01 Sun,
  // 2026-05-31 Sun, 2026-08-01 Sat, 2026-08-15 Sat, 2028 is a leap year.
  it.each<[string, string, string[]]>([
    // 5 fields; seconds default to 0, and `after` is exclusive.
    ["0 9 * * *", "2026-01-01T09:00:00", ["2026-01-02T09:00:00", "2026-01-03T09:00:00"]],
    ["0 9 * * *", "2026-01-01T08:59:59", ["2026-01-01T09:00:00", "2026-01-02T09:00:00"]],
    ["*/15 9-17 * * 1-5", "2026-01-02T17:40:00", ["2026-01-02T17:45:00", "2026-01-05T09:00:00", "2026-01-05T09:15:00"]],
    ["59 23 31 12 *", "2026-06-01T00:00:00", ["2026-12-31T23:59:00", "2027-12-31T23:59:00"]],
    // 6 fields, leading seconds.
    ["30 * * * * *", "2026-01-01T00:00:00", ["2026-01-01T00:00:30", "2026-01-01T00:01:30"]],
    ["*/20 0 0 1 1 *", "2025-12-31T23:59:59", ["2026-01-01T00:00:00", "2026-01-01T00:00:20", "2026-01-01T00:00:40", "2027-01-01T00:00:00"]],
    ["0 0 1 2 * *", "2026-01-01T00:00:00", ["2026-01-02T01:00:00", "2026-02-02T01:00:00"]],
    ["15,45 * * * * *", "2026-01-01T10:00:15", ["2026-01-01T10:00:45", "2026-01-01T10:01:15"]],
    // Aliases (case-insensitive, surrounding blanks ignored).
    ["@hourly", "2026-01-01T10:00:00", ["2026-01-01T11:00:00", "2026-01-01T12:00:00"]],
    ["@daily", "2026-01-01T00:00:00", ["2026-01-02T00:00:00", "2026-01-03T00:00:00"]],
    ["@midnight", "2026-01-01T12:00:00", ["2026-01-02T00:00:00", "2026-01-03T00:00:00"]],
    ["@weekly", "2026-01-01T00:00:00", ["2026-01-04T00:00:00", "2026-01-11T00:00:00"]],
    ["@monthly", "2026-01-15T00:00:00", ["2026-02-01T00:00:00", "2026-03-01T00:00:00"]],
    ["@yearly", "2026-01-01T00:00:00", ["2027-01-01T00:00:00", "2028-01-01T00:00:00"]],
    ["@annually", "2026-06-30T00:00:00", ["2027-01-01T00:00:00", "2028-01-01T00:00:00"]],
    ["@DAILY", "2026-01-01T00:00:00", ["2026-01-02T00:00:00"]],
    ["  @hourly  ", "2026-01-01T10:59:59", ["2026-01-01T11:00:00"]],
    // Names.
    ["0 8 * * MON", "2026-01-01T00:00:00", ["2026-01-05T08:00:00", "2026-01-12T08:00:00"]],
    ["0 8 1 JAN *", "2026-01-01T08:00:00", ["2027-01-01T08:00:00"]],
    ["0 0 * * mon-fri", "2026-01-01T00:00:00", ["2026-01-02T00:00:00", "2026-01-05T00:00:00", "2026-01-06T00:00:00"]],
    ["0 0 1 jan-mar *", "2026-01-01T00:00:00", ["2026-02-01T00:00:00", "2026-03-01T00:00:00", "2027-01-01T00:00:00"]],
    ["0 0 * * THU", "2026-01-01T00:00:00", ["2026-01-08T00:00:00"]],
    ["0 0 * * SUN", "2026-01-01T00:00:00", ["2026-01-04T00:00:00", "2026-01-11T00:00:00"]],
    ["0 0 * * 0", "2026-01-01T00:00:00", ["2026-01-04T00:00:00", "2026-01-11T00:00:00"]],
    ["0 0 * * 7", "2026-01-01T00:00:00", ["2026-01-04T00:00:00", "2026-01-11T00:00:00"]],
    ["0 0 * * SAT,SUN", "2026-01-01T00:00:00", ["2026-01-03T00:00:00", "2026-01-04T00:00:00", "2026-01-10T00:00:00"]],
    // Ranges, steps, lists.
    ["0 0-6/3 * * *", "2026-01-01T00:00:00", ["2026-01-01T03:00:00", "2026-01-01T06:00:00", "2026-01-02T00:00:00"]],
    ["15,45 10 * * *", "2026-01-01T00:00:00", ["2026-01-01T10:15:00", "2026-01-01T10:45:00", "2026-01-02T10:15:00"]],
    ["0 12 1-7/3 * *", "2026-01-01T12:00:00", ["2026-01-04T12:00:00", "2026-01-07T12:00:00", "2026-02-01T12:00:00"]],
    ["0 0 */10 * *", "2026-01-01T00:00:00", ["2026-01-11T00:00:00", "2026-01-21T00:00:00", "2026-01-31T00:00:00", "2026-02-01T00:00:00"]],
    ["0 0 29 2 *", "2026-01-01T00:00:00", ["2028-02-29T00:00:00", "2032-02-29T00:00:00"]],
    ["0 0 31 * *", "2026-01-31T00:00:00", ["2026-03-31T00:00:00", "2026-05-31T00:00:00", "2026-07-31T00:00:00"]],
    ["5-10/5,50 0 1 1 *", "2026-01-01T00:00:00", ["2026-01-01T00:05:00", "2026-01-01T00:10:00", "2026-01-01T00:50:00", "2027-01-01T00:05:00"]],
    // L: last day of month.
    ["0 0 L * *", "2026-01-01T00:00:00", ["2026-01-31T00:00:00", "2026-02-28T00:00:00", "2026-03-31T00:00:00", "2026-04-30T00:00:00"]],
    ["0 0 L 2 *", "2027-03-01T00:00:00", ["2028-02-29T00:00:00", "2029-02-28T00:00:00"]],
    ["0 0 1,L * *", "2026-01-01T00:00:00", ["2026-01-31T00:00:00", "2026-02-01T00:00:00", "2026-02-28T00:00:00"]],
    // nL: last <weekday> of the month (5L = last Friday, 7L = last Sunday).
    ["0 0 * * 5L", "2026-01-01T00:00:00", ["2026-01-30T00:00:00", "2026-02-27T00:00:00", "2026-03-27T00:00:00", "2026-04-24T00:00:00"]],
    ["0 0 * * 7L", "2026-01-01T00:00:00", ["2026-01-25T00:00:00", "2026-02-22T00:00:00", "2026-03-29T00:00:00"]],
    // d#n: n-th <weekday> of the month.
    ["0 0 * * 1#2", "2026-01-01T00:00:00", ["2026-01-12T00:00:00", "2026-02-09T00:00:00", "2026-03-09T00:00:00", "2026-04-13T00:00:00"]],
    ["0 0 * * MON#2", "2026-01-01T00:00:00", ["2026-01-12T00:00:00", "2026-02-09T00:00:00"]],
    ["0 0 * * 0#1", "2026-01-01T00:00:00", ["2026-01-04T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00"]],
    ["0 0 * * 5#5", "2026-01-01T00:00:00", ["2026-01-30T00:00:00", "2026-05-29T00:00:00", "2026-07-31T00:00:00"]],
    ["0 12 ? * 5#3", "2026-01-01T00:00:00", ["2026-01-16T12:00:00", "2026-02-20T12:00:00"]],
    // nW: nearest weekday to day n, never leaving the month (Quartz).
    ["0 0 15W * *", "2026-01-01T00:00:00", ["2026-01-15T00:00:00", "2026-02-16T00:00:00", "2026-03-16T00:00:00", "2026-04-15T00:00:00"]],
    ["0 0 15W * *", "2026-08-01T00:00:00", ["2026-08-14T00:00:00"]], // Aug 15 is a Saturday -> Friday 14th
    ["0 0 1W * *", "2026-01-15T00:00:00", ["2026-02-02T00:00:00", "2026-03-02T00:00:00", "2026-04-01T00:00:00"]], // Sun 1st -> Mon 2nd
    ["0 0 1W * *", "2026-07-15T00:00:00", ["2026-08-03T00:00:00"]], // Sat 1st -> Mon 3rd, not Fri Jul 31
    // 31W: Jan 31 Sat -> 30th; Mar 31 Tue; May 31 Sun (last day) -> Fri 29th, not Mon Jun 1; 30-day months have no 31st.
    ["0 0 31W * *", "2026-01-01T00:00:00", ["2026-01-30T00:00:00", "2026-03-31T00:00:00", "2026-05-29T00:00:00", "2026-07-31T00:00:00"]],
    ["0 0 LW * *", "2026-01-01T00:00:00", ["2026-01-30T00:00:00", "2026-02-27T00:00:00", "2026-03-31T00:00:00", "2026-04-30T00:00:00", "2026-05-29T00:00:00"]],
    ["0 0 LW 2 *", "2026-03-01T00:00:00", ["2027-02-26T00:00:00", "2028-02-29T00:00:00"]],
    ["0 0 1W,15 * *", "2026-01-15T00:00:00", ["2026-02-02T00:00:00", "2026-02-15T00:00:00", "2026-03-02T00:00:00"]],
    ["0 0 15W,LW * *", "2026-02-01T00:00:00", ["2026-02-16T00:00:00", "2026-02-27T00:00:00"]],
    // Day-of-month and day-of-week both restricted: either matches (Vixie).
    ["0 12 1 * MON", "2026-01-01T12:00:00", ["2026-01-05T12:00:00", "2026-01-12T12:00:00", "2026-01-19T12:00:00", "2026-01-26T12:00:00", "2026-02-01T12:00:00", "2026-02-02T12:00:00"]],
    ["0 0 13 * 5", "2026-01-01T00:00:00", ["2026-01-02T00:00:00", "2026-01-09T00:00:00", "2026-01-13T00:00:00", "2026-01-16T00:00:00"]],
    ["0 0 L * 5", "2026-01-22T00:00:00", ["2026-01-23T00:00:00", "2026-01-30T00:00:00", "2026-01-31T00:00:00", "2026-02-06T00:00:00"]],
    ["0 0 15W * 1", "2026-01-01T00:00:00", ["2026-01-05T00:00:00", "2026-01-12T00:00:00", "2026-01-15T00:00:00", "2026-01-19T00:00:00"]],
    // `?` is a wildcard: one restricted field alone decides.
    ["0 0 ? * 1", "2026-01-01T00:00:00", ["2026-01-05T00:00:00", "2026-01-12T00:00:00"]],
    ["0 0 1 * ?", "2026-01-01T00:00:00", ["2026-02-01T00:00:00", "2026-03-01T00:00:00"]],
    ["0 0 1 * *", "2026-01-01T00:00:00", ["2026-02-01T00:00:00", "2026-03-01T00:00:00"]],
  ])("%s after %s", (expr, after, expected) => {
    expect(nextN(parseCron(expr, "cron_expressions.0"), after, expected.length)).toEqual(expected);
  });

  it("returns null when the expression never matches again within the horizon", () => {
    // The parser itself rejects impossible dates ("0 0 31 4 *"); 31W in 30-day months slips past it
    // and must end the search instead of looping forever.
    const m = parseCron("0 0 0 31W 4,6,9,11 *", "f");
    expect(m.nextLocal(naive("2026-01-01T00:00:00"))).toBeNull();
  });

  it("steps over sub-second `after` values to the next whole second", () => {
    const m = parseCron("* * * * * *", "f");
    expect(wall(m.nextLocal(naive("2026-01-01T00:00:00") + 999)!)).toBe("2026-01-01T00:00:01");
    expect(wall(m.nextLocal(naive("2026-01-01T00:00:00") - 1)!)).toBe("2026-01-01T00:00:00");
  });
});

describe("parseCron: matchesLocal", () => {
  it.each<[string, string, boolean]>([
    ["0 9 * * 1-5", "2026-01-05T09:00:00", true], // Monday
    ["0 9 * * 1-5", "2026-01-03T09:00:00", false], // Saturday
    ["0 9 * * 1-5", "2026-01-05T09:00:01", false], // 5 fields means second 0
    ["0 9 * * 1-5", "2026-01-05T09:01:00", false],
    ["30 * * * * *", "2026-01-05T12:34:30", true],
    ["30 * * * * *", "2026-01-05T12:34:31", false],
    ["0 0 L * *", "2028-02-29T00:00:00", true],
    ["0 0 L * *", "2028-02-28T00:00:00", false],
    ["0 0 L * *", "2026-02-28T00:00:00", true],
    ["0 0 L * *", "2026-04-30T00:00:00", true],
    ["0 0 L * *", "2026-05-30T00:00:00", false],
    ["0 0 * * 5L", "2026-01-30T00:00:00", true],
    ["0 0 * * 5L", "2026-01-23T00:00:00", false],
    ["0 0 * * 1#2", "2026-01-12T00:00:00", true],
    ["0 0 * * 1#2", "2026-01-05T00:00:00", false],
    ["0 0 * * 1#2", "2026-01-19T00:00:00", false],
    ["0 0 * * 1#2", "2026-01-13T00:00:00", false], // second Tuesday
    ["0 0 15W * *", "2026-02-16T00:00:00", true],
    ["0 0 15W * *", "2026-02-15T00:00:00", false], // Sunday
    ["0 0 15W * *", "2026-08-14T00:00:00", true],
    ["0 0 15W * *", "2026-08-15T00:00:00", false], // Saturday
    ["0 0 15W * *", "2026-01-15T00:00:00", true], // Thursday: itself
    ["0 0 1W * *", "2026-08-03T00:00:00", true],
    ["0 0 1W * *", "2026-08-01T00:00:00", false],
    ["0 0 1W * *", "2026-07-31T00:00:00", false], // never leaves the month backwards
    ["0 0 31W * *", "2026-05-29T00:00:00", true],
    ["0 0 31W * *", "2026-05-31T00:00:00", false],
    ["0 0 31W * *", "2026-06-01T00:00:00", false], // never leaves the month forwards
    ["0 0 31W * *", "2026-04-30T00:00:00", false], // April has no 31st, like plain `31`
    ["0 0 LW * *", "2026-01-30T00:00:00", true],
    ["0 0 LW * *", "2026-01-31T00:00:00", false],
    ["0 12 1 * MON", "2026-02-01T12:00:00", true], // the 1st (a Sunday)
    ["0 12 1 * MON", "2026-02-02T12:00:00", true], // a Monday
    ["0 12 1 * MON", "2026-02-03T12:00:00", false],
    ["0 0 * JAN,JUL *", "2026-07-10T00:00:00", true],
    ["0 0 * JAN,JUL *", "2026-06-10T00:00:00", false],
  ])("%s matches %s: %s", (expr, at, expected) => {
    expect(parseCron(expr, "f").matchesLocal(naive(at))).toBe(expected);
  });

  it("never matches a time with milliseconds", () => {
    expect(parseCron("* * * * * *", "f").matchesLocal(naive("2026-01-05T09:00:00") + 500)).toBe(false);
  });
});

describe("parseCron: canonical form and everyHour", () => {
  it.each<[string, string, boolean]>([
    ["0 9 * * *", "0 0 9 * * *", false],
    ["@hourly", "0 0 * * * *", true],
    ["@daily", "0 0 0 * * *", false],
    ["@weekly", "0 0 0 * * 0", false],
    ["30 * * * * *", "30 * * * * *", true],
    ["*/15 * * * *", "0 */15 * * * *", true],
    ["0 0-23 * * *", "0 0 0-23 * * *", true],
    ["0 */1 * * *", "0 0 */1 * * *", true],
    ["0 0-22 * * *", "0 0 0-22 * * *", false],
    ["0 */2 * * *", "0 0 */2 * * *", false],
    ["0 0 15W * *", "0 0 0 15W * *", false],
    ["  0   9 * * 1-5 ", "0 0 9 * * 1-5", false],
  ])("%s -> %s (everyHour %s)", (expr, canonical, everyHour) => {
    const m = parseCron(expr, "f");
    expect(m.canonical).toBe(canonical);
    expect(m.everyHour).toBe(everyHour);
    expect(m.expression).toBe(expr);
  });
});

describe("parseCron: rejected input", () => {
  it.each<[string, string]>([
    ["* * * *", "4 fields"],
    ["* * * * * * *", "7 fields"],
    ["0 0 1 1 1 1 1", "7 fields"],
    ["", "empty"],
    ["   ", "blank"],
    ["60 * * * *", "minute out of range"],
    ["-1 * * * *", "negative minute"],
    ["* 24 * * *", "hour out of range"],
    ["0 0 0 * *", "day-of-month 0"],
    ["0 0 32 * *", "day-of-month 32"],
    ["0 0 1 13 *", "month 13"],
    ["0 0 1 0 *", "month 0"],
    ["0 0 * * 8", "day-of-week 8"],
    ["61 * * * * *", "second out of range"],
    ["0 0 30 2 *", "30 February never exists"],
    ["*/0 * * * *", "step 0"],
    ["5-1 * * * *", "reversed range"],
    ["1,,2 * * * *", "empty list item"],
    ["0 0 1.5 * *", "fraction"],
    ["H * * * *", "H (hashed) minute"],
    ["0 H * * *", "H (hashed) hour"],
    ["H/5 * * * *", "H with a step"],
    ["0 0 H * *", "H day-of-month"],
    ["@every", "unknown alias"],
    ["@reboot", "unsupported alias"],
    ["@every 5m", "unknown alias with argument"],
    ["@fortnightly", "unknown alias"],
    ["foo bar baz qux quux", "garbage"],
    ["a b c d e", "garbage"],
    ["0 0 * JANUARY *", "unknown month name"],
    ["0 0 0W * *", "0W"],
    ["0 0 32W * *", "32W"],
    ["0 0 W * *", "bare W"],
    ["0 0 * * 1#6", "sixth weekday"],
    ["0 0 * * 1#2,3", "# in a list"],
    ["0 0 * * L", "bare L in day-of-week"],
    ["0 0 * * * 2026", "a year as the 6th field"],
    // Alias lookups must not find Object.prototype's members (the API fuzz found "constructor" as a 500).
    ["constructor", "a name on Object.prototype"],
    ["toString", "a name on Object.prototype"],
    ["__proto__", "a name on Object.prototype"],
    ["hasOwnProperty", "a name on Object.prototype"],
  ])("%j (%s) throws InvalidCronError naming the field and the expression", (expr, _why) => {
    const field = "cron_expressions.3";
    let caught: unknown;
    try {
      parseCron(expr, field);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidCronError);
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught as InvalidCronError;
    expect(err.field).toBe(field);
    expect(err.code).toBe("invalid_cron");
    expect(err.status).toBe(422);
    expect(err.message).toContain(JSON.stringify(expr));
    expect(err.message.startsWith(`${field}:`)).toBe(true);
    expect(err.issues).toEqual([{ field, message: err.message }]);
  });

  it("uses whatever field name it is given (exclude list)", () => {
    expect(() => parseCron("nope", "exclude.2")).toThrow(/^exclude\.2: invalid cron expression "nope"/);
  });
});

describe("parseCron: exclusion helpers", () => {
  it.each<[string, number]>([
    ["0 9 * * *", 60_000],
    ["@daily", 60_000],
    ["* * * * *", 60_000],
    ["* * * * * *", 1_000],
    ["0 0 9 * * *", 1_000],
  ])("%s names spans of %s ms", (expr, granularity) => {
    expect(parseCron(expr, "f").granularityMs).toBe(granularity);
  });

  it.each<[string, string, boolean]>([
    ["* * * * *", "2026-01-03T13:00:00", true],
    ["* * * * 1-5", "2026-01-05T23:59:00", true], // Monday
    ["* * * * 1-5", "2026-01-03T00:00:00", false], // Saturday
    ["* * * * * *", "2026-01-03T00:00:00", true],
    ["0 * * * * *", "2026-01-03T00:00:00", false], // second 0 of each minute only
    ["* 0-22 * * *", "2026-01-03T00:00:00", false],
    ["@hourly", "2026-01-03T00:00:00", false],
    ["* * L * *", "2026-01-31T08:00:00", true],
    ["* * L * *", "2026-01-30T08:00:00", false],
    ["* * * 12 *", "2026-12-25T00:00:00", true],
    ["* * * 12 *", "2026-11-25T00:00:00", false],
  ])("%s covers the whole day of %s: %s", (expr, at, expected) => {
    expect(parseCron(expr, "f").coversDay(naive(at))).toBe(expected);
  });
});
