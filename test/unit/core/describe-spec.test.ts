import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { describeCron, describeSpec } from "../../../src/core/describe-spec.ts";
import { compileSpec } from "../../../src/core/spec.ts";

describe("describeCron", () => {
  // A `*` seconds field fires every second of the minutes it names: sixty fires, not one.
  it.each<[string, string]>([
    ["* * * * * *", "every second"],
    ["* * * * * 1-5", "every second, on Monday through Friday"],
    ["* 0 9 * * *", "every second from 09:00:00 to 09:00:59, every day"],
    ["* 30 7 * * 1", "every second from 07:30:00 to 07:30:59, on Monday"],
    ["* * 9 * * *", "every second from 09:00:00 to 09:59:59, every day"],
    ["* 5 * * * *", "every second of minute 5 of every hour"],
    ["* */5 * * * *", "every second of every 5th minute"],
    ["* */2 * * * *", "every second of every 2nd minute"],
    ["* */1 * * * *", "every second"],
    ["* 0 */2 * * *", 'cron "* 0 */2 * * *"'],
    ["* 1-5 * * * *", 'cron "* 1-5 * * * *"'],
  ])("%s -> %s", (expr, text) => {
    expect(describeCron(expr)).toBe(text);
  });

  it.each<[string, string]>([
    ["0 9 * * *", "every day at 09:00"],
    ["0 0 9 * * *", "every day at 09:00"],
    ["*/15 * * * *", "every 15 minutes"],
    ["* * * * *", "every minute"],
    ["0 * * * * *", "every minute"],
    ["30 0 9 * * *", 'cron "30 0 9 * * *"'],
    ["0 9 * * 1-5", "at 09:00, on Monday through Friday"],
    ["@hourly", "at minute 0 of every hour"],
  ])("unchanged: %s -> %s", (expr, text) => {
    expect(describeCron(expr)).toBe(text);
  });

  // A step restarts at each hour (minutes) or day (hours): `*/25` fires at :00, :25 and :50, ten
  // minutes apart across the hour, and `*/90` only at :00. "every N minutes" is said only when N
  // divides the hour (N hours: the day); a step past the field's range names its one value; other
  // steps are quoted, as any shape the text cannot say exactly.
  it.each<[string, string]>([
    ["*/20 * * * *", "every 20 minutes"],
    ["*/1 * * * *", "every minute"],
    ["0 */1 * * *", "at minute 0 of every hour"],
    ["*/25 * * * *", 'cron "*/25 * * * *"'],
    ["*/90 * * * *", "at minute 0 of every hour"],
    ["*/60 * * * *", "at minute 0 of every hour"],
    ["0 */8 * * *", "at minute 0 every 8 hours"],
    ["0 */5 * * *", 'cron "0 */5 * * *"'],
    ["15 */30 * * *", "every day at 00:15"],
    ["* */25 * * * *", 'cron "* */25 * * * *"'],
    ["* */90 * * * *", "every second of minute 0 of every hour"],
  ])("steps that do not divide their range: %s -> %s", (expr, text) => {
    expect(describeCron(expr)).toBe(text);
  });

  // Vixie's rule: two restricted day fields match either day ("0 0 1 * 1": the 1st, and every
  // Monday); a field starting with `*` ANDs with the other ("0 0 */2 * 1": odd-numbered Mondays).
  it.each<[string, string]>([
    ["0 0 1 * 1", "at 00:00, on day-of-month 1 or on Monday"],
    ["0 9 L * 5", "at 09:00, on the last day of the month or on Friday"],
    ["0 9 1,15 * 1-5", "at 09:00, on day-of-month 1,15 or on Monday through Friday"],
    ["0 0 */2 * 1", "at 00:00, on day-of-month */2, on Monday"],
    ["0 0 1 * */2", "at 00:00, on day-of-month 1, on day-of-week */2"],
    ["0 0 ? * 1", "at 00:00, on Monday"],
  ])("day fields: %s -> %s", (expr, text) => {
    expect(describeCron(expr)).toBe(text);
  });

  it("a spec's description keeps the seconds of each expression and exclusion", () => {
    const spec = ScheduleSpecInput.parse({ cron_expressions: ["* 0 9 * * *"], exclude: ["* * * * * 0"], timezone: "Europe/Paris" });
    expect(describeSpec(spec)).toBe("every second from 09:00:00 to 09:00:59, every day, except every second, on Sunday (Europe/Paris)");
  });
});

describe("describeSpec: durations as they fire", () => {
  // Intervals, offsets and jitter fire in whole milliseconds (compileSpec rounds them); the text
  // says what fires, not the float the wire's arithmetic left ("1.1h" is 3960.0000000000005 s).
  it.each<[string, ScheduleSpecInput, string]>([
    ["a float left by unit arithmetic", { intervals: [{ every: "1.1h" }] }, "every 66 minutes (UTC)"],
    ["a sub-millisecond fraction", { intervals: [{ every: 1.0005 }] }, "every 1.001 seconds (UTC)"],
    ["a fraction that rounds to a whole second", { intervals: [{ every: "1000.4ms" }] }, "every second (UTC)"],
    ["an offset that rounds to nothing", { intervals: [{ every: "1h", offset: 0.0004 }] }, "every hour (UTC)"],
    ["an offset with a sub-millisecond fraction", { intervals: [{ every: "1h", offset: "0.7m" }] }, "every hour (offset 42 seconds) (UTC)"],
    ["jitter with a sub-millisecond fraction", { cron: "0 9 * * *", jitter_seconds: "1.0005s" }, "every day at 09:00, with up to 1.001 seconds of jitter (UTC)"],
    ["jitter that rounds to nothing", { cron: "0 9 * * *", jitter_seconds: 0.0004 }, "every day at 09:00 (UTC)"],
  ])("%s", (_name, input, text) => {
    const spec = ScheduleSpecInput.parse(input);
    expect(describeSpec(spec)).toBe(text);
  });

  it("the text gives the period compileSpec fires at", () => {
    for (const every of [1.0005, 1.0004, 2.5, "1.1h", "0.3m", "1000.6ms", 7.123456]) {
      const spec = ScheduleSpecInput.parse({ intervals: [{ every }] });
      const ms = compileSpec(spec, { createdAt: 0 }).intervals[0]![1];
      const described = describeSpec(spec);
      const m = /^every (?:(\d+(?:\.\d+)?) )?(second|minute|hour)s? \(UTC\)$/.exec(described);
      expect(m, described).not.toBeNull();
      const unit = { second: 1000, minute: 60_000, hour: 3_600_000 }[m![2] as "second"];
      expect(Number(m![1] ?? 1) * unit, `${String(every)}: ${described}`).toBeCloseTo(ms, 6);
    }
  });
});
