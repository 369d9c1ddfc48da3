import { MAX_TIMER_SECONDS } from "../protocol/commands.ts";
import { parseDuration } from "../protocol/duration.ts";

/**
 * A duration as the SDK accepts it: a number of seconds, or a string such as `"500ms"`, `"90s"`,
 * `"5m"`, `"2h"`, `"1d"` (the wire's duration syntax).
 * @example
 * await ctx.sleep("5m");
 * await ctx.sleep(300); // the same
 */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

/**
 * Converts a {@link Duration} to seconds, throwing a `TypeError` that names `what` when the value
 * is not a duration or is negative (so a typo fails where it is written, not on the server).
 * @example toSeconds("2h", "executionTimeout") // 7200
 */
export function toSeconds(value: Duration, what: string): number {
  const seconds = typeof value === "number" || typeof value === "string" ? parseDuration(value) : null;
  if (seconds === null || seconds < 0) {
    throw new TypeError(`${what}: invalid duration ${JSON.stringify(value)}: use seconds or a string such as "90s", "5m", "2h", "1d"`);
  }
  return seconds;
}

/** Like {@link toSeconds} but `undefined` stays `undefined` (for optional options). */
export function optionalSeconds(value: Duration | undefined, what: string): number | undefined {
  return value === undefined ? undefined : toSeconds(value, what);
}

/**
 * Converts the length of a workflow timer (`ctx.sleep`'s duration, `ctx.waitCondition`'s timeout)
 * to seconds, like {@link toSeconds}, and also refuses more than the platform's longest timer
 * (`MAX_TIMER_SECONDS`, 10 years): the platform would refuse the whole workflow task, retried until
 * the run times out, so the workflow code throws a `TypeError` naming `what` where it is written.
 * @example timerSeconds("7d", "ctx.waitCondition() timeout") // 604800
 */
export function timerSeconds(value: Duration, what: string): number {
  const seconds = toSeconds(value, what);
  if (seconds > MAX_TIMER_SECONDS) {
    throw new TypeError(`${what}: at most ${MAX_TIMER_SECONDS / (86_400 * 365)} years (${MAX_TIMER_SECONDS}s, the platform's longest timer), got ${seconds}s`);
  }
  return seconds;
}
