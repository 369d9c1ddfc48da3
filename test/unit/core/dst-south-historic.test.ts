import { describe, it } from "vitest";
import { expectFires, type Row } from "./dst-support.ts";

// DESIGN.md "Time semantics", DST rules, in a southern-hemisphere zone with a whole-hour DST
// (Sydney), one whose change is at midnight (Santiago), and zones whose offset changed once, for
// good (Pyongyang's 30-minute moves, Kiritimati's skipped day). Transitions, as the runtime's tz data has them:
//   Australia/Sydney   2026-04-04T16:00Z 03:00 AEDT(+11) -> 02:00 AEST(+10)   2026-10-03T16:00Z 02:00 (+10) -> 03:00 (+11)
//   America/Santiago   2026-04-05T03:00Z 00:00 (-03) -> 23:00 (-04) on Apr 4   2026-09-06T04:00Z 00:00 (-04) -> 01:00 (-03)
//   Asia/Pyongyang     2015-08-14T15:00Z 00:00 (+09) -> 23:30 (+08:30) on Aug 14   2018-05-04T15:00Z 23:30 (+08:30) -> 00:00 (+09) on May 5
//   Pacific/Kiritimati 1994-12-31T10:00Z Dec 31 00:00 (-10) -> Jan 1 00:00 (+14): 1994-12-31 never happened there

const SYD = "Australia/Sydney";
const SCL = "America/Santiago";
const PYG = "Asia/Pyongyang";

describe("southern hemisphere: spring-forward in October, fall-back in April", () => {
  it.each<Row>([
    {
      name: "Sydney 02:30 in the October gap fires once, at 03:30 AEDT",
      input: { cron: "30 2 * * *", timezone: SYD },
      from: "2026-10-02T00:00:00Z",
      to: "2026-10-05T00:00:00Z",
      fires: ["2026-10-02T16:30:00.000Z", "2026-10-03T16:30:00.000Z", "2026-10-04T15:30:00.000Z"], // 02:30 +10; 03:30 +11 (shifted); 02:30 +11
    },
    {
      name: "Sydney 02:30 and 03:30 on spring-forward day are one fire",
      input: { cron_expressions: ["30 2 * * *", "30 3 * * *"], timezone: SYD },
      from: "2026-10-03T12:00:00Z",
      to: "2026-10-04T12:00:00Z",
      fires: ["2026-10-03T16:30:00.000Z"],
    },
    {
      name: "Sydney 02:30 on fall-back day fires once, at its first occurrence (AEDT)",
      input: { cron: "30 2 * * *", timezone: SYD },
      from: "2026-04-03T00:00:00Z",
      to: "2026-04-06T00:00:00Z",
      fires: ["2026-04-03T15:30:00.000Z", "2026-04-04T15:30:00.000Z", "2026-04-05T16:30:00.000Z"], // not 02:30 AEST on Apr 5 (16:30Z)
    },
    {
      name: "Sydney every half hour through fall-back: every real half hour, 02:00-02:59 twice",
      input: { cron: "*/30 * * * *", timezone: SYD },
      from: "2026-04-04T14:00:00Z",
      to: "2026-04-04T17:30:00.000Z",
      fires: [
        "2026-04-04T14:30:00.000Z", // 01:30 +11
        "2026-04-04T15:00:00.000Z", // 02:00 +11
        "2026-04-04T15:30:00.000Z", // 02:30 +11
        "2026-04-04T16:00:00.000Z", // 02:00 +10
        "2026-04-04T16:30:00.000Z", // 02:30 +10
        "2026-04-04T17:00:00.000Z", // 03:00 +10
        "2026-04-04T17:30:00.000Z",
      ],
    },
    {
      name: "an hour field listing all 24 hours is `*`: Sydney 02:30 fires in both passes",
      input: { cron: "30 0-23 * * *", timezone: SYD },
      from: "2026-04-04T14:00:00Z",
      to: "2026-04-04T17:00:00Z",
      fires: ["2026-04-04T14:30:00.000Z", "2026-04-04T15:30:00.000Z", "2026-04-04T16:30:00.000Z"],
    },
    {
      name: "Santiago midnight does not exist in September: @daily fires at 01:00 -03",
      input: { cron: "@daily", timezone: SCL },
      from: "2026-09-04T00:00:00Z",
      to: "2026-09-08T00:00:00Z",
      fires: ["2026-09-04T04:00:00.000Z", "2026-09-05T04:00:00.000Z", "2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z"],
    },
    {
      name: "Santiago 00:30 in the midnight gap fires at 01:30 -03",
      input: { cron: "30 0 * * *", timezone: SCL },
      from: "2026-09-05T00:00:00Z",
      to: "2026-09-07T00:00:00Z",
      fires: ["2026-09-05T04:30:00.000Z", "2026-09-06T04:30:00.000Z"],
    },
    {
      name: "Santiago 23:30 on April 4 happens twice (the day before the change's date): fires at the first",
      input: { cron: "30 23 * * *", timezone: SCL },
      from: "2026-04-04T00:00:00Z",
      to: "2026-04-07T00:00:00Z",
      fires: ["2026-04-04T02:30:00.000Z", "2026-04-05T02:30:00.000Z", "2026-04-06T03:30:00.000Z"], // Apr 3, Apr 4 (-03, not 03:30Z -04), Apr 5 (-04)
    },
    {
      name: "Santiago hourly through fall-back: 23:30 twice",
      input: { cron: "30 * * * *", timezone: SCL },
      from: "2026-04-05T01:00:00Z",
      to: "2026-04-05T05:00:00Z",
      fires: ["2026-04-05T01:30:00.000Z", "2026-04-05T02:30:00.000Z", "2026-04-05T03:30:00.000Z", "2026-04-05T04:30:00.000Z"],
    },
  ])("$name", (row) => expectFires(row));
});

describe("historic one-off offset changes", () => {
  it.each<Row>([
    {
      name: "Pyongyang 2015: 23:30-23:59 of Aug 14 repeated; a fixed-hour fire takes the first pass only",
      input: { cron: "15,45 23 * * *", timezone: PYG },
      from: "2015-08-14T12:00:00Z",
      to: "2015-08-15T12:00:00Z",
      fires: ["2015-08-14T14:15:00.000Z", "2015-08-14T14:45:00.000Z"], // 23:15, 23:45 +09; not 23:45 +08:30 (15:15Z)
    },
    {
      name: "Pyongyang 2015: with hour `*`, 23:45 fires in both passes, 30 minutes apart",
      input: { cron: "15,45 * * * *", timezone: PYG },
      from: "2015-08-14T14:00:00Z",
      to: "2015-08-14T16:00:00Z",
      fires: ["2015-08-14T14:15:00.000Z", "2015-08-14T14:45:00.000Z", "2015-08-14T15:15:00.000Z", "2015-08-14T15:45:00.000Z"], // 23:15 +9, 23:45 +9, 23:45 +8:30, 00:15 +8:30
    },
    {
      name: "Pyongyang 2018: 23:45 on May 4 did not exist; shifted 30 minutes to 00:15 +09",
      input: { cron: "45 23 * * *", timezone: PYG },
      from: "2018-05-03T00:00:00Z",
      to: "2018-05-06T00:00:00Z",
      fires: ["2018-05-03T15:15:00.000Z", "2018-05-04T15:15:00.000Z", "2018-05-05T14:45:00.000Z"], // 23:45 +08:30; 00:15 +09 (shifted); 23:45 +09
    },
    {
      name: "Pyongyang 2018: the shifted 23:45 meets the real 00:15, one fire",
      input: { cron: "15,45 * * * *", timezone: PYG },
      from: "2018-05-04T14:00:00Z",
      to: "2018-05-04T16:00:00Z",
      fires: ["2018-05-04T14:15:00.000Z", "2018-05-04T14:45:00.000Z", "2018-05-04T15:15:00.000Z", "2018-05-04T15:45:00.000Z"], // 22:45, 23:15 +8:30; 00:15 +9 (once); 00:45 +9
    },
    {
      name: "Kiritimati skipped 1994-12-31: its noon fire is shifted 24 h and meets Jan 1's, one fire",
      input: { cron: "0 12 * * *", timezone: "Pacific/Kiritimati", start_at: "1994-01-01T00:00:00Z" },
      from: "1994-12-29T00:00:00Z",
      to: "1995-01-02T00:00:00Z",
      fires: ["1994-12-29T22:00:00.000Z", "1994-12-30T22:00:00.000Z", "1994-12-31T22:00:00.000Z", "1995-01-01T22:00:00.000Z"], // Dec 29, 30 -10; Jan 1 +14 (once); Jan 2 +14
    },
  ])("$name", (row) => expectFires(row));
});
