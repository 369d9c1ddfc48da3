import { describe, expect, it } from "vitest";
import { canonicalTimeZone, ScheduleSpecInput } from "@sundial/sdk/protocol";
import { describeSpec } from "../../../src/core/describe-spec.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { between } from "../../../src/core/fire-times.ts";
import { zoneFor } from "../../../src/core/zone.ts";
import { misspeltZones } from "./tz-names.ts";

// Intl and luxon read zone names in any case, so `america/new_york` is a valid zone; the spec
// stores, echoes and hands to runs its IANA spelling. Intl's own answer cannot be used for that
// alone: it renames links (Asia/Kolkata -> Asia/Calcutta, US/Eastern -> America/New_York,
// Etc/UTC -> UTC), and the user's choice among equivalent names is kept.

const zoneOf = (timezone: string) => ScheduleSpecInput.parse({ cron: "30 2 * * *", timezone }).timezone;

describe("a zone name is stored in its IANA spelling", () => {
  it.each<[string, string]>([
    ["america/new_york", "America/New_York"],
    ["AMERICA/NEW_YORK", "America/New_York"],
    ["America/New_York", "America/New_York"],
    ["uTc", "UTC"],
    ["utc", "UTC"],
    ["UTC", "UTC"],
    ["etc/utc", "Etc/UTC"],
    ["Etc/UTC", "Etc/UTC"],
    ["gmt", "GMT"],
    ["zulu", "Zulu"],
    ["etc/gmt+5", "Etc/GMT+5"],
    ["asia/kolkata", "Asia/Kolkata"],
    ["Asia/Calcutta", "Asia/Calcutta"],
    ["europe/kyiv", "Europe/Kyiv"],
    ["us/eastern", "US/Eastern"],
    ["est5edt", "EST5EDT"],
    ["america/port-au-prince", "America/Port-au-Prince"],
    ["antarctica/dumontdurville", "Antarctica/DumontDUrville"],
    ["africa/dar_es_salaam", "Africa/Dar_es_Salaam"],
    ["australia/lord_howe", "Australia/Lord_Howe"],
  ])("%s -> %s", (typed, stored) => {
    expect(zoneOf(typed)).toBe(stored);
  });

  it("every tz database name, typed in lower or upper case, comes back as IANA spells it (and never as another name)", () => {
    expect(misspeltZones(canonicalTimeZone)).toEqual([]);
  });

  it("describe and the compiled zone use the IANA spelling, and the DST rules are New York's", () => {
    const spec = ScheduleSpecInput.parse({ cron: "30 2 * * *", timezone: "america/new_york" });
    expect(describeSpec(spec)).toBe("every day at 02:30 (America/New_York)");
    const compiled = compileSpec(spec, { createdAt: Date.parse("2027-03-12T12:00:00Z") });
    expect(compiled.zone.name).toBe("America/New_York");
    // 14 March 2027: 02:30 does not exist in New York and fires once, at 03:30 EDT.
    expect(between(compiled, Date.parse("2027-03-12T12:00:00Z"), Date.parse("2027-03-16T00:00:00Z")).map((ms) => new Date(ms).toISOString())).toEqual([
      "2027-03-13T07:30:00.000Z",
      "2027-03-14T07:30:00.000Z",
      "2027-03-15T06:30:00.000Z",
    ]);
  });
});

describe("a UTC offset is not a time zone", () => {
  // workerd's Intl accepts offsets ("+05:00") as zones, Node's does not: the schema refuses them
  // everywhere, so a spec the server accepts is one the SDK accepts too.
  it.each<[string, RegExp]>([
    ["+05:00", /"\+05:00" is a UTC offset, not a time zone: use an IANA name such as America\/New_York \(a fixed UTC\+05:00 is Etc\/GMT-5\)/],
    ["-05:00", /a fixed UTC-05:00 is Etc\/GMT\+5/],
    ["+0500", /a fixed UTC\+05:00 is Etc\/GMT-5/],
    ["+05", /a fixed UTC\+05:00 is Etc\/GMT-5/],
    ["+00:00", /a fixed UTC\+00:00 is UTC/],
    ["+05:30", /"\+05:30" is a UTC offset, not a time zone: use an IANA name such as America\/New_York$/],
    ["\u221205:00", /is a UTC offset/],
  ])("%s", (typed, message) => {
    const r = ScheduleSpecInput.safeParse({ cron: "0 9 * * *", timezone: typed });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues.map((i) => i.path.join("."))).toEqual(["timezone"]);
    expect(r.error.issues[0]!.message).toMatch(message);
    expect(canonicalTimeZone(typed)).toBeNull();
  });
});

describe("zoneFor", () => {
  it.each(["UTC", "utc", "uTc", "etc/utc", "Etc/GMT+5", "etc/gmt+5", "gmt"])("%s takes the fixed-offset fast path", (name) => {
    expect(zoneFor(name).fixed).toBe(true);
  });

  it("a fixed zone typed in lower case keeps its offset", () => {
    expect(zoneFor("etc/gmt+5").offsetAt(0)).toBe(-5 * 3_600_000);
    expect(zoneFor("utc").offsetAt(0)).toBe(0);
  });
});
