import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { neverFires, parseCron } from "../../../src/core/cron.ts";
import { between, next } from "../../../src/core/fire-times.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { naive, nextN } from "./cron-support.ts";

// How far the cron search looks: the whole 400-year cycle of the Gregorian calendar, so a rare
// match decades away is found and "no match" means the expression never fires.

describe("parseCron: nextLocal finds rare matches decades ahead", () => {
  // Leap days that are Mondays (2024-02-29 was a Thursday): 2044, 2072, then 2112 (2100 is no leap year).
  it.each<[string, string, string[]]>([
    ["0 0 * 2 1#5", "2026-01-01T00:00:00", ["2044-02-29T00:00:00", "2072-02-29T00:00:00", "2112-02-29T00:00:00", "2140-02-29T00:00:00"]],
    ["30 15 9 * 2 MON#5", "2044-02-29T09:15:30", ["2072-02-29T09:15:30"]],
    ["0 0 * 2 1L", "2044-02-28T00:00:00", ["2044-02-29T00:00:00", "2045-02-27T00:00:00"]],
    // From inside the matching day: the rest of that day first, then decades on.
    ["0 */12 * 2 1#5", "2044-02-29T06:00:00", ["2044-02-29T12:00:00", "2072-02-29T00:00:00"]],
    // Years 0-99 stay those years (Date.UTC would read them as 1900-1999): 0016-02-29 is a Monday (proleptic Gregorian).
    ["0 0 * 2 1#5", "0001-01-01T00:00:00", ["0016-02-29T00:00:00"]],
  ])("%s after %s", (expr, after, expected) => {
    expect(nextN(parseCron(expr, "cron_expressions.0"), after, expected.length)).toEqual(expected);
  });

  it("a schedule's next fire is found through its zone, 18 years ahead", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 9 * 2 1#5", timezone: "Europe/Berlin" }), { createdAt: Date.parse("2026-06-01T00:00:00Z") });
    expect(next(spec, Date.parse("2026-06-01T00:00:00Z"))).toBe(Date.parse("2044-02-29T08:00:00Z"));
    expect(between(spec, Date.parse("2026-06-01T00:00:00Z"), Date.parse("2120-01-01T00:00:00Z")).map((t) => new Date(t).toISOString())).toEqual([
      "2044-02-29T08:00:00.000Z",
      "2072-02-29T08:00:00.000Z",
      "2112-02-29T08:00:00.000Z",
    ]);
  });
});

describe("parseCron: an expression that never fires", () => {
  it.each(["0 0 0 31W 4,6,9,11 *", "0 0 31W 2 *", "0 0 30W 2 *"])("%s: nextLocal is null from anywhere, and neverFires says so", (expr) => {
    const m = parseCron(expr, "f");
    expect(m.nextLocal(naive("2026-01-01T00:00:00"))).toBeNull();
    expect(m.nextLocal(naive("9999-12-31T23:59:59"))).toBeNull();
    expect(neverFires(m)).toBe(true);
  });

  it.each(["0 0 * 2 1#5", "0 0 29 2 *", "0 0 LW 2 *", "* * * * * *", "0 0 31W 1 *"])("%s fires", (expr) => {
    expect(neverFires(parseCron(expr, "f"))).toBe(false);
  });

  it("searches the whole 400-year cycle by month, not by day or minute: cheap even when nothing matches", () => {
    const m = parseCron("0 0 0 31W 4,6,9,11 *", "f");
    const rare = parseCron("* * * * 2 1#5", "f");
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      expect(m.nextLocal(naive("2026-01-01T00:00:00") + i * 1000)).toBeNull();
      expect(rare.nextLocal(naive("2044-03-01T00:00:00") + i * 1000)).toBe(naive("2072-02-29T00:00:00"));
    }
    // Month steps: about 0.2 ms a search; a day-by-day walk of 400 years with a Date per day is many times that.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("exclusions that leave a fire decades away", () => {
  const from = Date.parse("2026-01-01T00:00:00Z");
  const isoAll = (ts: number[]) => ts.map((t) => new Date(t).toISOString());
  // Excluded candidates used to be followed 12 years only: these specs read as "no more fires"
  // (a create completed the schedule at once) though the cron search itself covers 400 years.
  it("leap days except those that are Mondays: 2044, 2072, 2112", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 0 29 2 *", exclude: ["0 0 * * 0,2-6"] }), { createdAt: from });
    expect(isoAll(between(spec, from, Date.parse("2120-01-01T00:00:00Z")))).toEqual(["2044-02-29T00:00:00.000Z", "2072-02-29T00:00:00.000Z", "2112-02-29T00:00:00.000Z"]);
  });

  it("a 29th of the month that is a February Monday, in New York: monthly candidates, 18 years of them", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 9 29 * *", exclude: ["* * * 1,3-12 *", "* * * * 0,2-6"], timezone: "America/New_York" }), { createdAt: from });
    expect(next(spec, from)).toBe(Date.parse("2044-02-29T14:00:00Z"));
  });

  it("an exclusion that rejects every daily fire still ends with null, in bounded time", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 0 * * *", exclude: ["0 0 * * *"], timezone: "America/New_York" }), { createdAt: from });
    const started = performance.now();
    expect(next(spec, from)).toBeNull();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("a spec with no fire left", () => {
  it("searches the horizon once: asked again from the same or a later instant, it answers null without searching", () => {
    // Every candidate excluded: the fire after any instant is a search of the whole 400-year horizon.
    const base = compileSpec(ScheduleSpecInput.parse({ cron: "0 0 * * *", exclude: ["0 0 * * *"], timezone: "America/New_York" }), { createdAt: Date.parse("2026-01-01T00:00:00Z") });
    let lookups = 0;
    const z = base.zone;
    const spec = { ...base, zone: { name: z.name, fixed: z.fixed, offsetAt: (t: number) => (lookups++, z.offsetAt(t)), resolve: (n: number) => z.resolve(n), changeIn: (lo: number, hi: number) => z.changeIn(lo, hi) } };
    const t = Date.parse("2026-06-01T00:00:00Z");
    expect(next(spec, t)).toBeNull();
    const first = lookups;
    expect(first).toBeGreaterThan(1_000);
    for (const later of [t, t + 1, t + 86_400_000 * 365]) expect(next(spec, later)).toBeNull();
    expect(lookups).toBe(first);
    // An earlier instant is a new question (the memo only answers for instants after the one searched).
    expect(next({ ...spec }, t - 1)).toBeNull();
  });
});
