import { describe, it } from "vitest";
import { expectFires, type Row, CHA, KOL, LHI, LON, NY, SAO } from "./dst-support.ts";

// Intervals ignore DST entirely: constant spacing in UTC, whatever the zone.
// Transition instants and offsets for every zone used here are listed in dst-support.ts.

describe("intervals ignore DST: constant spacing in UTC", () => {
  it.each<Row>([
    {
      name: "New York 1h across spring-forward 2026",
      input: { intervals: [{ every: "1h" }], start_at: "2026-03-08T05:00:00Z", timezone: NY },
      from: "2026-03-08T04:00:00Z",
      to: "2026-03-08T09:00:00Z",
      fires: [
        "2026-03-08T05:00:00.000Z", // 00:00 EST (start_at, inclusive)
        "2026-03-08T06:00:00.000Z", // 01:00 EST
        "2026-03-08T07:00:00.000Z", // 03:00 EDT
        "2026-03-08T08:00:00.000Z", // 04:00 EDT
        "2026-03-08T09:00:00.000Z", // 05:00 EDT
      ],
    },
    {
      name: "New York 1h across fall-back 2027",
      input: { intervals: [{ every: "1h" }], start_at: "2027-11-07T04:00:00Z", timezone: NY },
      from: "2027-11-07T03:00:00Z",
      to: "2027-11-07T08:00:00Z",
      fires: [
        "2027-11-07T04:00:00.000Z", // 00:00 EDT
        "2027-11-07T05:00:00.000Z", // 01:00 EDT
        "2027-11-07T06:00:00.000Z", // 01:00 EST
        "2027-11-07T07:00:00.000Z", // 02:00 EST
        "2027-11-07T08:00:00.000Z", // 03:00 EST
      ],
    },
    {
      name: "New York 1d across spring-forward 2027 (09:00 EST becomes 10:00 EDT)",
      input: { interval_seconds: 86_400, start_at: "2027-03-13T14:00:00Z", timezone: NY },
      from: "2027-03-13T00:00:00Z",
      to: "2027-03-16T00:00:00Z",
      fires: ["2027-03-13T14:00:00.000Z", "2027-03-14T14:00:00.000Z", "2027-03-15T14:00:00.000Z"],
    },
    {
      name: "London 30m offset 10m across fall-back 2026",
      input: { intervals: [{ every: "30m", offset: "10m" }], start_at: "2026-10-25T00:00:00Z", timezone: LON },
      from: "2026-10-25T00:00:00Z",
      to: "2026-10-25T02:00:00Z",
      fires: [
        "2026-10-25T00:10:00.000Z", // 01:10 BST
        "2026-10-25T00:40:00.000Z", // 01:40 BST
        "2026-10-25T01:10:00.000Z", // 01:10 GMT
        "2026-10-25T01:40:00.000Z", // 01:40 GMT
      ],
    },
    {
      name: "London 1h across spring-forward 2027",
      input: { intervals: [{ every: 3600 }], start_at: "2027-03-27T23:00:00Z", timezone: LON },
      from: "2027-03-27T23:00:00Z", // start_at itself is excluded by the window
      to: "2027-03-28T03:00:00Z",
      fires: ["2027-03-28T00:00:00.000Z", "2027-03-28T01:00:00.000Z", "2027-03-28T02:00:00.000Z", "2027-03-28T03:00:00.000Z"],
    },
    {
      name: "Lord Howe 1h across fall-back 2026",
      input: { intervals: [{ every: "1h" }], start_at: "2026-04-04T13:00:00Z", timezone: LHI },
      from: "2026-04-04T12:00:00Z",
      to: "2026-04-04T17:00:00Z",
      fires: [
        "2026-04-04T13:00:00.000Z", // 00:00 +11
        "2026-04-04T14:00:00.000Z", // 01:00 +11
        "2026-04-04T15:00:00.000Z", // 01:30 +10:30
        "2026-04-04T16:00:00.000Z", // 02:30 +10:30
        "2026-04-04T17:00:00.000Z", // 03:30 +10:30
      ],
    },
    {
      name: "Lord Howe 45m across spring-forward 2027",
      input: { intervals: [{ every: "45m" }], start_at: "2027-10-02T14:00:00Z", timezone: LHI },
      from: "2027-10-02T13:00:00Z",
      to: "2027-10-02T17:00:00Z",
      fires: [
        "2027-10-02T14:00:00.000Z", // 00:30 +10:30
        "2027-10-02T14:45:00.000Z", // 01:15 +10:30
        "2027-10-02T15:30:00.000Z", // 02:30 +11
        "2027-10-02T16:15:00.000Z", // 03:15 +11
        "2027-10-02T17:00:00.000Z", // 04:00 +11 (`to` is inclusive)
      ],
    },
    {
      name: "Chatham 1h across spring-forward 2026",
      input: { intervals: [{ every: "1h" }], start_at: "2026-09-26T12:00:00Z", timezone: CHA },
      from: "2026-09-26T11:00:00Z",
      to: "2026-09-26T16:00:00Z",
      fires: [
        "2026-09-26T12:00:00.000Z", // 00:45 +12:45
        "2026-09-26T13:00:00.000Z", // 01:45 +12:45
        "2026-09-26T14:00:00.000Z", // 03:45 +13:45
        "2026-09-26T15:00:00.000Z", // 04:45 +13:45
        "2026-09-26T16:00:00.000Z", // 05:45 +13:45
      ],
    },
    {
      name: "Chatham 1h across fall-back 2027",
      input: { intervals: [{ every: "1h" }], start_at: "2027-04-03T12:00:00Z", timezone: CHA },
      from: "2027-04-03T11:00:00Z",
      to: "2027-04-03T15:00:00Z",
      fires: [
        "2027-04-03T12:00:00.000Z", // 01:45 +13:45
        "2027-04-03T13:00:00.000Z", // 02:45 +13:45
        "2027-04-03T14:00:00.000Z", // 02:45 +12:45
        "2027-04-03T15:00:00.000Z", // 03:45 +12:45
      ],
    },
    {
      name: "Kolkata 1h",
      input: { intervals: [{ every: "1h" }], start_at: "2026-11-01T04:00:00Z", timezone: KOL },
      from: "2026-11-01T04:00:00Z",
      to: "2026-11-01T07:00:00Z",
      fires: ["2026-11-01T05:00:00.000Z", "2026-11-01T06:00:00.000Z", "2026-11-01T07:00:00.000Z"],
    },
    {
      name: "Sao Paulo 1h in 2018 across the gap",
      input: { intervals: [{ every: "1h" }], start_at: "2018-11-04T01:00:00Z", timezone: SAO },
      from: "2018-11-04T00:00:00Z",
      to: "2018-11-04T05:00:00Z",
      fires: [
        "2018-11-04T01:00:00.000Z", // Nov 3 22:00 -03
        "2018-11-04T02:00:00.000Z", // Nov 3 23:00 -03
        "2018-11-04T03:00:00.000Z", // Nov 4 01:00 -02
        "2018-11-04T04:00:00.000Z", // 02:00 -02
        "2018-11-04T05:00:00.000Z", // 03:00 -02
      ],
    },
  ])("$name", (row) => expectFires(row));
});

describe("intervals ignore DST: the remaining transitions of 2026 and 2027, every 90 minutes", () => {
  // [zone, start_at (first fire), the next three fires] with the local reading of each.
  it.each<[string, string, string, [string, string, string]]>([
    [NY, "fall-back 2026", "2026-11-01T04:00:00.000Z", ["2026-11-01T05:30:00.000Z", "2026-11-01T07:00:00.000Z", "2026-11-01T08:30:00.000Z"]], // 00:00 EDT, 01:30 EDT, 02:00 EST, 03:30 EST
    [LON, "spring-forward 2026", "2026-03-29T00:00:00.000Z", ["2026-03-29T01:30:00.000Z", "2026-03-29T03:00:00.000Z", "2026-03-29T04:30:00.000Z"]], // 00:00 GMT, 02:30 BST, 04:00 BST, 05:30 BST
    [LON, "fall-back 2027", "2027-10-31T00:00:00.000Z", ["2027-10-31T01:30:00.000Z", "2027-10-31T03:00:00.000Z", "2027-10-31T04:30:00.000Z"]], // 01:00 BST, 01:30 GMT, 03:00 GMT, 04:30 GMT
    [LHI, "spring-forward 2026", "2026-10-03T14:00:00.000Z", ["2026-10-03T15:30:00.000Z", "2026-10-03T17:00:00.000Z", "2026-10-03T18:30:00.000Z"]], // 00:30 +10:30, 02:30 +11, 04:00 +11, 05:30 +11
    [LHI, "fall-back 2027", "2027-04-03T14:00:00.000Z", ["2027-04-03T15:30:00.000Z", "2027-04-03T17:00:00.000Z", "2027-04-03T18:30:00.000Z"]], // 01:00 +11, 02:00 +10:30, 03:30 +10:30, 05:00 +10:30
    [CHA, "fall-back 2026", "2026-04-04T13:00:00.000Z", ["2026-04-04T14:30:00.000Z", "2026-04-04T16:00:00.000Z", "2026-04-04T17:30:00.000Z"]], // 02:45 +13:45, 03:15 +12:45, 04:45 +12:45, 06:15 +12:45
    [CHA, "spring-forward 2027", "2027-09-25T13:00:00.000Z", ["2027-09-25T14:30:00.000Z", "2027-09-25T16:00:00.000Z", "2027-09-25T17:30:00.000Z"]], // 01:45 +12:45, 04:15 +13:45, 05:45 +13:45, 07:15 +13:45
    [KOL, "New York's spring-forward 2027", "2027-03-14T05:00:00.000Z", ["2027-03-14T06:30:00.000Z", "2027-03-14T08:00:00.000Z", "2027-03-14T09:30:00.000Z"]], // 10:30, 12:00, 13:30, 15:00 IST
  ])("%s across %s", (zone, _when, start, rest) => {
    const startMs = Date.parse(start);
    expectFires({
      name: `${zone} 90m`,
      input: { intervals: [{ every: "90m" }], start_at: start, timezone: zone },
      from: new Date(startMs - 3_600_000).toISOString(),
      to: new Date(startMs + 4.5 * 3_600_000).toISOString(),
      fires: [start, ...rest],
    });
  });
});

describe("DST rules hold for every compiled component at once", () => {
  it("a cron in the gap and an interval on the shifted instant give one fire", () => {
    // 02:30 on 2026-03-08 New York shifts to 03:30 EDT = 07:30Z; the interval also lands on 07:30Z.
    expectFires({
      name: "union",
      input: { cron: "30 2 * * *", intervals: [{ every: "1d" }], start_at: "2026-03-07T07:30:00Z", timezone: NY },
      from: "2026-03-07T07:00:00Z",
      to: "2026-03-09T12:00:00Z",
      fires: [
        "2026-03-07T07:30:00.000Z", // both: 02:30 EST and start_at
        "2026-03-08T07:30:00.000Z", // both: 02:30 shifted to 03:30 EDT, and start_at + 1d
        "2026-03-09T06:30:00.000Z", // cron: 02:30 EDT
        "2026-03-09T07:30:00.000Z", // interval: start_at + 2d
      ],
    });
  });
});
