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
