import { describe, it } from "vitest";
import { expectFires, type Row, KOL, SAO, THR } from "./dst-support.ts";

// Zones without DST (never had it, or abolished it) and odd zones: 2-hour DST, a Ramadan suspension, a gap across midnight, fixed offsets.
// Transition instants and offsets for every zone used here are listed in dst-support.ts.

describe("zones without DST", () => {
  it.each<Row>([
    {
      name: "Kolkata 02:30 on New York's spring-forward dates, 2026",
      input: { cron: "30 2 * * *", timezone: KOL },
      from: "2026-03-06T18:30:00Z", // Mar 7 00:00 IST
      to: "2026-03-09T18:30:00Z",
      fires: ["2026-03-06T21:00:00.000Z", "2026-03-07T21:00:00.000Z", "2026-03-08T21:00:00.000Z"], // 02:30 IST (+05:30)
    },
    {
      name: "Kolkata 01:30 on London's fall-back dates, 2027",
      input: { cron: "30 1 * * *", timezone: KOL },
      from: "2027-10-29T18:30:00Z",
      to: "2027-11-01T18:30:00Z",
      fires: ["2027-10-29T20:00:00.000Z", "2027-10-30T20:00:00.000Z", "2027-10-31T20:00:00.000Z"], // 01:30 IST
    },
    {
      name: "Kolkata */30 across New York's fall-back, 2026",
      input: { cron: "*/30 * * * *", timezone: KOL },
      from: "2026-11-01T04:00:00Z",
      to: "2026-11-01T07:00:00Z",
      fires: [
        "2026-11-01T04:30:00.000Z", // 10:00 IST
        "2026-11-01T05:00:00.000Z",
        "2026-11-01T05:30:00.000Z",
        "2026-11-01T06:00:00.000Z",
        "2026-11-01T06:30:00.000Z",
        "2026-11-01T07:00:00.000Z", // 12:30 IST
      ],
    },
    {
      name: "Sao Paulo 00:30 across the old November start date, 2026 (no gap any more)",
      input: { cron: "30 0 * * *", timezone: SAO },
      from: "2026-10-31T03:00:00Z", // Oct 31 00:00 -03
      to: "2026-11-03T03:00:00Z",
      fires: ["2026-10-31T03:30:00.000Z", "2026-11-01T03:30:00.000Z", "2026-11-02T03:30:00.000Z"], // 00:30 -03 each day
    },
    {
      name: "Sao Paulo 00:30 across the old November start date, 2027",
      input: { cron: "30 0 * * *", timezone: SAO },
      from: "2027-11-06T03:00:00Z",
      to: "2027-11-09T03:00:00Z",
      fires: ["2027-11-06T03:30:00.000Z", "2027-11-07T03:30:00.000Z", "2027-11-08T03:30:00.000Z"],
    },
    {
      name: "Sao Paulo 23:30 across the old February end date, 2026 (no repeat any more)",
      input: { cron: "30 23 * * *", timezone: SAO },
      from: "2026-02-13T03:00:00Z", // Feb 13 00:00 -03
      to: "2026-02-16T03:00:00Z",
      fires: [
        "2026-02-14T02:30:00.000Z", // Feb 13 23:30 -03
        "2026-02-15T02:30:00.000Z", // Feb 14 23:30 -03 (once)
        "2026-02-16T02:30:00.000Z", // Feb 15 23:30 -03
      ],
    },
    {
      name: "Sao Paulo 23:30 across the old February end date, 2027",
      input: { cron: "30 23 * * *", timezone: SAO },
      from: "2027-02-19T03:00:00Z",
      to: "2027-02-22T03:00:00Z",
      fires: ["2027-02-20T02:30:00.000Z", "2027-02-21T02:30:00.000Z", "2027-02-22T02:30:00.000Z"],
    },
    {
      name: "Sao Paulo :30 hourly across the old end date, 2027 (no doubled hour)",
      input: { cron: "30 * * * *", timezone: SAO },
      from: "2027-02-21T01:00:00Z", // Feb 20 22:00 -03
      to: "2027-02-21T04:00:00Z",
      fires: ["2027-02-21T01:30:00.000Z", "2027-02-21T02:30:00.000Z", "2027-02-21T03:30:00.000Z"],
    },
    {
      name: "Sao Paulo 00:30 in 2018, when the gap still existed",
      input: { cron: "30 0 * * *", timezone: SAO },
      from: "2018-11-03T03:00:00Z",
      to: "2018-11-06T02:00:00Z",
      fires: [
        "2018-11-03T03:30:00.000Z", // Nov 3 00:30 -03
        "2018-11-04T03:30:00.000Z", // Nov 4 00:30 does not exist -> 01:30 -02
        "2018-11-05T02:30:00.000Z", // Nov 5 00:30 -02
      ],
    },
    {
      name: "Sao Paulo 23:30 in 2019, when the hour still repeated",
      input: { cron: "30 23 * * *", timezone: SAO },
      from: "2019-02-15T02:00:00Z",
      to: "2019-02-18T03:00:00Z",
      fires: [
        "2019-02-16T01:30:00.000Z", // Feb 15 23:30 -02
        "2019-02-17T01:30:00.000Z", // Feb 16 23:30 -02, first (23:30 -03 = 02:30Z does not fire)
        "2019-02-18T02:30:00.000Z", // Feb 17 23:30 -03
      ],
    },
    {
      name: "Tehran 00:30 on the old March date, 2026",
      input: { cron: "30 0 * * *", timezone: THR },
      from: "2026-03-20T20:30:00Z", // Mar 21 00:00 +03:30
      to: "2026-03-23T20:30:00Z",
      fires: ["2026-03-20T21:00:00.000Z", "2026-03-21T21:00:00.000Z", "2026-03-22T21:00:00.000Z"], // 00:30 +03:30
    },
    {
      name: "Tehran 23:30 on the old September date, 2027",
      input: { cron: "30 23 * * *", timezone: THR },
      from: "2027-09-20T00:00:00Z",
      to: "2027-09-23T00:00:00Z",
      fires: ["2027-09-20T20:00:00.000Z", "2027-09-21T20:00:00.000Z", "2027-09-22T20:00:00.000Z"], // 23:30 +03:30
    },
    {
      name: "Tehran 00:30 in 2022, when the midnight gap still existed",
      input: { cron: "30 0 * * *", timezone: THR },
      from: "2022-03-20T20:30:00Z",
      to: "2022-03-23T19:30:00Z",
      fires: [
        "2022-03-20T21:00:00.000Z", // Mar 21 00:30 +03:30
        "2022-03-21T21:00:00.000Z", // Mar 22 00:30 does not exist -> 01:30 +04:30
        "2022-03-22T20:00:00.000Z", // Mar 23 00:30 +04:30
      ],
    },
    {
      name: "Tehran 23:30 in 2022, when 23:00-23:59 repeated",
      input: { cron: "30 23 * * *", timezone: THR },
      from: "2022-09-20T00:00:00Z",
      to: "2022-09-23T00:00:00Z",
      fires: [
        "2022-09-20T19:00:00.000Z", // Sep 20 23:30 +04:30
        "2022-09-21T19:00:00.000Z", // Sep 21 23:30 +04:30, first (23:30 +03:30 = 20:00Z does not fire)
        "2022-09-22T20:00:00.000Z", // Sep 22 23:30 +03:30
      ],
    },
  ])("$name", (row) => expectFires(row));
});

describe("odd zones: a 2-hour DST, a Ramadan suspension, a gap across midnight, fixed offsets", () => {
  // Antarctica/Troll: 2026-03-29T01:00Z 01:00 (+00) -> 03:00 (+02); 2026-10-25T01:00Z 03:00 (+02) -> 01:00 (+00).
  // Africa/Casablanca: 2026-02-15T02:00Z 03:00 (+01) -> 02:00 (+00); 2026-03-22T02:00Z 02:00 (+00) -> 03:00 (+01).
  // America/Nuuk: 2026-03-29T01:00Z Mar 28 23:00 (-02) -> Mar 29 00:00 (-01); 2026-10-25T01:00Z Oct 25 00:00 (-01) -> Oct 24 23:00 (-02).
  it.each<Row>([
    {
      name: "Troll 01:30 in the 2-hour gap",
      input: { cron: "30 1 * * *", timezone: "Antarctica/Troll" },
      from: "2026-03-28T00:00:00Z",
      to: "2026-03-30T00:00:00Z",
      fires: [
        "2026-03-28T01:30:00.000Z", // Mar 28 01:30 +00
        "2026-03-29T01:30:00.000Z", // Mar 29 01:30 does not exist -> 03:30 +02
        "2026-03-29T23:30:00.000Z", // Mar 30 01:30 +02
      ],
    },
    {
      name: "Troll 01:00,02:30 both in the gap, 2026",
      input: { cron: "0 1 * * *", cron_expressions: ["30 2 * * *"], timezone: "Antarctica/Troll" },
      from: "2026-03-29T00:00:00Z", // Mar 29 00:00 +00
      to: "2026-03-29T22:00:00Z", // Mar 30 00:00 +02
      fires: [
        "2026-03-29T01:00:00.000Z", // 01:00 -> 03:00 +02
        "2026-03-29T02:30:00.000Z", // 02:30 -> 04:30 +02
      ],
    },
    {
      name: "Troll 02:30 in the 2-hour repeat, 2027",
      input: { cron: "30 2 * * *", timezone: "Antarctica/Troll" },
      from: "2027-10-30T00:00:00Z",
      to: "2027-11-02T00:00:00Z",
      fires: [
        "2027-10-30T00:30:00.000Z", // Oct 30 02:30 +02
        "2027-10-31T00:30:00.000Z", // Oct 31 02:30 +02, first (02:30 +00 = 02:30Z does not fire)
        "2027-11-01T02:30:00.000Z", // Nov 1 02:30 +00
      ],
    },
    {
      name: "Troll :30 hourly through the 2-hour repeat, 2026",
      input: { cron: "30 * * * *", timezone: "Antarctica/Troll" },
      from: "2026-10-24T23:00:00Z", // 01:00 +02
      to: "2026-10-25T03:00:00Z",
      fires: [
        "2026-10-24T23:30:00.000Z", // 01:30 +02
        "2026-10-25T00:30:00.000Z", // 02:30 +02
        "2026-10-25T01:30:00.000Z", // 01:30 +00
        "2026-10-25T02:30:00.000Z", // 02:30 +00
      ],
    },
    {
      name: "Casablanca 02:30, Ramadan suspension start (repeat) 2026",
      input: { cron: "30 2 * * *", timezone: "Africa/Casablanca" },
      from: "2026-02-14T00:00:00Z",
      to: "2026-02-17T00:00:00Z",
      fires: [
        "2026-02-14T01:30:00.000Z", // Feb 14 02:30 +01
        "2026-02-15T01:30:00.000Z", // Feb 15 02:30 +01, first (02:30 +00 = 02:30Z does not fire)
        "2026-02-16T02:30:00.000Z", // Feb 16 02:30 +00
      ],
    },
    {
      name: "Casablanca 02:30, Ramadan suspension end (gap) 2026",
      input: { cron: "30 2 * * *", timezone: "Africa/Casablanca" },
      from: "2026-03-21T00:00:00Z",
      to: "2026-03-24T00:00:00Z",
      fires: [
        "2026-03-21T02:30:00.000Z", // Mar 21 02:30 +00
        "2026-03-22T02:30:00.000Z", // Mar 22 02:30 does not exist -> 03:30 +01
        "2026-03-23T01:30:00.000Z", // Mar 23 02:30 +01
      ],
    },
    {
      name: "Nuuk 23:30: the gap crosses midnight, so Saturday's fire lands early on Sunday",
      input: { cron: "30 23 * * *", timezone: "America/Nuuk" },
      from: "2026-03-27T12:00:00Z",
      to: "2026-03-30T12:00:00Z",
      fires: [
        "2026-03-28T01:30:00.000Z", // Fri Mar 27 23:30 -02
        "2026-03-29T01:30:00.000Z", // Sat Mar 28 23:30 does not exist -> Sun Mar 29 00:30 -01
        "2026-03-30T00:30:00.000Z", // Sun Mar 29 23:30 -01
      ],
    },
    {
      name: "Nuuk 23:30: the repeated hour is the last of Saturday",
      input: { cron: "30 23 * * *", timezone: "America/Nuuk" },
      from: "2026-10-23T12:00:00Z",
      to: "2026-10-26T12:00:00Z",
      fires: [
        "2026-10-24T00:30:00.000Z", // Oct 23 23:30 -01
        "2026-10-25T00:30:00.000Z", // Oct 24 23:30 -01, first (23:30 -02 = 01:30Z does not fire)
        "2026-10-26T01:30:00.000Z", // Oct 25 23:30 -02
      ],
    },
    {
      name: "Etc/GMT+5 is a fixed -05:00 (POSIX sign)",
      input: { cron: "0 9 * * *", timezone: "Etc/GMT+5" },
      from: "2026-03-07T00:00:00Z",
      to: "2026-03-09T00:00:00Z",
      fires: ["2026-03-07T14:00:00.000Z", "2026-03-08T14:00:00.000Z"],
    },
    {
      name: "Etc/GMT-14 is a fixed +14:00",
      input: { cron: "0 9 * * *", timezone: "Etc/GMT-14" },
      from: "2026-03-07T00:00:00Z",
      to: "2026-03-09T00:00:00Z",
      fires: ["2026-03-07T19:00:00.000Z", "2026-03-08T19:00:00.000Z"], // 09:00 +14 = 19:00Z the day before
    },
  ])("$name", (row) => expectFires(row));
});

describe("offset changes larger than 10,000 one-second candidates (the search once counted wasted steps and gave up)", () => {
  it.each<Row>([
    {
      name: "Casey every second, the day before its 3-hour fall-back, 2022",
      input: { cron: "* * * * * *", timezone: "Antarctica/Casey" },
      from: "2022-03-12T09:00:00Z", // 20:00 +11; 2022-03-12T13:00Z +11 -> +08 repeats 21:00-23:59
      to: "2022-03-12T09:00:03Z",
      fires: ["2022-03-12T09:00:01.000Z", "2022-03-12T09:00:02.000Z", "2022-03-12T09:00:03.000Z"],
    },
    {
      name: "Casey every second, hours after its 3-hour spring-forward, 2022",
      input: { cron: "* * * * * *", timezone: "Antarctica/Casey" },
      from: "2022-10-01T20:00:00Z", // 2022-10-01T16:01Z +08 -> +11
      to: "2022-10-01T20:00:02Z",
      fires: ["2022-10-01T20:00:01.000Z", "2022-10-01T20:00:02.000Z"],
    },
    {
      name: "Danmarkshavn every second, hours after its 3-hour gap, 1996",
      input: { cron: "* * * * * *", timezone: "America/Danmarkshavn", start_at: "1995-01-01T00:00:00Z" },
      from: "1996-01-01T08:00:00Z", // 1996-01-01T03:00Z -03 -> +00
      to: "1996-01-01T08:00:02Z",
      fires: ["1996-01-01T08:00:01.000Z", "1996-01-01T08:00:02.000Z"],
    },
    {
      name: "Kwajalein every 5 seconds on the day that repeated 23 hours, 1969",
      input: { cron: "*/5 * * * * *", timezone: "Pacific/Kwajalein", start_at: "1969-01-01T00:00:00Z" },
      from: "1969-09-30T00:00:00Z", // 11:00 +11, first pass; 1969-09-30T13:00Z +11 -> -12
      to: "1969-09-30T00:00:15Z",
      fires: ["1969-09-30T00:00:05.000Z", "1969-09-30T00:00:10.000Z", "1969-09-30T00:00:15.000Z"],
    },
  ])("$name", (row) => expectFires(row));
});

describe("a real wall time just after a gap that is not a whole clock hour comes before a shifted one", () => {
  it.each<Row>([
    {
      name: "Lord Howe 2025: 02:35 (+11) is real and comes before 02:15 shifted to 02:45",
      input: { cron: "15,35 2 * * *", timezone: "Australia/Lord_Howe" },
      from: "2025-10-04T15:00:00Z", // 01:30 +10:30; 2025-10-04T15:30Z 02:00 +10:30 -> 02:30 +11
      to: "2025-10-04T16:00:00Z",
      fires: ["2025-10-04T15:35:00.000Z", "2025-10-04T15:45:00.000Z"],
    },
    {
      name: "St John's 2006 (change at 00:01): 01:01-01:59 NDT are real; 01:00 shifted to 02:00 NDT comes after them",
      input: { cron: "* 1 * * *", timezone: "America/St_Johns", start_at: "2006-01-01T00:00:00Z" },
      from: "2006-04-02T03:30:59.999Z", // 00:00:59 -03:30; 2006-04-02T03:31Z 00:01 -03:30 -> 01:01 -02:30
      to: "2006-04-02T03:33:00Z",
      fires: ["2006-04-02T03:31:00.000Z", "2006-04-02T03:32:00.000Z", "2006-04-02T03:33:00.000Z"],
    },
    {
      name: "Troll 2025 (2-hour gap): 03:00 +02 is real and comes before 02:00 shifted to 04:00",
      input: { cron: "0 2,3 * * *", timezone: "Antarctica/Troll" },
      from: "2025-03-29T23:00:00Z", // 23:00 +00; 2025-03-30T01:00Z 01:00 +00 -> 03:00 +02
      to: "2025-03-30T02:00:00Z",
      fires: ["2025-03-30T01:00:00.000Z", "2025-03-30T02:00:00.000Z"],
    },
    {
      name: "Caracas 2016 (30-minute gap): 03:00 -04 is real and comes before 02:50 shifted to 03:20",
      input: { cron: "*/25 * * * *", timezone: "America/Caracas" },
      from: "2016-05-01T06:59:59.999Z", // 02:29:59 -04:30; 2016-05-01T07:00Z 02:30 -04:30 -> 03:00 -04
      to: "2016-05-01T07:25:00Z",
      fires: ["2016-05-01T07:00:00.000Z", "2016-05-01T07:20:00.000Z", "2016-05-01T07:25:00.000Z"],
    },
  ])("$name", (row) => expectFires(row));
});

describe("README's DST rules, read at their edges", () => {
  it.each<Row>([
    {
      name: "a fixed-hour fire whose first occurrence is before start_at does not move to the second",
      input: { cron: "30 1 * * *", timezone: "America/New_York", start_at: "2026-11-01T06:15:00Z" }, // 01:15 EST, the second pass
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T12:00:00Z",
      fires: ["2026-11-02T06:30:00.000Z"], // not 01:30 EST on Nov 1 (07:30Z): its first occurrence, 01:30 EDT, was before start_at
    },
    {
      name: "Samoa skipped 2011-12-30: a fire named for that day is shifted 24 h onto the 31st",
      input: { cron: "0 9 30 12 *", timezone: "Pacific/Apia", start_at: "2011-01-01T00:00:00Z" },
      from: "2011-12-29T00:00:00Z", // 2011-12-30T10:00Z -10 -> +14
      to: "2012-01-01T00:00:00Z",
      fires: ["2011-12-30T19:00:00.000Z"], // Dec 31 09:00 +14
    },
    {
      name: "Samoa: a daily fire on the skipped day meets the 31st's own, one fire",
      input: { cron: "0 12 * * *", timezone: "Pacific/Apia", start_at: "2011-01-01T00:00:00Z" },
      from: "2011-12-29T00:00:00Z",
      to: "2012-01-01T00:00:00Z",
      fires: ["2011-12-29T22:00:00.000Z", "2011-12-30T22:00:00.000Z", "2011-12-31T22:00:00.000Z"], // Dec 29 12:00 -10; Dec 31 12:00 +14 (once); Jan 1 12:00 +14
    },
  ])("$name", (row) => expectFires(row));
});
