import { describe, expect, it } from "vitest";
import { between, next, nextFire, upcoming } from "../../../src/core/fire-times.ts";
import { compile, iso, ms, run, type Row } from "./fire-times-support.ts";

describe("union of components: de-duplicated, strictly increasing", () => {
  it.each<Row>([
    {
      name: "two crons, an interval and two at times",
      input: {
        cron_expressions: ["0 * * * *", "*/30 * * * *"],
        intervals: [{ every: "20m" }],
        at: ["2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z"],
        start_at: "2026-01-01T00:00:00Z",
      },
      from: "2025-12-31T00:00:00Z",
      to: "2026-01-01T01:30:00Z",
      // 00:00 cron+cron+interval, 00:10 at, 00:20 interval, 00:30 cron+at, 00:40 interval, 01:00 all three, 01:20, 01:30
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z", "2026-01-01T01:20:00Z", "2026-01-01T01:30:00Z"],
    },
    {
      name: "the same cron twice is one fire",
      input: { cron_expressions: ["0 9 * * *", "0 9 * * *", "@daily"], timezone: "Asia/Tokyo" },
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-02T23:00:00Z",
      // Tokyo +09: 00:00 JST = 15:00Z the day before; 09:00 JST = 00:00Z
      fires: ["2026-01-01T15:00:00Z", "2026-01-02T00:00:00Z", "2026-01-02T15:00:00Z"],
    },
    {
      name: "two intervals with different anchors and offsets",
      input: { intervals: [{ every: "1h" }, { every: "45m", offset: "5m" }], start_at: "2026-01-01T00:00:00Z" },
      from: "2025-12-31T00:00:00Z",
      to: "2026-01-01T02:30:00Z",
      // 1h: 00:00 01:00 02:00; 45m+5m: 00:05 00:50 01:35 02:20
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", "2026-01-01T00:50:00Z", "2026-01-01T01:00:00Z", "2026-01-01T01:35:00Z", "2026-01-01T02:00:00Z", "2026-01-01T02:20:00Z"],
    },
    {
      name: "at times only (one-shots), given out of order",
      input: { at: ["2026-03-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00+01:00"] },
      from: "2025-12-31T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-31T23:00:00Z", "2026-03-01T00:00:00Z"],
    },
    {
      name: "6-field cron and an interval at the same seconds",
      input: { cron: "*/20 * * * * *", intervals: [{ every: 30 }], start_at: "2026-01-01T00:00:00Z" },
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-01T00:01:00Z",
      fires: ["2026-01-01T00:00:20Z", "2026-01-01T00:00:30Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"],
    },
  ])("$name", run);

  it("from any point, next() is the first fire strictly after it", () => {
    const spec = compile({ cron_expressions: ["7 * * * *", "*/13 * * * *"], intervals: [{ every: "17m", offset: "3m" }], at: ["2026-01-01T00:31:00Z"], start_at: "2026-01-01T00:00:00Z" });
    const fires = between(spec, ms("2026-01-01T00:00:00Z") - 1, ms("2026-01-01T06:00:00Z"));
    for (let i = 1; i < fires.length; i++) expect(fires[i]!).toBeGreaterThan(fires[i - 1]!);
    expect(new Set(fires).size).toBe(fires.length);
    for (let t = ms("2026-01-01T00:00:00Z") - 60_000; t < fires[fires.length - 1]!; t += 59_000) {
      expect(next(spec, t)).toBe(fires.find((f) => f > t));
    }
  });
});

describe("bounds: start_at and end_at are inclusive; between is (from, to]", () => {
  it.each<Row>([
    {
      name: "cron within start and end, both inclusive",
      input: { cron: "0 * * * *", start_at: "2026-01-01T05:00:00Z", end_at: "2026-01-01T08:00:00Z" },
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-02T00:00:00Z",
      fires: ["2026-01-01T05:00:00Z", "2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z", "2026-01-01T08:00:00Z"],
    },
    {
      name: "start_at between two matches",
      input: { cron: "0 * * * *", start_at: "2026-01-01T05:30:00Z", end_at: "2026-01-01T07:59:59Z" },
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-02T00:00:00Z",
      fires: ["2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z"],
    },
    {
      name: "at exactly on start_at and end_at, plus outside",
      input: { at: ["2026-01-01T04:59:59.999Z", "2026-01-01T05:00:00Z", "2026-01-01T08:00:00Z", "2026-01-01T08:00:00.001Z"], start_at: "2026-01-01T05:00:00Z", end_at: "2026-01-01T08:00:00Z" },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T05:00:00Z", "2026-01-01T08:00:00Z"],
    },
    {
      name: "interval from start_at to end_at",
      input: { intervals: [{ every: "1h" }], start_at: "2026-01-01T05:00:00Z", end_at: "2026-01-01T08:00:00Z" },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T05:00:00Z", "2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z", "2026-01-01T08:00:00Z"],
    },
    {
      name: "window end is inclusive, window start exclusive",
      input: { cron: "0 * * * *" },
      from: "2026-01-01T01:00:00Z",
      to: "2026-01-01T03:00:00Z",
      fires: ["2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"],
    },
    {
      name: "window start 1 ms before a fire includes it",
      input: { cron: "0 * * * *" },
      from: "2026-01-01T00:59:59.999Z",
      to: "2026-01-01T02:59:59.999Z",
      fires: ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"],
    },
    {
      name: "empty window",
      input: { cron: "0 * * * *" },
      from: "2026-01-01T01:00:00Z",
      to: "2026-01-01T01:00:00Z",
      fires: [],
    },
    {
      name: "without start_at, nothing at or before creation",
      input: { cron: "0 * * * *", at: ["2026-01-01T00:30:00Z", "2026-01-01T01:00:00Z"] },
      createdAt: "2026-01-01T01:00:00Z",
      from: "2025-01-01T00:00:00Z",
      to: "2026-01-01T03:00:00Z",
      fires: ["2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"],
    },
    {
      name: "start_at before creation counts from start_at",
      input: { cron: "0 * * * *", start_at: "2026-01-01T00:00:00Z" },
      createdAt: "2026-01-01T05:00:00Z",
      from: "2025-01-01T00:00:00Z",
      to: "2026-01-01T02:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"],
    },
  ])("$name", run);

  it("next() returns null past end_at, and the first fire from before start_at", () => {
    const spec = compile({ cron: "0 * * * *", start_at: "2026-01-01T05:00:00Z", end_at: "2026-01-01T08:00:00Z" });
    expect(next(spec, ms("2020-01-01T00:00:00Z"))).toBe(ms("2026-01-01T05:00:00Z"));
    expect(next(spec, ms("2026-01-01T07:59:59Z"))).toBe(ms("2026-01-01T08:00:00Z"));
    expect(next(spec, ms("2026-01-01T08:00:00Z"))).toBeNull();
    expect(next(spec, ms("2030-01-01T00:00:00Z"))).toBeNull();
  });

  it("between honours its limit", () => {
    const spec = compile({ cron: "* * * * *" });
    expect(between(spec, ms("2026-01-01T00:00:00Z"), ms("2026-01-02T00:00:00Z"), 3).map(iso)).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z", "2026-01-01T00:03:00.000Z"]);
    expect(between(spec, ms("2026-01-01T00:00:00Z"), ms("2026-01-02T00:00:00Z"))).toHaveLength(1440);
  });
});

describe("years 0-99 (Date.UTC reads them as 1900-1999)", () => {
  it.each<Row>([
    {
      name: "a daily cron in year 50 fires in year 50, not in 1950",
      input: { cron: "0 0 * * *", start_at: "0050-01-01T00:00:00Z" },
      from: "0049-12-31T00:00:00Z",
      to: "0050-01-02T00:00:00Z",
      fires: ["0050-01-01T00:00:00.000Z", "0050-01-02T00:00:00.000Z"],
    },
    {
      name: "29 February of year 0 (a leap year; 1900 is not), and its weekday (a Tuesday)",
      input: { cron: "0 0 29 2 2", start_at: "0000-01-01T00:00:00Z" },
      from: "0000-02-27T00:00:00Z",
      to: "0000-03-01T00:00:00Z",
      fires: ["0000-02-29T00:00:00.000Z"],
    },
  ])("$name", run);
});

describe("repeat_count: 0 is unlimited, N is the first N fires from the start", () => {
  it.each<Row>([
    {
      name: "3 hourly fires from start_at",
      input: { cron: "0 * * * *", start_at: "2026-01-01T00:00:00Z", repeat_count: 3 },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"],
    },
    {
      name: "excluded fires do not count",
      input: { cron: "0 * * * *", exclude: ["0 1 * * *"], start_at: "2026-01-01T00:00:00Z", repeat_count: 3 },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"],
    },
    {
      name: "a fire shared by two components counts once",
      input: { cron: "0 * * * *", intervals: [{ every: "30m" }], start_at: "2026-01-01T00:00:00Z", repeat_count: 3 },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T00:30:00Z", "2026-01-01T01:00:00Z"],
    },
    {
      name: "counted from creation when there is no start_at",
      input: { cron: "*/10 * * * *", repeat_count: 2 },
      createdAt: "2026-01-01T00:05:00Z",
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z"],
    },
    {
      name: "counted from the start, not from the window",
      input: { cron: "0 * * * *", start_at: "2026-01-01T00:00:00Z", repeat_count: 3 },
      from: "2026-01-01T01:30:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T02:00:00Z"],
    },
    {
      name: "more allowed than the spec has",
      input: { at: ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], repeat_count: 5 },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
    },
    {
      name: "repeat_count and end_at: whichever comes first",
      input: { cron: "0 * * * *", start_at: "2026-01-01T00:00:00Z", end_at: "2026-01-01T01:00:00Z", repeat_count: 5 },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"],
    },
  ])("$name", run);

  it("repeat_count 0 never stops", () => {
    const spec = compile({ cron: "0 0 * * *", start_at: "2026-01-01T00:00:00Z", repeat_count: 0 });
    const fires = between(spec, 0, ms("2030-12-31T00:00:00Z"));
    expect(fires).toHaveLength(365 * 5 + 1); // 2026-2030 with 2028's leap day, up to and including 2030-12-31
    expect(next(spec, ms("2099-06-01T00:00:00Z"))).toBe(ms("2099-06-02T00:00:00Z"));
  });

  it("after the last allowed fire, next() is null from anywhere", () => {
    const spec = compile({ cron: "0 * * * *", start_at: "2026-01-01T00:00:00Z", repeat_count: 2 });
    expect(next(spec, ms("2026-01-01T01:00:00Z"))).toBeNull();
    expect(next(spec, ms("2026-01-01T00:00:00Z"))).toBe(ms("2026-01-01T01:00:00Z"));
    expect(next(spec, ms("2026-06-01T00:00:00Z"))).toBeNull();
  });
});

describe("intervals: anchored at start_at, else one interval after creation", () => {
  it.each<Row>([
    {
      name: "Pipelit: interval_seconds 600, repeat_count 1 runs once, 10 minutes after creation",
      input: { interval_seconds: 600, repeat_count: 1 },
      createdAt: "2026-01-01T12:03:27.250Z",
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-02T00:00:00Z",
      fires: ["2026-01-01T12:13:27.250Z"],
    },
    {
      name: "without start_at, every 10 minutes from creation + 10 minutes",
      input: { interval_seconds: "10m" },
      createdAt: "2026-01-01T12:03:00Z",
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-01T12:45:00Z",
      fires: ["2026-01-01T12:13:00Z", "2026-01-01T12:23:00Z", "2026-01-01T12:33:00Z", "2026-01-01T12:43:00Z"],
    },
    {
      name: "without start_at, offset added to creation + every",
      input: { intervals: [{ every: "10m", offset: "2m" }] },
      createdAt: "2026-01-01T12:00:00Z",
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-01T12:35:00Z",
      fires: ["2026-01-01T12:12:00Z", "2026-01-01T12:22:00Z", "2026-01-01T12:32:00Z"],
    },
    {
      name: "with start_at, the first fire is start_at + offset",
      input: { intervals: [{ every: "1h", offset: "15m" }], start_at: "2026-01-01T00:00:00Z" },
      from: "2025-01-01T00:00:00Z",
      to: "2026-01-01T02:30:00Z",
      fires: ["2026-01-01T00:15:00Z", "2026-01-01T01:15:00Z", "2026-01-01T02:15:00Z"],
    },
    {
      name: "grid kept when asked from far after the anchor",
      input: { intervals: [{ every: "7m" }], start_at: "2026-01-01T00:00:00Z" },
      from: "2026-01-01T01:00:00Z",
      to: "2026-01-01T01:20:00Z",
      fires: ["2026-01-01T01:03:00Z", "2026-01-01T01:10:00Z", "2026-01-01T01:17:00Z"], // 63, 70, 77 minutes
    },
    {
      name: "start_at in the future with a created time long before",
      input: { interval_seconds: "1d", start_at: "2026-06-01T09:00:00Z" },
      createdAt: "2026-01-01T00:00:00Z",
      from: "2026-01-01T00:00:00Z",
      to: "2026-06-03T09:00:00Z",
      fires: ["2026-06-01T09:00:00Z", "2026-06-02T09:00:00Z", "2026-06-03T09:00:00Z"],
    },
    {
      name: "interval time zone does not matter",
      input: { interval_seconds: "1h", start_at: "2026-01-01T00:00:00Z", timezone: "Asia/Kathmandu" },
      from: "2025-01-01T00:00:00Z",
      to: "2026-01-01T01:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"],
    },
  ])("$name", run);

  it("Pipelit: after the single fire there is nothing more", () => {
    const spec = compile({ interval_seconds: 600, repeat_count: 1 }, "2026-01-01T12:00:00Z");
    expect(next(spec, ms("2026-01-01T12:00:00Z"))).toBe(ms("2026-01-01T12:10:00Z"));
    expect(next(spec, ms("2026-01-01T12:10:00Z"))).toBeNull();
  });
});

describe("nextFire / upcoming", () => {
  it("without jitter, actual equals nominal", () => {
    const spec = compile({ cron: "0 9 * * *", timezone: "Europe/London" });
    expect(upcoming(spec, "s1", ms("2026-07-01T00:00:00Z"), 3)).toEqual([
      { nominal: ms("2026-07-01T08:00:00Z"), actual: ms("2026-07-01T08:00:00Z") }, // 09:00 BST
      { nominal: ms("2026-07-02T08:00:00Z"), actual: ms("2026-07-02T08:00:00Z") },
      { nominal: ms("2026-07-03T08:00:00Z"), actual: ms("2026-07-03T08:00:00Z") },
    ]);
    expect(nextFire(spec, "s1", ms("2026-07-01T08:00:00Z"))).toEqual({ nominal: ms("2026-07-02T08:00:00Z"), actual: ms("2026-07-02T08:00:00Z") });
  });

  it("asking for no fires gives none", () => {
    const spec = compile({ cron: "0 9 * * *" });
    expect(upcoming(spec, "s1", 0, 0)).toEqual([]);
    expect(upcoming(spec, "s1", 0, 1)).toHaveLength(1);
  });

  it("stops early when the spec runs out, and nextFire is null after the end", () => {
    const spec = compile({ at: ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"] });
    expect(upcoming(spec, "s1", 0, 10).map((f) => iso(f.nominal))).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"]);
    expect(nextFire(spec, "s1", ms("2026-01-02T00:00:00Z"))).toBeNull();
  });

  it("with jitter, each actual is after its nominal and before the next nominal", () => {
    const spec = compile({ cron: "* * * * *", jitter_seconds: 3600 });
    const fires = upcoming(spec, "jittery", ms("2026-01-01T00:00:00Z"), 200);
    expect(fires).toHaveLength(200);
    for (let i = 0; i < fires.length; i++) {
      const f = fires[i]!;
      expect(f.nominal).toBe(ms("2026-01-01T00:00:00Z") + (i + 1) * 60_000);
      expect(f.actual).toBeGreaterThanOrEqual(f.nominal);
      expect(f.actual).toBeLessThan(f.nominal + 60_000); // the next nominal, not the 1-hour jitter
    }
    // Not all zero: jitter is really applied.
    expect(fires.some((f) => f.actual > f.nominal)).toBe(true);
    // Deterministic: the same plan twice.
    expect(upcoming(spec, "jittery", ms("2026-01-01T00:00:00Z"), 200)).toEqual(fires);
    // Depends on the schedule id.
    expect(upcoming(spec, "other", ms("2026-01-01T00:00:00Z"), 200)).not.toEqual(fires);
  });

  it("jitter on the last fire is bounded by jitter_seconds alone", () => {
    const spec = compile({ at: "2026-01-01T00:00:00Z", jitter_seconds: 10 });
    const [f] = upcoming(spec, "last", 0, 5);
    expect(f).toBeDefined();
    expect(f!.actual - f!.nominal).toBeGreaterThanOrEqual(0);
    expect(f!.actual - f!.nominal).toBeLessThan(10_000);
  });
});
