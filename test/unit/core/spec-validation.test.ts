import { describe, expect, it } from "vitest";
import { isValidTimeZone, ScheduleSpecInput, type ScheduleSpec } from "@sundial/sdk/protocol";
import { compileSpec } from "../../../src/core/spec.ts";
import { InvalidCronError, ValidationError } from "../../../src/core/errors.ts";

type Path = (string | number)[];

/** Every issue as (path, message), nested union branches flattened in, so a row can name the path it expects. */
function issuesOf(input: unknown): { path: Path; message: string }[] {
  const r = ScheduleSpecInput.safeParse(input);
  expect(r.success).toBe(false);
  if (r.success) return [];
  const out: { path: Path; message: string }[] = [];
  for (const issue of r.error.issues) {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    out.push({ path, message: issue.message });
    if (issue.code === "invalid_union") {
      for (const branch of issue.errors) for (const sub of branch) out.push({ path: [...path, ...sub.path.map(String)], message: sub.message });
    }
  }
  return out;
}

const BASE: ScheduleSpec = {
  cron_expressions: [],
  intervals: [],
  at: [],
  start_at: null,
  end_at: null,
  repeat_count: 0,
  exclude: [],
  jitter_seconds: 0,
  timezone: "UTC",
};

describe("ScheduleSpecInput rejects bad input and names the field", () => {
  it.each<[string, unknown, Path, RegExp]>([
    // Time zone.
    ["unknown zone", { cron: "0 9 * * *", timezone: "Mars/Olympus" }, ["timezone"], /unknown time zone "Mars\/Olympus"/],
    ["misspelt zone", { cron: "0 9 * * *", timezone: "America/New_Yrok" }, ["timezone"], /unknown time zone/],
    ["empty zone", { cron: "0 9 * * *", timezone: "" }, ["timezone"], /unknown time zone ""/],
    ["zone that is not a string", { cron: "0 9 * * *", timezone: 5 }, ["timezone"], /expected string/],
    // Bounds.
    ["end before start", { cron: "0 9 * * *", start_at: "2026-01-02T00:00:00Z", end_at: "2026-01-01T00:00:00Z" }, ["end_at"], /end_at must be after start_at/],
    ["end equal to start", { cron: "0 9 * * *", start_at: "2026-01-02T00:00:00Z", end_at: "2026-01-02T00:00:00Z" }, ["end_at"], /end_at must be after start_at/],
    ["end before start across offsets", { cron: "0 9 * * *", start_at: "2026-01-02T00:00:00Z", end_at: "2026-01-02T04:00:00+05:00" }, ["end_at"], /end_at must be after start_at/],
    // Intervals.
    ["zero interval", { intervals: [{ every: 0 }] }, ["intervals", 0, "every"], /greater than zero/],
    ["zero interval as text", { intervals: [{ every: "0s" }] }, ["intervals", 0, "every"], /greater than zero/],
    ["negative interval", { intervals: [{ every: -5 }] }, ["intervals", 0, "every"], /invalid duration -5/],
    ["zero interval_seconds", { interval_seconds: 0 }, ["interval_seconds"], /greater than zero/],
    ["negative interval_seconds", { interval_seconds: -1 }, ["interval_seconds"], /invalid duration -1/],
    ["offset equal to every", { intervals: [{ every: "1h", offset: "1h" }] }, ["intervals", 0, "offset"], /offset \(3600s\) must be smaller than every \(3600s\)/],
    ["offset above every, second interval", { intervals: [{ every: "1h" }, { every: 60, offset: 90 }] }, ["intervals", 1, "offset"], /must be smaller than every/],
    ["negative offset", { intervals: [{ every: "1h", offset: -1 }] }, ["intervals", 0, "offset"], /invalid duration -1/],
    ["interval without every", { intervals: [{ offset: 5 }] }, ["intervals", 0, "every"], /./],
    // Nothing to fire.
    ["empty spec", {}, ["cron_expressions"], /at least one of cron_expressions \(or cron\), intervals \(or interval_seconds\) or at/],
    ["only bounds and zone", { start_at: "2026-01-01T00:00:00Z", timezone: "Europe/London" }, ["cron_expressions"], /at least one/],
    ["empty lists", { cron_expressions: [], intervals: [], at: [] }, ["cron_expressions"], /at least one/],
    // Strict objects.
    ["unknown top-level field", { cron: "0 9 * * *", foo: 1 }, [], /Unrecognized key: "foo"/],
    ["camelCase field", { cron: "0 9 * * *", timeZone: "UTC" }, [], /Unrecognized key: "timeZone"/],
    ["camelCase list", { cronExpressions: ["0 9 * * *"] }, [], /Unrecognized key: "cronExpressions"/],
    ["unknown field inside an interval", { intervals: [{ every: "1h", extra: 1 }] }, ["intervals", 0], /Unrecognized key: "extra"/],
    // Durations.
    ["unknown unit", { intervals: [{ every: "5x" }] }, ["intervals", 0, "every"], /invalid duration "5x"/],
    ["weeks are not a unit", { interval_seconds: "1w" }, ["interval_seconds"], /invalid duration "1w"/],
    ["space inside a duration", { interval_seconds: "5 m" }, ["interval_seconds"], /invalid duration "5 m"/],
    ["exponent", { interval_seconds: "1e3" }, ["interval_seconds"], /invalid duration "1e3"/],
    ["negative text", { interval_seconds: "-1s" }, ["interval_seconds"], /invalid duration "-1s"/],
    ["empty text", { interval_seconds: "" }, ["interval_seconds"], /invalid duration ""/],
    ["infinite", { interval_seconds: Number.POSITIVE_INFINITY }, ["interval_seconds"], /./],
    ["NaN", { interval_seconds: Number.NaN }, ["interval_seconds"], /./],
    ["negative jitter", { cron: "* * * * *", jitter_seconds: -1 }, ["jitter_seconds"], /invalid duration -1/],
    ["jitter above a week", { cron: "* * * * *", jitter_seconds: "8d" }, ["jitter_seconds"], /must be at most 604800/],
    // Timestamps.
    ["at without offset", { at: "2026-01-01T00:00:00" }, ["at"], /invalid timestamp "2026-01-01T00:00:00": use RFC 3339 with an offset/],
    ["at list with a bad item", { at: ["2026-01-01T00:00:00Z", "tomorrow"] }, ["at", 1], /^invalid timestamp "tomorrow": use RFC 3339/],
    ["at that is neither a time nor a list", { at: 5 }, ["at"], /^expected an RFC 3339 time or a list of them$/],
    ["at list holding a number", { at: [5] }, ["at"], /^expected an RFC 3339 time or a list of them$/],
    ["start_at date only", { cron: "* * * * *", start_at: "2026-01-01" }, ["start_at"], /invalid timestamp "2026-01-01"/],
    ["end_at with a space", { cron: "* * * * *", end_at: "2026-01-01 00:00:00Z" }, ["end_at"], /invalid timestamp/],
    ["start_at as epoch number", { cron: "* * * * *", start_at: 1767225600000 }, ["start_at"], /expected string/],
    ["month 13", { at: "2026-13-01T00:00:00Z" }, ["at"], /invalid timestamp "2026-13-01T00:00:00Z"/],
    ["offset without colon", { at: "2026-01-01T00:00:00+0100" }, ["at"], /invalid timestamp/],
    // Counts and cron text.
    ["negative repeat_count", { cron: "* * * * *", repeat_count: -1 }, ["repeat_count"], /./],
    ["fractional repeat_count", { cron: "* * * * *", repeat_count: 1.5 }, ["repeat_count"], /expected int/],
    ["repeat_count above the limit", { cron: "* * * * *", repeat_count: 100_001 }, ["repeat_count"], /<=100000/],
    ["empty cron", { cron: "" }, ["cron"], /empty cron expression/],
    ["blank cron in the list", { cron_expressions: ["0 9 * * *", "  "] }, ["cron_expressions", 1], /empty cron expression/],
    ["cron too long", { cron: `0 9 * * *${" ".repeat(195)}1` }, ["cron"], /<=200/],
    // List limits name the limit (a union's bare "Invalid input" named nothing for `at`).
    ["too many crons", { cron_expressions: Array.from({ length: 21 }, () => "* * * * *") }, ["cron_expressions"], /^at most 20 cron expressions$/],
    ["too many excludes", { cron: "* * * * *", exclude: Array.from({ length: 21 }, () => "0 0 * * *") }, ["exclude"], /^at most 20 exclude expressions$/],
    ["too many intervals", { intervals: Array.from({ length: 21 }, (_, i) => ({ every: 60 + i })) }, ["intervals"], /^at most 20 intervals$/],
    // The shorthands join their lists: 20 + cron is 21 cron expressions, 20 + interval_seconds 21 intervals.
    ["20 cron expressions and cron", { cron_expressions: Array.from({ length: 20 }, (_, i) => `${i} * * * *`), cron: "59 * * * *" }, ["cron"], /^at most 20 cron expressions, counting cron with cron_expressions$/],
    ["20 intervals and interval_seconds", { intervals: Array.from({ length: 20 }, (_, i) => ({ every: 60 + i })), interval_seconds: 3600 }, ["interval_seconds"], /^at most 20 intervals, counting interval_seconds with intervals$/],
    ["too many at times", { at: Array.from({ length: 1001 }, (_, i) => new Date(Date.UTC(2030, 0, 1) + i * 60_000).toISOString()) }, ["at"], /^at most 1000 times$/],
  ])("%s", (_name, input, path, message) => {
    const issues = issuesOf(input);
    const atPath = issues.filter((i) => JSON.stringify(i.path) === JSON.stringify(path));
    expect(atPath.length, JSON.stringify(issues)).toBeGreaterThan(0);
    expect(atPath.some((i) => message.test(i.message)), JSON.stringify(issues)).toBe(true);
  });

  it("reports every problem at once, each with its own path", () => {
    const paths = issuesOf({ intervals: [{ every: "5x" }], timezone: "Nope/Nope", repeat_count: -3 }).map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["intervals.0.every", "timezone", "repeat_count"]));
  });

  // Known bug, outside src/core (sdk/src/protocol/time.ts): V8's Date.parse rolls 30 February over
  // to 2 March instead of rejecting it. Marked `fails` so the suite turns red once it is fixed.
  it("zone checks give the same answer when asked again (valid zones are remembered, unknown ones never)", () => {
    for (let round = 0; round < 2; round++) {
      expect(isValidTimeZone("America/New_York")).toBe(true);
      expect(isValidTimeZone("Australia/Lord_Howe")).toBe(true);
      expect(isValidTimeZone("Mars/Olympus")).toBe(false);
      expect(isValidTimeZone("America/New_Yrok")).toBe(false);
      expect(isValidTimeZone("")).toBe(false);
      expect(isValidTimeZone("A".repeat(65))).toBe(false);
    }
    expect(issuesOf({ cron: "0 9 * * *", timezone: "Mars/Olympus" }).map((i) => i.path.join("."))).toEqual(["timezone"]);
  });

  it("rejects a calendar date that does not exist (2026-02-30)", () => {
    issuesOf({ at: "2026-02-30T00:00:00Z" });
    issuesOf({ at: "0100-02-29T00:00:00Z" });
  });

  it("accepts 29 February of a leap year below 100 (0000 is one; 1900, which Date.UTC reads it as, is not)", () => {
    expect(ScheduleSpecInput.parse({ at: "0000-02-29T00:00:00Z" }).at).toEqual([Date.parse("0000-02-29T00:00:00Z")]);
    expect(ScheduleSpecInput.parse({ at: "2024-02-29T00:00:00Z" }).at).toEqual([Date.parse("2024-02-29T00:00:00Z")]);
  });
});

describe("ScheduleSpecInput folds shorthands into the canonical spec", () => {
  it.each<[string, unknown, Partial<ScheduleSpec>]>([
    ["cron shorthand", { cron: "0 9 * * *" }, { cron_expressions: ["0 9 * * *"] }],
    ["cron text is trimmed", { cron: "  0 9 * * *  " }, { cron_expressions: ["0 9 * * *"] }],
    ["cron appended after cron_expressions", { cron_expressions: ["0 9 * * *"], cron: "0 10 * * *" }, { cron_expressions: ["0 9 * * *", "0 10 * * *"] }],
    ["interval_seconds number", { interval_seconds: 600 }, { intervals: [{ every: 600, offset: 0 }] }],
    ["interval_seconds text", { interval_seconds: "10m" }, { intervals: [{ every: 600, offset: 0 }] }],
    ["interval_seconds appended after intervals", { intervals: [{ every: "1h", offset: "5m" }], interval_seconds: "90s" }, { intervals: [{ every: 3600, offset: 300 }, { every: 90, offset: 0 }] }],
    ["interval offset defaults to 0", { intervals: [{ every: "2h" }] }, { intervals: [{ every: 7200, offset: 0 }] }],
    ["single at", { at: "2026-01-01T09:00:00+01:00" }, { at: [Date.parse("2026-01-01T08:00:00Z")] }],
    ["at list sorted and de-duplicated", { at: ["2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00.000Z"] }, { at: [Date.parse("2026-01-01T00:00:00Z"), Date.parse("2026-01-02T00:00:00Z")] }],
    ["same instant in two offsets is one at", { at: ["2026-01-01T00:00:00Z", "2026-01-01T05:30:00+05:30"] }, { at: [Date.parse("2026-01-01T00:00:00Z")] }],
    ["lower-case t and z", { at: "2026-01-01t00:00:00z" }, { at: [Date.parse("2026-01-01T00:00:00Z")] }],
    ["nanosecond fraction", { at: "2026-01-01T00:00:00.123456789Z" }, { at: [Date.parse("2026-01-01T00:00:00.123Z")] }],
    ["bounds to epoch ms", { cron: "* * * * *", start_at: "2026-01-01T00:00:00Z", end_at: "2026-02-01T00:00:00-05:00" }, { cron_expressions: ["* * * * *"], start_at: Date.parse("2026-01-01T00:00:00Z"), end_at: Date.parse("2026-02-01T05:00:00Z") }],
    ["90s", { interval_seconds: "90s" }, { intervals: [{ every: 90, offset: 0 }] }],
    ["5m", { interval_seconds: "5m" }, { intervals: [{ every: 300, offset: 0 }] }],
    ["2h", { interval_seconds: "2h" }, { intervals: [{ every: 7200, offset: 0 }] }],
    ["1d", { interval_seconds: "1d" }, { intervals: [{ every: 86_400, offset: 0 }] }],
    ["1.5h", { interval_seconds: "1.5h" }, { intervals: [{ every: 5400, offset: 0 }] }],
    ["500ms", { interval_seconds: "500ms" }, { intervals: [{ every: 0.5, offset: 0 }] }],
    ["padded duration", { interval_seconds: " 5m " }, { intervals: [{ every: 300, offset: 0 }] }],
    ["jitter text", { cron: "* * * * *", jitter_seconds: "30s" }, { cron_expressions: ["* * * * *"], jitter_seconds: 30 }],
    ["jitter at the limit", { cron: "* * * * *", jitter_seconds: "7d" }, { cron_expressions: ["* * * * *"], jitter_seconds: 604_800 }],
    ["repeat_count and exclude kept", { cron: "* * * * *", repeat_count: 3, exclude: ["0 0 * * 0"] }, { cron_expressions: ["* * * * *"], repeat_count: 3, exclude: ["0 0 * * 0"] }],
    ["zone kept", { cron: "* * * * *", timezone: "Pacific/Chatham" }, { cron_expressions: ["* * * * *"], timezone: "Pacific/Chatham" }],
  ])("%s", (_name, input, expected) => {
    const r = ScheduleSpecInput.safeParse(input);
    expect(r.success, r.success ? "" : JSON.stringify(r.error.issues)).toBe(true);
    if (!r.success) return;
    // Fields not named in the row keep their defaults.
    expect(r.data).toEqual({ ...BASE, ...expected });
  });
});

describe("compileSpec: errors name the field", () => {
  const compileWire = (input: ScheduleSpecInput) => compileSpec(ScheduleSpecInput.parse(input), { createdAt: 0 });

  type ErrorClass = new (...args: never[]) => ValidationError;
  it.each<[string, ScheduleSpecInput, string, ErrorClass]>([
    ["bad cron shorthand", { cron: "61 * * * *" }, "cron_expressions.0", InvalidCronError],
    ["second cron in the list", { cron_expressions: ["0 9 * * *", "0 9 * * * * *"] }, "cron_expressions.1", InvalidCronError],
    ["cron shorthand after two list items", { cron_expressions: ["0 9 * * *", "0 10 * * *"], cron: "H * * * *" }, "cron_expressions.2", InvalidCronError],
    ["bad exclude", { cron: "0 9 * * *", exclude: ["0 0 * * 0", "@sometimes"] }, "exclude.1", InvalidCronError],
    ["sub-second interval", { intervals: [{ every: "500ms" }] }, "intervals.0.every", ValidationError],
    ["sub-second second interval", { intervals: [{ every: "1h" }, { every: 0.25 }] }, "intervals.1.every", ValidationError],
  ])("%s -> %s", (_name, input, field, type) => {
    let caught: unknown;
    try {
      compileWire(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(type);
    const err = caught as ValidationError;
    expect(err.field).toBe(field);
    expect(err.status).toBe(422);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
  });

  it("rejects an unknown zone that bypassed the wire schema", () => {
    const run = () => compileSpec({ ...BASE, cron_expressions: ["0 9 * * *"], timezone: "Mars/Olympus" }, { createdAt: 0 });
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(/timezone: unknown time zone "Mars\/Olympus"/);
    try {
      run();
    } catch (err) {
      expect((err as ValidationError).field).toBe("timezone");
      expect((err as ValidationError).code).toBe("invalid_timezone");
    }
  });

  it.each([
    ["end before start", Date.parse("2026-01-02T00:00:00Z"), Date.parse("2026-01-01T00:00:00Z")],
    ["end equal to start", Date.parse("2026-01-02T00:00:00Z"), Date.parse("2026-01-02T00:00:00Z")],
  ])("rejects %s that bypassed the wire schema", (_name, start, end) => {
    const run = () => compileSpec({ ...BASE, cron_expressions: ["0 9 * * *"], start_at: start, end_at: end }, { createdAt: 0 });
    expect(run).toThrow(ValidationError);
    try {
      run();
    } catch (err) {
      expect((err as ValidationError).field).toBe("end_at");
    }
  });
});

describe("compileSpec: compiled values", () => {
  const created = Date.parse("2026-05-01T12:00:00Z");
  const start = Date.parse("2026-06-01T00:00:00Z");

  it.each<[string, ScheduleSpecInput, { intervals?: [number, number][]; origin?: number; endAt?: number | null; jitterMs?: number; at?: number[] }]>([
    ["interval anchored at start_at", { intervals: [{ every: "1h" }], start_at: "2026-06-01T00:00:00Z" }, { intervals: [[start, 3_600_000]], origin: start - 1 }],
    ["interval offset from start_at", { intervals: [{ every: "1h", offset: "15m" }], start_at: "2026-06-01T00:00:00Z" }, { intervals: [[start + 900_000, 3_600_000]] }],
    ["interval without start_at: one interval after creation", { interval_seconds: 600 }, { intervals: [[created + 600_000, 600_000]], origin: created }],
    ["interval without start_at, with offset", { intervals: [{ every: "10m", offset: "1m" }] }, { intervals: [[created + 660_000, 600_000]] }],
    ["end_at kept in ms", { cron: "* * * * *", end_at: "2026-07-01T00:00:00Z" }, { endAt: Date.parse("2026-07-01T00:00:00Z") }],
    ["no end_at", { cron: "* * * * *" }, { endAt: null, jitterMs: 0 }],
    ["jitter in ms", { cron: "* * * * *", jitter_seconds: "1.5s" }, { jitterMs: 1500 }],
    ["at sorted", { at: ["2026-06-02T00:00:00Z", "2026-06-01T00:00:00Z"] }, { at: [start, start + 86_400_000] }],
  ])("%s", (_name, input, expected) => {
    const c = compileSpec(ScheduleSpecInput.parse(input), { createdAt: created });
    if (expected.intervals) expect(c.intervals).toEqual(expected.intervals);
    if (expected.origin !== undefined) expect(c.origin).toBe(expected.origin);
    if (expected.endAt !== undefined) expect(c.endAt).toBe(expected.endAt);
    if (expected.jitterMs !== undefined) expect(c.jitterMs).toBe(expected.jitterMs);
    if (expected.at) expect(c.at).toEqual(expected.at);
  });

  it("parses every cron and exclude and resolves the zone", () => {
    const c = compileSpec(ScheduleSpecInput.parse({ cron_expressions: ["0 9 * * *", "@hourly"], exclude: ["0 0 25 12 *"], timezone: "Australia/Lord_Howe" }), { createdAt: created });
    expect(c.crons.map((m) => m.canonical)).toEqual(["0 0 9 * * *", "0 0 * * * *"]);
    expect(c.excludes.map((m) => m.canonical)).toEqual(["0 0 0 25 12 *"]);
    expect(c.zone.name).toBe("Australia/Lord_Howe");
    expect(c.zone.fixed).toBe(false);
    expect(compileSpec(ScheduleSpecInput.parse({ cron: "0 9 * * *" }), { createdAt: created }).zone.fixed).toBe(true);
  });
});
