import { describe, expect, it } from "vitest";
import { canonicalTimeZone } from "@sundial/sdk/protocol";
import { misspeltZones } from "../unit/core/tz-names.ts";
import { api, uid } from "./helpers.ts";
import { createSchedule, describeSchedule, setNow, T } from "./schedule-helpers.ts";

// Input handling of schedule specs as the API sees it, in workerd (whose Intl differs from Node's:
// it accepts UTC offsets such as "+05:00" as zones).

describe("time zone names", () => {
  it("a zone typed in lower case is stored, described and planned as its IANA name", async () => {
    setNow(T("2027-03-12T12:00:00Z"));
    const created = await createSchedule({ workflow: uid("tz-case"), cron: "30 2 * * *", timezone: "america/new_york" });
    const d = await describeSchedule(created.schedule_id);
    expect(d.spec.timezone).toBe("America/New_York");
    expect(d.description).toBe("every day at 02:30 (America/New_York)");
    // New York's spring-forward (14 March 2027): 02:30 does not exist and fires once, at 03:30 EDT.
    expect(d.next_fire_times.slice(0, 3).map((f: { nominal: string }) => f.nominal)).toEqual([
      "2027-03-13T07:30:00.000Z",
      "2027-03-14T07:30:00.000Z",
      "2027-03-15T06:30:00.000Z",
    ]);
    const preview = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 9 * * *", timezone: "uTc", count: 1 });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ timezone: "UTC", description: "every day at 09:00 (UTC)" });
  });

  it("a UTC offset is refused with a 422 naming timezone, though workerd's Intl accepts it", async () => {
    const r = await api("POST", "/v1/workflows/schedules", { workflow: uid("tz-offset"), cron: "0 9 * * *", timezone: "+05:00" });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "validation_failed", field: "timezone" });
    expect(r.body.detail).toMatch(/"\+05:00" is a UTC offset, not a time zone/);
  });

  it("every tz database name, in any case, is spelt as IANA spells it in workerd too", () => {
    expect(misspeltZones(canonicalTimeZone)).toEqual([]);
  });
});

describe("list limits of a spec", () => {
  it("an `at` list past its limit is a 422 naming `at` and the limit", async () => {
    const at = Array.from({ length: 1001 }, (_, i) => new Date(Date.UTC(2030, 0, 1) + i * 60_000).toISOString());
    const r = await api("POST", "/v1/workflows/schedules", { workflow: uid("at-limit"), at });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "validation_failed", field: "at", detail: "at: at most 1000 times" });
  });

  it("a bad time inside an `at` list is named by its index", async () => {
    const r = await api("POST", "/v1/workflows/schedules/preview", { at: ["2030-01-01T00:00:00Z", "tomorrow"] });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "validation_failed", field: "at.1" });
    expect(r.body.detail).toMatch(/^at\.1: invalid timestamp "tomorrow"/);
  });
});
