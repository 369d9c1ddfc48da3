import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { describeCron, describeSpec } from "../../../src/core/describe-spec.ts";

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
