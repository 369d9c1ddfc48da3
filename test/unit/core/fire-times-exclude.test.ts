import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { between, next } from "../../../src/core/fire-times.ts";
import { compile, iso, ms, run, type Row } from "./fire-times-support.ts";

describe("exclude: evaluated in the schedule zone's local wall time", () => {
  it.each<Row>([
    {
      name: "Auckland weekdays: local Saturday 09:00 is a UTC Friday, and is excluded",
      input: { cron: "0 9 * * *", exclude: ["* * * * 0,6"], timezone: "Pacific/Auckland" },
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-06T00:00:00Z",
      // NZDT +13: Fri Jan 2 09:00 = Jan 1 20:00Z; Sat 3 / Sun 4 excluded; Mon 5 = Jan 4 20:00Z; Tue 6 = Jan 5 20:00Z
      fires: ["2026-01-01T20:00:00Z", "2026-01-04T20:00:00Z", "2026-01-05T20:00:00Z"],
    },
    {
      name: "New York night hours excluded from an hourly cron",
      input: { cron: "0 * * * *", exclude: ["* 0-6 * * *"], timezone: "America/New_York" },
      from: "2026-01-01T10:00:00Z", // 05:00 EST
      to: "2026-01-01T13:00:00Z",
      fires: ["2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z"], // 06:00 EST (11:00Z) excluded; 07:00, 08:00 EST fire
    },
    {
      name: "a date excluded from a daily cron",
      input: { cron: "0 9 * * *", exclude: ["* * 25 12 *"], timezone: "Europe/London" },
      from: "2026-12-24T00:00:00Z",
      to: "2026-12-27T00:00:00Z",
      fires: ["2026-12-24T09:00:00Z", "2026-12-26T09:00:00Z"],
    },
    {
      name: "exclusions apply to intervals and at times too",
      input: { intervals: [{ every: "1h" }], at: ["2026-01-01T02:30:00Z"], exclude: ["0 2 * * *", "30 2 * * *"], start_at: "2026-01-01T00:00:00Z" },
      from: "2025-12-31T00:00:00Z",
      to: "2026-01-01T03:00:00Z",
      fires: ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T03:00:00Z"],
    },
    {
      name: "a 5-field exclude names whole minutes",
      input: { cron: "*/30 * * * * *", exclude: ["1 0 * * *"] },
      from: "2026-01-01T00:00:30Z",
      to: "2026-01-01T00:02:00Z",
      fires: ["2026-01-01T00:02:00Z"], // 00:01:00 and 00:01:30 are both in minute 00:01
    },
    {
      name: "a 6-field exclude names single seconds",
      input: { cron: "*/30 * * * * *", exclude: ["0 1 0 * * *"] },
      from: "2026-01-01T00:00:30Z",
      to: "2026-01-01T00:02:00Z",
      fires: ["2026-01-01T00:01:30Z", "2026-01-01T00:02:00Z"], // only 00:01:00 itself
    },
    {
      name: "an interval anchored at creation (odd seconds and ms) is kept quiet at night by a 5-field exclude",
      input: { interval_seconds: "2h", exclude: ["* 0-6 * * *"], timezone: "Europe/Paris" },
      createdAt: "2026-01-01T12:03:27.250Z",
      from: "2026-01-01T12:00:00Z",
      to: "2026-01-02T12:00:00Z",
      // CET +01: 15:03:27.250, 17:.., 19:.., 21:.., 23:.. local fire; 01:.., 03:.., 05:.. local are excluded; 07:.. fires
      fires: ["2026-01-01T14:03:27.250Z", "2026-01-01T16:03:27.250Z", "2026-01-01T18:03:27.250Z", "2026-01-01T20:03:27.250Z", "2026-01-01T22:03:27.250Z", "2026-01-02T06:03:27.250Z", "2026-01-02T08:03:27.250Z", "2026-01-02T10:03:27.250Z"],
    },
    {
      name: "an at time with milliseconds is excluded by the second that holds it",
      input: { at: ["2026-01-01T10:00:05.500Z", "2026-01-01T10:00:06.500Z"], exclude: ["5 0 10 * * *"] },
      from: "2025-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
      fires: ["2026-01-01T10:00:06.500Z"],
    },
    {
      name: "a date exclusion also removes that date's gap-shifted fire",
      input: { cron: "30 2 * * *", exclude: ["* * 8 3 *"], timezone: "America/New_York" },
      from: "2026-03-07T05:00:00Z",
      to: "2026-03-10T04:00:00Z",
      fires: ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"], // Mar 8's 02:30 -> 03:30 EDT is still Mar 8
    },
    {
      name: "the repeated hour's second occurrence is excluded by its wall time",
      input: { cron: "30 * * * *", exclude: ["30 1 * * *"], timezone: "America/New_York" },
      from: "2026-11-01T04:00:00Z",
      to: "2026-11-01T08:00:00Z",
      fires: ["2026-11-01T04:30:00Z", "2026-11-01T07:30:00Z"], // 01:30 EDT and 01:30 EST both excluded
    },
    {
      name: "an exclusion removes the fire its wall time was shifted from (New York spring-forward Sunday)",
      input: { cron: "30 2 * * *", exclude: ["30 2 * * 0"], timezone: "America/New_York" },
      from: "2026-03-07T05:00:00Z",
      to: "2026-03-10T04:00:00Z",
      fires: ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"], // Sunday's 02:30 -> 03:30 EDT (07:30Z) is excluded
    },
    {
      name: "the same on Lord Howe Island's 30-minute gap",
      input: { cron: "15 2 * * *", exclude: ["15 2 * * 0"], timezone: "Australia/Lord_Howe" },
      from: "2026-10-02T00:00:00Z",
      to: "2026-10-05T00:00:00Z",
      fires: ["2026-10-02T15:45:00Z", "2026-10-04T15:15:00Z"], // Sunday Oct 4's 02:15 -> 02:45 (+11, Oct 3 15:45Z) is excluded
    },
    {
      name: "a shifted fire that is also a real match stays unless its own wall time is excluded",
      input: { cron_expressions: ["30 2 * * *", "30 3 * * *"], exclude: ["30 2 * * 0"], timezone: "America/New_York" },
      from: "2026-03-08T05:00:00Z",
      to: "2026-03-08T12:00:00Z",
      fires: ["2026-03-08T07:30:00Z"], // 03:30 EDT is wanted by the second expression
    },
    {
      name: "a shifted fire is also excluded by the local time it runs at (a 3 a.m. window covers 02:30 -> 03:30 EDT)",
      input: { cron: "30 2 * * *", exclude: ["* 3 * * *"], timezone: "America/New_York" },
      from: "2026-03-07T05:00:00Z",
      to: "2026-03-10T04:00:00Z",
      fires: ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"], // Sunday's 03:30 EDT (07:30Z) would run inside the excluded hour
    },
    {
      name: "an interval fire at 03:30 EDT is not a shifted 02:30, so a 02:30 exclusion keeps it",
      input: { intervals: [{ every: "1h" }], start_at: "2026-03-08T05:30:00Z", exclude: ["30 2 * * 0"], timezone: "America/New_York" },
      from: "2026-03-08T05:00:00Z",
      to: "2026-03-08T08:30:00Z",
      fires: ["2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z"],
    },
  ])("$name", run);
});

describe("exclusions that reject long stretches", () => {
  it.each<[string, ScheduleSpecInput, string, string]>([
    // More than 500,000 excluded candidates in a row used to end the search with null ("no more fires").
    ["every second, Sundays only (UTC)", { cron: "* * * * * *", exclude: ["* * * * * 1-6"] }, "2026-01-05T00:00:00Z", "2026-01-11T00:00:00.000Z"],
    ["every second interval, Sundays only", { intervals: [{ every: 1 }], start_at: "2026-01-01T00:00:00Z", exclude: ["* * * * 1-6"] }, "2026-01-05T00:00:00Z", "2026-01-11T00:00:00.000Z"],
    // Mon Mar 2 00:00 EST -> Sun Mar 8 00:00 EST (the spring-forward day; the change is at 02:00).
    ["every second, Sundays only (New York)", { cron: "* * * * * *", exclude: ["* * * * * 1-6"], timezone: "America/New_York" }, "2026-03-02T05:00:00Z", "2026-03-08T05:00:00.000Z"],
    // Sun Nov 1 00:00 EDT (fall-back day: within a day of the change it is walked minute by minute) -> Sat Nov 7 00:00 EST.
    ["every minute, Saturdays only, across fall-back", { cron: "* * * * *", exclude: ["* * * * 0-5"], timezone: "America/New_York" }, "2026-11-01T03:59:00Z", "2026-11-07T05:00:00.000Z"],
    // A whole excluded day that springs forward: the skip must not jump past Monday 00:00-00:59 EDT.
    ["quarter-hours, not on Sundays, New York spring-forward Sunday", { cron: "*/15 * * * *", exclude: ["* * * * 0"], timezone: "America/New_York" }, "2026-03-08T04:59:00Z", "2026-03-09T04:00:00.000Z"],
    // Same on Lord Howe (Sunday Oct 4 2026, 02:00 -> 02:30): Monday 00:00 +11 is Oct 4 13:00Z.
    ["quarter-hours, not on Sundays, Lord Howe spring-forward Sunday", { cron: "*/15 * * * *", exclude: ["* * * * SUN"], timezone: "Australia/Lord_Howe" }, "2026-10-03T13:29:00Z", "2026-10-04T13:00:00.000Z"],
    // Sat Oct 31 23:59:59 EDT -> Mon Nov 2 00:00 EST: fall-back Sunday is walked second by second (23 s per call once, each step re-walking an hour).
    ["every second, not on Sundays, New York fall-back Sunday", { cron: "* * * * * *", exclude: ["* * * * * 0"], timezone: "America/New_York" }, "2026-11-01T03:59:59Z", "2026-11-02T05:00:00.000Z"],
    // Troll's 2-hour fall-back (Sun Oct 25 2026 01:00Z, +02 -> +00): Sat 23:59:59 +02 -> Mon 00:00 +00 (695 s per call once).
    ["every second, not on Sundays, Antarctica/Troll fall-back Sunday", { cron: "* * * * * *", exclude: ["* * * * * 0"], timezone: "Antarctica/Troll" }, "2026-10-24T21:59:59Z", "2026-10-26T00:00:00.000Z"],
    // Two exclusions: one covers Sundays, the other only mornings; Monday afternoon must survive.
    ["hourly, no mornings and no Sundays", { cron: "0 * * * *", exclude: ["* 0-11 * * *", "* * * * 0"] }, "2026-01-04T00:00:00Z", "2026-01-05T12:00:00.000Z"],
    // Only December: 11 whole months excluded.
    ["every minute, December only", { cron: "* * * * *", exclude: ["* * * 1-11 *"], timezone: "Australia/Lord_Howe" }, "2026-01-15T00:00:00Z", "2026-11-30T13:00:00.000Z"], // Dec 1 00:00 +11
  ])("%s", (_name, input, after, expected) => {
    const spec = compile(input);
    const n = next(spec, ms(after));
    expect(n === null ? null : iso(n)).toBe(expected);
  });

  it("an exclusion that rejects everything ends with null", () => {
    expect(next(compile({ cron: "*/5 * * * *", exclude: ["* * * * *"], timezone: "Asia/Kolkata" }), ms("2026-01-01T00:00:00Z"))).toBeNull();
    expect(next(compile({ interval_seconds: "1h", exclude: ["@hourly", "1-59 * * * *"] }), ms("2026-01-01T00:00:00Z"))).toBeNull();
  });
});

describe("exclusions that together leave a sparse spec", () => {
  it("finds a fire that only two exclusions together leave, a week away, without walking every second", () => {
    // Every second, except hours 0-22 every day and hour 23 Monday to Saturday: only Sunday 23:xx fires.
    const spec = compile({ cron: "* * * * * *", exclude: ["* * 0-22 * * *", "* * 23 * * 1-6"] }, "2026-01-05T00:00:00Z"); // a Monday
    const started = performance.now();
    expect(iso(next(spec, ms("2026-01-05T00:00:00Z"))!)).toBe("2026-01-11T23:00:00.000Z");
    expect(iso(next(spec, ms("2026-01-11T23:59:59Z"))!)).toBe("2026-01-18T23:00:00.000Z");
    // Hour by hour, not second by second (which gave up after 500,000 candidates and read as "no more fires").
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("skips whole excluded hours in a zone with DST without skipping the hour of the change", () => {
    // Hourly at :30, excluding 0-1 and 3-23 New York time: only 02:30 is left, which the spring-forward day lacks (shifted to 03:30, excluded).
    const spec = compile({ cron: "30 * * * *", exclude: ["* 0-1 * * *", "* 3-23 * * *"], timezone: "America/New_York" }, "2026-03-07T00:00:00Z");
    expect(between(spec, ms("2026-03-07T00:00:00Z"), ms("2026-03-10T00:00:00Z")).map(iso)).toEqual(["2026-03-07T07:30:00.000Z", "2026-03-09T06:30:00.000Z"]);
  });
});
