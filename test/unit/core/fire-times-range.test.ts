import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, ScheduleSpecInput, Timestamp, toRfc3339 } from "@sundial/sdk/protocol";
import { between, next, upcoming } from "../../../src/core/fire-times.ts";
import { compileSpec } from "../../../src/core/spec.ts";

const T = (iso: string) => Date.parse(iso);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const compile = (input: Record<string, unknown>, createdAt = T("9990-01-01T00:00:00Z")) => compileSpec(ScheduleSpecInput.parse(input), { createdAt });

describe("the RFC 3339 range ends fire times", () => {
  it("the bounds are the first and last instants with four-digit years", () => {
    expect(toRfc3339(MAX_TIMESTAMP_MS)).toBe("9999-12-31T23:59:59.999Z");
    expect(toRfc3339(MIN_TIMESTAMP_MS)).toBe("0000-01-01T00:00:00.000Z");
    expect(toRfc3339(MAX_TIMESTAMP_MS + 1)).not.toMatch(RFC3339);
  });

  it.each([
    ["a yearly cron", { cron: "0 0 1 1 *" }, "9998-06-01T00:00:00Z", ["9999-01-01T00:00:00.000Z"]],
    ["a cron every second", { cron: "* * * * * *" }, "9999-12-31T23:59:57Z", ["9999-12-31T23:59:58.000Z", "9999-12-31T23:59:59.000Z"]],
    ["a cron in New York whose last day ends in year 10000 UTC", { cron: "0 18,19 31 12 *", timezone: "America/New_York" }, "9999-12-30T00:00:00Z", ["9999-12-31T23:00:00.000Z"]],
    // Local 10000-01-01T12:00+14:00 is still inside the range in UTC, so it fires.
    ["a cron in Kiritimati (UTC+14)", { cron: "0 12 1 1 *", timezone: "Pacific/Kiritimati" }, "9998-01-01T00:00:00Z", ["9998-12-31T22:00:00.000Z", "9999-12-31T22:00:00.000Z"]],
    ["a 100-year interval", { interval_seconds: 100 * 366 * 86_400, start_at: "9950-01-01T00:00:00Z" }, "9949-01-01T00:00:00Z", ["9950-01-01T00:00:00.000Z"]],
    ["a daily interval", { interval_seconds: 86_400, start_at: "9999-12-30T12:00:00Z" }, "9999-12-29T00:00:00Z", ["9999-12-30T12:00:00.000Z", "9999-12-31T12:00:00.000Z"]],
    ["an at time on the last millisecond", { at: ["9999-12-31T23:59:59.999Z"] }, "9999-12-31T00:00:00Z", ["9999-12-31T23:59:59.999Z"]],
  ])("%s: upcoming lists simply end", (_name, input, after, want) => {
    const spec = compile(input as Record<string, unknown>, T(after));
    const fires = upcoming(spec, "range-test", T(after), 10);
    expect(fires.map((f) => toRfc3339(f.nominal))).toEqual(want);
    expect(next(spec, fires[fires.length - 1]!.nominal)).toBeNull();
    expect(between(spec, T(after), Number.MAX_SAFE_INTEGER)).toHaveLength(want.length);
  });

  it("jitter never carries the last fire's actual time past the range", () => {
    for (const id of ["a", "b", "c", "d", "e", "f", "g", "h"]) {
      const spec = compile({ cron: "59 23 31 12 *", jitter_seconds: 3_600 });
      const [last, ...rest] = upcoming(spec, id, T("9999-12-31T00:00:00Z"), 10);
      expect(rest).toEqual([]);
      expect(toRfc3339(last!.nominal)).toBe("9999-12-31T23:59:00.000Z");
      expect(last!.actual).toBeLessThanOrEqual(MAX_TIMESTAMP_MS);
      expect(toRfc3339(last!.actual)).toMatch(RFC3339);
    }
  });

  it("leaves fire times and jitter far from the end exactly as they were", () => {
    const spec = compile({ cron: "0 9 * * *", timezone: "Europe/London", jitter_seconds: 600 }, T("2027-01-01T00:00:00Z"));
    const fires = upcoming(spec, "same", T("2027-01-01T00:00:00Z"), 3);
    expect(fires.map((f) => toRfc3339(f.nominal))).toEqual(["2027-01-01T09:00:00.000Z", "2027-01-02T09:00:00.000Z", "2027-01-03T09:00:00.000Z"]);
    const onlyOne = compile({ at: ["2027-01-01T09:00:00Z"], jitter_seconds: 600 }, T("2027-01-01T00:00:00Z"));
    const [f] = upcoming(onlyOne, "same", T("2027-01-01T00:00:00Z"), 3);
    expect(f!.actual - f!.nominal).toBeGreaterThan(0); // the last fire still gets its jitter
  });
});

describe("property: near the end of the range every fire time is RFC 3339", () => {
  it("for crons, intervals and jitter in zones either side of UTC", () => {
    const crons = ["* * * * *", "0 0 * * *", "0 0 1 1 *", "59 23 31 12 *", "0 */7 * * *", "@yearly", "30 2 * * 0"];
    const zones = ["UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Lord_Howe", "Pacific/Chatham"];
    fc.assert(
      fc.property(
        fc.constantFrom(...crons),
        fc.constantFrom(...zones),
        fc.integer({ min: T("9999-06-01T00:00:00Z"), max: MAX_TIMESTAMP_MS }),
        fc.integer({ min: 0, max: 86_400 }),
        fc.integer({ min: 1, max: 400 * 86_400 }),
        (cron, timezone, after, jitter, every) => {
          for (const input of [{ cron, timezone, jitter_seconds: jitter }, { interval_seconds: every, timezone, jitter_seconds: jitter }]) {
            for (const f of upcoming(compile(input, after), "prop", after, 20)) {
              expect(toRfc3339(f.nominal)).toMatch(RFC3339);
              expect(toRfc3339(f.actual)).toMatch(RFC3339);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Timestamp accepts only instants inside the RFC 3339 range", () => {
  it.each(["9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "9999-12-31T18:59:59-05:00", "0000-01-01T05:00:00+05:00"])("accepts %s", (v) => {
    expect(Timestamp.safeParse(v).success).toBe(true);
  });

  it.each(["9999-12-31T23:00:00-05:00", "0000-01-01T00:30:00+01:00"])("refuses %s, whose UTC instant is outside", (v) => {
    const r = Timestamp.safeParse(v);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/out of range/);
  });
});
