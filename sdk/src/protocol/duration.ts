import { z } from "zod";

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a wire duration: a number of seconds, or a string such as `"90s"`, `"5m"`, `"2h"`, `"1d"`.
 * Returns seconds, or `null` when the text is not a duration.
 * @example parseDuration("5m") // 300
 */
export function parseDuration(value: number | string): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  const m = DURATION_RE.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * (UNIT_SECONDS[m[2]!] ?? NaN);
}

/** A duration on the wire, normalised to seconds (a non-negative finite number). */
export const Duration = z
  .union([z.number(), z.string().max(32)])
  .transform((v, ctx) => {
    const seconds = parseDuration(v);
    if (seconds === null || seconds < 0) {
      ctx.addIssue({ code: "custom", message: `invalid duration ${JSON.stringify(v)}: use seconds or "90s", "5m", "2h", "1d"` });
      return z.NEVER;
    }
    return seconds;
  });

/** A strictly positive duration in seconds. */
export const PositiveDuration = Duration.refine((s) => s > 0, { message: "must be greater than zero" });
