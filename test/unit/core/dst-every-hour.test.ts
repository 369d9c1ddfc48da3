import { describe, it } from "vitest";
import { expectFires, type Row, CHA, LHI, LON, NY } from "./dst-support.ts";

// DESIGN.md DST rules for `*`-hour expressions (every real hour through fall-back) and for wall times that meet at one instant through the gap (one fire).
// Transition instants and offsets for every zone used here are listed in dst-support.ts.

describe("hour field `*`: every real hour through fall-back, never twice at one instant through spring-forward", () => {
  it.each<Row>([
    {
      name: "New York :30 fall-back 2026 (both 01:30s)",
      input: { cron: "30 * * * *", timezone: NY },
      from: "2026-11-01T03:00:00Z",
      to: "2026-11-01T08:00:00Z",
      fires: [
        "2026-11-01T03:30:00.000Z", // Oct 31 23:30 EDT
        "2026-11-01T04:30:00.000Z", // 00:30 EDT
        "2026-11-01T05:30:00.000Z", // 01:30 EDT
        "2026-11-01T06:30:00.000Z", // 01:30 EST (second occurrence fires too)
        "2026-11-01T07:30:00.000Z", // 02:30 EST
      ],
    },
    {
      name: "New York :30 fall-back 2027",
      input: { cron: "30 * * * *", timezone: NY },
      from: "2027-11-07T04:00:00Z",
      to: "2027-11-07T08:00:00Z",
      fires: [
        "2027-11-07T04:30:00.000Z", // 00:30 EDT
        "2027-11-07T05:30:00.000Z", // 01:30 EDT
        "2027-11-07T06:30:00.000Z", // 01:30 EST
        "2027-11-07T07:30:00.000Z", // 02:30 EST
      ],
    },
    {
      name: "New York */15 fall-back 2026",
      input: { cron: "*/15 * * * *", timezone: NY },
      from: "2026-11-01T05:00:00Z", // 01:00 EDT
      to: "2026-11-01T07:00:00Z", // 02:00 EST
      fires: [
        "2026-11-01T05:15:00.000Z", // 01:15 EDT
        "2026-11-01T05:30:00.000Z", // 01:30 EDT
        "2026-11-01T05:45:00.000Z", // 01:45 EDT
        "2026-11-01T06:00:00.000Z", // 01:00 EST
        "2026-11-01T06:15:00.000Z", // 01:15 EST
        "2026-11-01T06:30:00.000Z", // 01:30 EST
        "2026-11-01T06:45:00.000Z", // 01:45 EST
        "2026-11-01T07:00:00.000Z", // 02:00 EST
      ],
    },
    {
      name: "New York @hourly fall-back 2026",
      input: { cron: "@hourly", timezone: NY },
      from: "2026-11-01T04:00:00Z", // 00:00 EDT (excluded)
      to: "2026-11-01T08:00:00Z",
      fires: [
        "2026-11-01T05:00:00.000Z", // 01:00 EDT
        "2026-11-01T06:00:00.000Z", // 01:00 EST
        "2026-11-01T07:00:00.000Z", // 02:00 EST
        "2026-11-01T08:00:00.000Z", // 03:00 EST
      ],
    },
    {
      name: "New York :30 spring-forward 2026",
      input: { cron: "30 * * * *", timezone: NY },
      from: "2026-03-08T04:00:00Z",
      to: "2026-03-08T09:00:00Z",
      fires: [
        "2026-03-08T04:30:00.000Z", // Mar 7 23:30 EST
        "2026-03-08T05:30:00.000Z", // 00:30 EST
        "2026-03-08T06:30:00.000Z", // 01:30 EST
        "2026-03-08T07:30:00.000Z", // 03:30 EDT (02:30 shifted lands here too: one fire)
        "2026-03-08T08:30:00.000Z", // 04:30 EDT
      ],
    },
    {
      name: "New York */15 spring-forward 2027",
      input: { cron: "*/15 * * * *", timezone: NY },
      from: "2027-03-14T06:00:00Z", // 01:00 EST
      to: "2027-03-14T07:30:00Z", // 03:30 EDT
      fires: [
        "2027-03-14T06:15:00.000Z", // 01:15 EST
        "2027-03-14T06:30:00.000Z", // 01:30 EST
        "2027-03-14T06:45:00.000Z", // 01:45 EST
        "2027-03-14T07:00:00.000Z", // 03:00 EDT (and 02:00 shifted)
        "2027-03-14T07:15:00.000Z", // 03:15 EDT (and 02:15 shifted)
        "2027-03-14T07:30:00.000Z", // 03:30 EDT (and 02:30 shifted)
      ],
    },
    {
      name: "London :30 fall-back 2026",
      input: { cron: "30 * * * *", timezone: LON },
      from: "2026-10-24T23:00:00Z",
      to: "2026-10-25T03:00:00Z",
      fires: [
        "2026-10-24T23:30:00.000Z", // 00:30 BST
        "2026-10-25T00:30:00.000Z", // 01:30 BST
        "2026-10-25T01:30:00.000Z", // 01:30 GMT
        "2026-10-25T02:30:00.000Z", // 02:30 GMT
      ],
    },
    {
      name: "London :30 fall-back 2027",
      input: { cron: "30 * * * *", timezone: LON },
      from: "2027-10-30T23:00:00Z",
      to: "2027-10-31T03:00:00Z",
      fires: [
        "2027-10-30T23:30:00.000Z", // 00:30 BST
        "2027-10-31T00:30:00.000Z", // 01:30 BST
        "2027-10-31T01:30:00.000Z", // 01:30 GMT
        "2027-10-31T02:30:00.000Z", // 02:30 GMT
      ],
    },
    {
      name: "London :30 spring-forward 2026",
      input: { cron: "30 * * * *", timezone: LON },
      from: "2026-03-28T23:00:00Z",
      to: "2026-03-29T03:00:00Z",
      fires: [
        "2026-03-28T23:30:00.000Z", // Mar 28 23:30 GMT
        "2026-03-29T00:30:00.000Z", // 00:30 GMT
        "2026-03-29T01:30:00.000Z", // 02:30 BST (01:30 shifted lands here too)
        "2026-03-29T02:30:00.000Z", // 03:30 BST
      ],
    },
    {
      name: "London :30 spring-forward 2027",
      input: { cron: "30 * * * *", timezone: LON },
      from: "2027-03-27T23:00:00Z",
      to: "2027-03-28T03:00:00Z",
      fires: [
        "2027-03-27T23:30:00.000Z", // 23:30 GMT
        "2027-03-28T00:30:00.000Z", // 00:30 GMT
        "2027-03-28T01:30:00.000Z", // 02:30 BST
        "2027-03-28T02:30:00.000Z", // 03:30 BST
      ],
    },
    {
      name: "Lord Howe :30 fall-back 2026 (01:30 twice, half an hour apart)",
      input: { cron: "30 * * * *", timezone: LHI },
      from: "2026-04-04T13:00:00Z",
      to: "2026-04-04T16:30:00Z",
      fires: [
        "2026-04-04T13:30:00.000Z", // 00:30 +11
        "2026-04-04T14:30:00.000Z", // 01:30 +11
        "2026-04-04T15:00:00.000Z", // 01:30 +10:30
        "2026-04-04T16:00:00.000Z", // 02:30 +10:30
      ],
    },
    {
      name: "Lord Howe */15 fall-back 2027",
      input: { cron: "*/15 * * * *", timezone: LHI },
      from: "2027-04-03T14:00:00Z", // 01:00 +11
      to: "2027-04-03T15:30:00Z", // 02:00 +10:30
      fires: [
        "2027-04-03T14:15:00.000Z", // 01:15 +11
        "2027-04-03T14:30:00.000Z", // 01:30 +11
        "2027-04-03T14:45:00.000Z", // 01:45 +11
        "2027-04-03T15:00:00.000Z", // 01:30 +10:30
        "2027-04-03T15:15:00.000Z", // 01:45 +10:30
        "2027-04-03T15:30:00.000Z", // 02:00 +10:30
      ],
    },
    {
      name: "Lord Howe */15 spring-forward 2026",
      input: { cron: "*/15 * * * *", timezone: LHI },
      from: "2026-10-03T15:00:00Z", // 01:30 +10:30
      to: "2026-10-03T16:15:00Z",
      fires: [
        "2026-10-03T15:15:00.000Z", // 01:45 +10:30
        "2026-10-03T15:30:00.000Z", // 02:30 +11 (and 02:00 shifted)
        "2026-10-03T15:45:00.000Z", // 02:45 +11 (and 02:15 shifted)
        "2026-10-03T16:00:00.000Z", // 03:00 +11
        "2026-10-03T16:15:00.000Z", // 03:15 +11
      ],
    },
    {
      name: "Lord Howe @hourly spring-forward 2027 (02:00 shifted to 02:30)",
      input: { cron: "0 * * * *", timezone: LHI },
      from: "2027-10-02T14:00:00Z", // 00:30 +10:30
      to: "2027-10-02T17:00:00Z",
      fires: [
        "2027-10-02T14:30:00.000Z", // 01:00 +10:30
        "2027-10-02T15:30:00.000Z", // 02:00 does not exist -> 02:30 +11
        "2027-10-02T16:00:00.000Z", // 03:00 +11
        "2027-10-02T17:00:00.000Z", // 04:00 +11
      ],
    },
    {
      name: "Chatham */30 fall-back 2026",
      input: { cron: "*/30 * * * *", timezone: CHA },
      from: "2026-04-04T12:00:00Z", // 01:45 +13:45
      to: "2026-04-04T15:00:00Z",
      fires: [
        "2026-04-04T12:15:00.000Z", // 02:00 +13:45
        "2026-04-04T12:45:00.000Z", // 02:30 +13:45
        "2026-04-04T13:15:00.000Z", // 03:00 +13:45
        "2026-04-04T13:45:00.000Z", // 03:30 +13:45
        "2026-04-04T14:15:00.000Z", // 03:00 +12:45
        "2026-04-04T14:45:00.000Z", // 03:30 +12:45
      ],
    },
    {
      name: "Chatham :15 fall-back 2027",
      input: { cron: "15 * * * *", timezone: CHA },
      from: "2027-04-03T12:00:00Z",
      to: "2027-04-03T16:00:00Z",
      fires: [
        "2027-04-03T12:30:00.000Z", // 02:15 +13:45
        "2027-04-03T13:30:00.000Z", // 03:15 +13:45
        "2027-04-03T14:30:00.000Z", // 03:15 +12:45
        "2027-04-03T15:30:00.000Z", // 04:15 +12:45
      ],
    },
    {
      name: "Chatham */30 spring-forward 2026 (03:00 and 03:30 shift onto the real 04:00 and 04:30)",
      input: { cron: "*/30 * * * *", timezone: CHA },
      from: "2026-09-26T12:00:00Z", // 00:45 +12:45
      to: "2026-09-26T15:00:00Z",
      fires: [
        "2026-09-26T12:15:00.000Z", // 01:00 +12:45
        "2026-09-26T12:45:00.000Z", // 01:30 +12:45
        "2026-09-26T13:15:00.000Z", // 02:00 +12:45
        "2026-09-26T13:45:00.000Z", // 02:30 +12:45
        "2026-09-26T14:15:00.000Z", // 04:00 +13:45 (and 03:00 shifted)
        "2026-09-26T14:45:00.000Z", // 04:30 +13:45 (and 03:30 shifted)
      ],
    },
    {
      name: "Chatham :15 spring-forward 2027",
      input: { cron: "15 * * * *", timezone: CHA },
      from: "2027-09-25T12:00:00Z",
      to: "2027-09-25T16:00:00Z",
      fires: [
        "2027-09-25T12:30:00.000Z", // 01:15 +12:45
        "2027-09-25T13:30:00.000Z", // 02:15 +12:45
        "2027-09-25T14:30:00.000Z", // 04:15 +13:45 (and 03:15 shifted)
        "2027-09-25T15:30:00.000Z", // 05:15 +13:45
      ],
    },
  ])("$name", (row) => expectFires(row));
});

describe("two wall times mapping to one instant through the gap fire once", () => {
  it.each<Row>([
    {
      name: "New York 0,30 2,3, 2026",
      input: { cron: "0,30 2,3 * * *", timezone: NY },
      from: "2026-03-07T05:00:00Z",
      to: "2026-03-10T04:00:00Z",
      fires: [
        "2026-03-07T07:00:00.000Z", // Mar 7 02:00 EST
        "2026-03-07T07:30:00.000Z", // 02:30 EST
        "2026-03-07T08:00:00.000Z", // 03:00 EST
        "2026-03-07T08:30:00.000Z", // 03:30 EST
        "2026-03-08T07:00:00.000Z", // Mar 8 03:00 EDT = 02:00 shifted: one fire
        "2026-03-08T07:30:00.000Z", // 03:30 EDT = 02:30 shifted: one fire
        "2026-03-09T06:00:00.000Z", // Mar 9 02:00 EDT
        "2026-03-09T06:30:00.000Z", // 02:30 EDT
        "2026-03-09T07:00:00.000Z", // 03:00 EDT
        "2026-03-09T07:30:00.000Z", // 03:30 EDT
      ],
    },
    {
      name: "New York 0,30 2,3, 2027",
      input: { cron: "0,30 2,3 * * *", timezone: NY },
      from: "2027-03-14T05:00:00Z", // Mar 14 00:00 EST
      to: "2027-03-15T04:00:00Z", // Mar 15 00:00 EDT
      fires: [
        "2027-03-14T07:00:00.000Z", // 03:00 EDT (and 02:00 shifted)
        "2027-03-14T07:30:00.000Z", // 03:30 EDT (and 02:30 shifted)
      ],
    },
    {
      name: "London 0,30 1,2, 2026",
      input: { cron: "0,30 1,2 * * *", timezone: LON },
      from: "2026-03-29T00:00:00Z",
      to: "2026-03-29T12:00:00Z",
      fires: [
        "2026-03-29T01:00:00.000Z", // 02:00 BST (and 01:00 shifted)
        "2026-03-29T01:30:00.000Z", // 02:30 BST (and 01:30 shifted)
      ],
    },
    {
      name: "London 0,30 1,2, 2027",
      input: { cron: "0,30 1,2 * * *", timezone: LON },
      from: "2027-03-28T00:00:00Z",
      to: "2027-03-28T12:00:00Z",
      fires: [
        "2027-03-28T01:00:00.000Z", // 02:00 BST
        "2027-03-28T01:30:00.000Z", // 02:30 BST
      ],
    },
    {
      name: "Lord Howe 0,30 2, 2026 (02:00 shifts onto the real 02:30)",
      input: { cron: "0,30 2 * * *", timezone: LHI },
      from: "2026-10-02T13:30:00Z", // Oct 3 00:00 +10:30
      to: "2026-10-05T13:00:00Z", // Oct 6 00:00 +11
      fires: [
        "2026-10-02T15:30:00.000Z", // Oct 3 02:00 +10:30
        "2026-10-02T16:00:00.000Z", // Oct 3 02:30 +10:30
        "2026-10-03T15:30:00.000Z", // Oct 4 02:30 +11 (and 02:00 shifted): one fire
        "2026-10-04T15:00:00.000Z", // Oct 5 02:00 +11
        "2026-10-04T15:30:00.000Z", // Oct 5 02:30 +11
      ],
    },
    {
      name: "Lord Howe 15,45 2, 2027 (02:15 shifts onto the real 02:45)",
      input: { cron: "15,45 2 * * *", timezone: LHI },
      from: "2027-10-02T13:30:00Z", // Oct 3 00:00 +10:30 (the transition is at 15:30Z)
      to: "2027-10-03T13:00:00Z", // Oct 4 00:00 +11
      fires: [
        "2027-10-02T15:45:00.000Z", // Oct 3 02:45 +11 (and 02:15 shifted)
      ],
    },
    {
      name: "Chatham 45 2,3, 2026 (02:45 shifts onto the real 03:45)",
      input: { cron: "45 2,3 * * *", timezone: CHA },
      from: "2026-09-25T11:15:00Z", // Sep 26 00:00 +12:45
      to: "2026-09-27T10:15:00Z", // Sep 28 00:00 +13:45
      fires: [
        "2026-09-25T14:00:00.000Z", // Sep 26 02:45 +12:45
        "2026-09-25T15:00:00.000Z", // Sep 26 03:45 +12:45
        "2026-09-26T14:00:00.000Z", // Sep 27 03:45 +13:45 (and 02:45 shifted): one fire
      ],
    },
    {
      name: "Chatham 0 3,4, 2027 (03:00 shifts onto the real 04:00)",
      input: { cron: "0 3,4 * * *", timezone: CHA },
      from: "2027-09-25T11:15:00Z", // Sep 26 00:00 +12:45 (the transition is at 14:00Z)
      to: "2027-09-26T10:15:00Z", // Sep 27 00:00 +13:45
      fires: [
        "2027-09-25T14:15:00.000Z", // Sep 26 04:00 +13:45 (and 03:00 shifted)
      ],
    },
  ])("$name", (row) => expectFires(row));
});
