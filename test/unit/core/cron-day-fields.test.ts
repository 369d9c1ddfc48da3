import { describe, expect, it } from "vitest";
import { CronExpressionParser } from "cron-parser";
import { neverFires, parseCron, type CronMatcher } from "../../../src/core/cron.ts";

// Vixie cron's day-of-month / day-of-week rule: when either field starts with `*` the two are
// ANDed; only when both are restricted (neither starts with `*`) does either match.
// 2026-01-01 is a Thursday; Mondays in early 2026: Jan 5, 12, 19, 26; Feb 2, 9, 16, 23; Mar 2, 9, 16, 23, 30.
const naive = (wall: string): number => Date.parse(`${wall}Z`);
const wall = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function nextDays(m: CronMatcher, after: string, count: number): string[] {
  const out: string[] = [];
  let t = naive(after);
  for (let i = 0; i < count; i++) {
    const n = m.nextLocal(t);
    if (n === null) break;
    out.push(wall(n));
    t = n;
  }
  return out;
}

describe("day-of-month and day-of-week (Vixie cron)", () => {
  it.each<[string, string, string[]]>([
    // A `*`-prefixed field ANDs: odd days that are Mondays.
    ["0 0 */2 * 1", "2026-01-01T00:00:00", ["2026-01-05", "2026-01-19", "2026-02-09", "2026-02-23", "2026-03-09", "2026-03-23"]],
    ["0 0 */2 * MON", "2026-01-01T00:00:00", ["2026-01-05", "2026-01-19"]],
    // The 1st of the month when it is a Sunday, Tuesday, Thursday or Saturday.
    ["0 0 1 * */2", "2025-12-31T00:00:00", ["2026-01-01", "2026-02-01", "2026-03-01", "2026-08-01", "2026-09-01", "2026-10-01"]],
    ["0 0 ?/2 * 1", "2026-01-01T00:00:00", ["2026-01-05", "2026-01-19"]],
    // Leap days that are Sundays (`*/7` is days 0 and 7, both Sunday): decades apart.
    ["0 0 29 2 */7", "2026-01-01T00:00:00", ["2032-02-29", "2060-02-29", "2088-02-29"]],
    // Both restricted: either matches, as before.
    ["0 0 1 * 1", "2026-01-01T00:00:00", ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-01", "2026-02-02"]],
    ["0 0 1-31/2 * 1", "2026-01-01T00:00:00", ["2026-01-03", "2026-01-05", "2026-01-07", "2026-01-09", "2026-01-11", "2026-01-12"]],
    // A plain `*` (or `?`) leaves the other field alone.
    ["0 0 * * 1", "2026-01-01T00:00:00", ["2026-01-05", "2026-01-12"]],
    ["0 0 15 * ?", "2026-01-01T00:00:00", ["2026-01-15", "2026-02-15"]],
  ])("%s after %s", (expr, after, expected) => {
    expect(nextDays(parseCron(expr, "cron_expressions.0"), after, expected.length)).toEqual(expected);
  });

  it.each<[string, string, boolean]>([
    ["0 0 */2 * 1", "2026-01-05T00:00:00", true], // odd Monday
    ["0 0 */2 * 1", "2026-01-12T00:00:00", false], // even Monday
    ["0 0 */2 * 1", "2026-01-07T00:00:00", false], // odd Wednesday
    ["0 0 1 * */2", "2026-04-01T00:00:00", false], // a Wednesday 1st
    ["0 0 1 * */2", "2026-01-03T00:00:00", false], // a Saturday, not the 1st
    ["0 0 1 * 1", "2026-01-12T00:00:00", true], // both restricted: a Monday is enough
  ])("%s matches %s: %s", (expr, at, expected) => {
    expect(parseCron(expr, "f").matchesLocal(naive(at))).toBe(expected);
  });

  it("cron-parser ORs a `*/2` day-of-month with a restricted day-of-week (the difference overridden)", () => {
    const lib = CronExpressionParser.parse("0 0 0 */2 * 1", { tz: "UTC", currentDate: new Date("2026-01-01T00:00:00Z") });
    expect(lib.next().toISOString()?.slice(0, 10)).toBe("2026-01-03"); // an odd Saturday: OR
    expect(nextDays(parseCron("0 0 */2 * 1", "f"), "2026-01-01T00:00:00", 1)).toEqual(["2026-01-05"]);
  });

  it("an AND that no date satisfies never fires (cron-parser accepts it: for it, day-of-week could match alone)", () => {
    expect(neverFires(parseCron("0 0 30 2 */2", "f"))).toBe(true);
    expect(neverFires(parseCron("0 0 30 2 1", "f"))).toBe(false); // both restricted: Mondays in February
  });
});
