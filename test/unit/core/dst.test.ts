import { describe, it } from "vitest";
import { expectFires, type Row, CHA, LHI, LON, NY } from "./dst-support.ts";

// DESIGN.md DST rules 1 and 2 for fixed-hour expressions: a wall time in the spring-forward gap fires once, shifted forward by the gap; a repeated wall time fires once, at its first occurrence.
// Transition instants and offsets for every zone used here are listed in dst-support.ts.

describe("spring-forward gap: a fixed wall time fires once that day, shifted forward by the gap", () => {
  it.each<Row>([
    {
      name: "New York 02:30, 2026",
      input: { cron: "30 2 * * *", timezone: NY },
      from: "2026-03-07T05:00:00Z", // Mar 7 00:00 EST
      to: "2026-03-10T04:00:00Z", // Mar 10 00:00 EDT
      fires: [
        "2026-03-07T07:30:00.000Z", // Mar 7 02:30 EST (-05)
        "2026-03-08T07:30:00.000Z", // Mar 8 02:30 does not exist -> 03:30 EDT (-04)
        "2026-03-09T06:30:00.000Z", // Mar 9 02:30 EDT (-04)
      ],
    },
    {
      name: "New York 02:30, 2027",
      input: { cron: "30 2 * * *", timezone: NY },
      from: "2027-03-13T05:00:00Z",
      to: "2027-03-16T04:00:00Z",
      fires: [
        "2027-03-13T07:30:00.000Z", // Mar 13 02:30 EST
        "2027-03-14T07:30:00.000Z", // Mar 14 02:30 -> 03:30 EDT
        "2027-03-15T06:30:00.000Z", // Mar 15 02:30 EDT
      ],
    },
    {
      name: "New York 02:00 (first minute of the gap), 2026",
      input: { cron: "0 2 * * *", timezone: NY },
      from: "2026-03-07T05:00:00Z",
      to: "2026-03-10T04:00:00Z",
      fires: [
        "2026-03-07T07:00:00.000Z", // 02:00 EST
        "2026-03-08T07:00:00.000Z", // 02:00 -> 03:00 EDT
        "2026-03-09T06:00:00.000Z", // 02:00 EDT
      ],
    },
    {
      name: "New York 02:59:59 (last second of the gap, 6 fields), 2027",
      input: { cron: "59 59 2 * * *", timezone: NY },
      from: "2027-03-13T05:00:00Z",
      to: "2027-03-16T04:00:00Z",
      fires: [
        "2027-03-13T07:59:59.000Z", // 02:59:59 EST
        "2027-03-14T07:59:59.000Z", // 02:59:59 -> 03:59:59 EDT
        "2027-03-15T06:59:59.000Z", // 02:59:59 EDT
      ],
    },
    {
      name: "London 01:30, 2026",
      input: { cron: "30 1 * * *", timezone: LON },
      from: "2026-03-28T00:00:00Z", // Mar 28 00:00 GMT
      to: "2026-03-30T23:00:00Z", // Mar 31 00:00 BST
      fires: [
        "2026-03-28T01:30:00.000Z", // Mar 28 01:30 GMT (+00)
        "2026-03-29T01:30:00.000Z", // Mar 29 01:30 does not exist -> 02:30 BST (+01)
        "2026-03-30T00:30:00.000Z", // Mar 30 01:30 BST
      ],
    },
    {
      name: "London 01:30, 2027",
      input: { cron: "30 1 * * *", timezone: LON },
      from: "2027-03-27T00:00:00Z",
      to: "2027-03-29T23:00:00Z",
      fires: [
        "2027-03-27T01:30:00.000Z", // 01:30 GMT
        "2027-03-28T01:30:00.000Z", // 01:30 -> 02:30 BST
        "2027-03-29T00:30:00.000Z", // 01:30 BST
      ],
    },
    {
      name: "Lord Howe 02:15 (30-minute gap), 2026",
      input: { cron: "15 2 * * *", timezone: LHI },
      from: "2026-10-02T13:30:00Z", // Oct 3 00:00 +10:30
      to: "2026-10-05T13:00:00Z", // Oct 6 00:00 +11
      fires: [
        "2026-10-02T15:45:00.000Z", // Oct 3 02:15 +10:30
        "2026-10-03T15:45:00.000Z", // Oct 4 02:15 does not exist -> 02:45 +11
        "2026-10-04T15:15:00.000Z", // Oct 5 02:15 +11
      ],
    },
    {
      name: "Lord Howe 02:15 (30-minute gap), 2027",
      input: { cron: "15 2 * * *", timezone: LHI },
      from: "2027-10-01T13:30:00Z",
      to: "2027-10-04T13:00:00Z",
      fires: [
        "2027-10-01T15:45:00.000Z", // Oct 2 02:15 +10:30
        "2027-10-02T15:45:00.000Z", // Oct 3 02:15 -> 02:45 +11
        "2027-10-03T15:15:00.000Z", // Oct 4 02:15 +11
      ],
    },
    {
      name: "Lord Howe 02:00 (first minute of the gap), 2026",
      input: { cron: "0 2 * * *", timezone: LHI },
      from: "2026-10-02T13:30:00Z",
      to: "2026-10-05T13:00:00Z",
      fires: [
        "2026-10-02T15:30:00.000Z", // Oct 3 02:00 +10:30
        "2026-10-03T15:30:00.000Z", // Oct 4 02:00 -> 02:30 +11
        "2026-10-04T15:00:00.000Z", // Oct 5 02:00 +11
      ],
    },
    {
      name: "Chatham 02:45 (gap 02:45-03:44), 2026",
      input: { cron: "45 2 * * *", timezone: CHA },
      from: "2026-09-25T11:15:00Z", // Sep 26 00:00 +12:45
      to: "2026-09-28T10:15:00Z", // Sep 29 00:00 +13:45
      fires: [
        "2026-09-25T14:00:00.000Z", // Sep 26 02:45 +12:45
        "2026-09-26T14:00:00.000Z", // Sep 27 02:45 does not exist -> 03:45 +13:45
        "2026-09-27T13:00:00.000Z", // Sep 28 02:45 +13:45
      ],
    },
    {
      name: "Chatham 02:45, 2027",
      input: { cron: "45 2 * * *", timezone: CHA },
      from: "2027-09-24T11:15:00Z",
      to: "2027-09-27T10:15:00Z",
      fires: [
        "2027-09-24T14:00:00.000Z", // Sep 25 02:45 +12:45
        "2027-09-25T14:00:00.000Z", // Sep 26 02:45 -> 03:45 +13:45
        "2027-09-26T13:00:00.000Z", // Sep 27 02:45 +13:45
      ],
    },
    {
      name: "Chatham 03:00, 2026",
      input: { cron: "0 3 * * *", timezone: CHA },
      from: "2026-09-25T11:15:00Z",
      to: "2026-09-28T10:15:00Z",
      fires: [
        "2026-09-25T14:15:00.000Z", // Sep 26 03:00 +12:45
        "2026-09-26T14:15:00.000Z", // Sep 27 03:00 -> 04:00 +13:45
        "2026-09-27T13:15:00.000Z", // Sep 28 03:00 +13:45
      ],
    },
    {
      name: "Chatham 03:30, 2027",
      input: { cron: "30 3 * * *", timezone: CHA },
      from: "2027-09-24T11:15:00Z",
      to: "2027-09-27T10:15:00Z",
      fires: [
        "2027-09-24T14:45:00.000Z", // Sep 25 03:30 +12:45
        "2027-09-25T14:45:00.000Z", // Sep 26 03:30 -> 04:30 +13:45
        "2027-09-26T13:45:00.000Z", // Sep 27 03:30 +13:45
      ],
    },
  ])("$name", (row) => expectFires(row));
});

describe("fall-back repeated hour: a fixed-hour expression fires once, at the first occurrence", () => {
  it.each<Row>([
    {
      name: "New York 01:30, 2026",
      input: { cron: "30 1 * * *", timezone: NY },
      from: "2026-10-31T04:00:00Z", // Oct 31 00:00 EDT
      to: "2026-11-03T05:00:00Z", // Nov 3 00:00 EST
      fires: [
        "2026-10-31T05:30:00.000Z", // Oct 31 01:30 EDT (-04)
        "2026-11-01T05:30:00.000Z", // Nov 1 01:30 EDT, first occurrence (01:30 EST = 06:30Z does not fire)
        "2026-11-02T06:30:00.000Z", // Nov 2 01:30 EST (-05)
      ],
    },
    {
      name: "New York 01:30, 2027",
      input: { cron: "30 1 * * *", timezone: NY },
      from: "2027-11-06T04:00:00Z",
      to: "2027-11-09T05:00:00Z",
      fires: [
        "2027-11-06T05:30:00.000Z", // Nov 6 01:30 EDT
        "2027-11-07T05:30:00.000Z", // Nov 7 01:30 EDT, first (not 06:30Z)
        "2027-11-08T06:30:00.000Z", // Nov 8 01:30 EST
      ],
    },
    {
      name: "New York 01:00 (its second occurrence is the transition instant), 2026",
      input: { cron: "0 1 * * *", timezone: NY },
      from: "2026-10-31T04:00:00Z",
      to: "2026-11-03T05:00:00Z",
      fires: [
        "2026-10-31T05:00:00.000Z", // 01:00 EDT
        "2026-11-01T05:00:00.000Z", // 01:00 EDT, first (01:00 EST = 06:00Z does not fire)
        "2026-11-02T06:00:00.000Z", // 01:00 EST
      ],
    },
    {
      name: "New York 01:00,01:30,02:00,02:30 on fall-back day, 2026",
      input: { cron: "0,30 1,2 * * *", timezone: NY },
      from: "2026-11-01T04:00:00Z", // Nov 1 00:00 EDT
      to: "2026-11-02T05:00:00Z", // Nov 2 00:00 EST
      fires: [
        "2026-11-01T05:00:00.000Z", // 01:00 EDT
        "2026-11-01T05:30:00.000Z", // 01:30 EDT
        "2026-11-01T07:00:00.000Z", // 02:00 EST (02:00 happens once: at 06:00Z the clock reads 01:00 EST)
        "2026-11-01T07:30:00.000Z", // 02:30 EST
      ],
    },
    {
      name: "London 01:30, 2026",
      input: { cron: "30 1 * * *", timezone: LON },
      from: "2026-10-23T23:00:00Z", // Oct 24 00:00 BST
      to: "2026-10-27T00:00:00Z", // Oct 27 00:00 GMT
      fires: [
        "2026-10-24T00:30:00.000Z", // Oct 24 01:30 BST (+01)
        "2026-10-25T00:30:00.000Z", // Oct 25 01:30 BST, first (01:30 GMT = 01:30Z does not fire)
        "2026-10-26T01:30:00.000Z", // Oct 26 01:30 GMT (+00)
      ],
    },
    {
      name: "London 01:30, 2027",
      input: { cron: "30 1 * * *", timezone: LON },
      from: "2027-10-29T23:00:00Z",
      to: "2027-11-02T00:00:00Z",
      fires: [
        "2027-10-30T00:30:00.000Z", // Oct 30 01:30 BST
        "2027-10-31T00:30:00.000Z", // Oct 31 01:30 BST, first
        "2027-11-01T01:30:00.000Z", // Nov 1 01:30 GMT
      ],
    },
    {
      name: "Lord Howe 01:45 (repeated 01:30-01:59), 2026",
      input: { cron: "45 1 * * *", timezone: LHI },
      from: "2026-04-03T13:00:00Z", // Apr 4 00:00 +11
      to: "2026-04-06T13:30:00Z", // Apr 7 00:00 +10:30
      fires: [
        "2026-04-03T14:45:00.000Z", // Apr 4 01:45 +11
        "2026-04-04T14:45:00.000Z", // Apr 5 01:45 +11, first (01:45 +10:30 = 15:15Z does not fire)
        "2026-04-05T15:15:00.000Z", // Apr 6 01:45 +10:30
      ],
    },
    {
      name: "Lord Howe 01:45, 2027",
      input: { cron: "45 1 * * *", timezone: LHI },
      from: "2027-04-02T13:00:00Z",
      to: "2027-04-05T13:30:00Z",
      fires: [
        "2027-04-02T14:45:00.000Z", // Apr 3 01:45 +11
        "2027-04-03T14:45:00.000Z", // Apr 4 01:45 +11, first
        "2027-04-04T15:15:00.000Z", // Apr 5 01:45 +10:30
      ],
    },
    {
      name: "Lord Howe 01:30 and 02:00 on fall-back day (01:00-01:29 and 02:00 happen once), 2026",
      input: { cron: "0,30 1,2 * * *", timezone: LHI },
      from: "2026-04-04T13:00:00Z", // Apr 5 00:00 +11
      to: "2026-04-05T13:30:00Z", // Apr 6 00:00 +10:30
      fires: [
        "2026-04-04T14:00:00.000Z", // 01:00 +11 (happens once)
        "2026-04-04T14:30:00.000Z", // 01:30 +11, first (01:30 +10:30 = 15:00Z does not fire)
        "2026-04-04T15:30:00.000Z", // 02:00 +10:30 (happens once)
        "2026-04-04T16:00:00.000Z", // 02:30 +10:30
      ],
    },
    {
      name: "Chatham 03:00 (repeated 02:45-03:44), 2026",
      input: { cron: "0 3 * * *", timezone: CHA },
      from: "2026-04-03T10:15:00Z", // Apr 4 00:00 +13:45
      to: "2026-04-06T11:15:00Z", // Apr 7 00:00 +12:45
      fires: [
        "2026-04-03T13:15:00.000Z", // Apr 4 03:00 +13:45
        "2026-04-04T13:15:00.000Z", // Apr 5 03:00 +13:45, first (03:00 +12:45 = 14:15Z does not fire)
        "2026-04-05T14:15:00.000Z", // Apr 6 03:00 +12:45
      ],
    },
    {
      name: "Chatham 03:00, 2027",
      input: { cron: "0 3 * * *", timezone: CHA },
      from: "2027-04-02T10:15:00Z",
      to: "2027-04-05T11:15:00Z",
      fires: [
        "2027-04-02T13:15:00.000Z", // Apr 3 03:00 +13:45
        "2027-04-03T13:15:00.000Z", // Apr 4 03:00 +13:45, first
        "2027-04-04T14:15:00.000Z", // Apr 5 03:00 +12:45
      ],
    },
    {
      name: "Chatham 02:45 (first minute of the repeat), 2027",
      input: { cron: "45 2 * * *", timezone: CHA },
      from: "2027-04-02T10:15:00Z",
      to: "2027-04-05T11:15:00Z",
      fires: [
        "2027-04-02T13:00:00.000Z", // Apr 3 02:45 +13:45
        "2027-04-03T13:00:00.000Z", // Apr 4 02:45 +13:45, first (02:45 +12:45 = 14:00Z does not fire)
        "2027-04-04T14:00:00.000Z", // Apr 5 02:45 +12:45
      ],
    },
  ])("$name", (row) => expectFires(row));
});
