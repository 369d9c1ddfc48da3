import { toRfc3339, type ScheduleSpecView } from "@sundial/sdk/protocol";

/** Spec fields a PATCH may carry. */
export const SPEC_PATCH_KEYS = ["cron_expressions", "cron", "intervals", "interval_seconds", "at", "start_at", "end_at", "repeat_count", "exclude", "jitter_seconds", "timezone"] as const;

/**
 * Overlays a PATCH's spec fields on the current canonical spec, producing wire input for the spec
 * schema. `cron`/`cron_expressions` replace the cron list; `interval_seconds`/`intervals` replace
 * the intervals; every other field replaces its own value (null clears start_at/end_at). Times
 * may come parsed (epoch ms) or as written (RFC 3339).
 */
export function mergeSpecPatch(current: ScheduleSpecView, patch: Partial<Record<(typeof SPEC_PATCH_KEYS)[number], unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    cron_expressions: current.cron_expressions,
    intervals: current.intervals,
    at: current.at,
    repeat_count: current.repeat_count,
    exclude: current.exclude,
    jitter_seconds: current.jitter_seconds,
    timezone: current.timezone,
    ...(current.start_at !== null ? { start_at: current.start_at } : {}),
    ...(current.end_at !== null ? { end_at: current.end_at } : {}),
  };
  if (patch.cron !== undefined || patch.cron_expressions !== undefined) {
    out.cron_expressions = patch.cron_expressions ?? [];
    if (patch.cron !== undefined) out.cron = patch.cron;
  }
  if (patch.interval_seconds !== undefined || patch.intervals !== undefined) {
    out.intervals = patch.intervals ?? [];
    if (patch.interval_seconds !== undefined) out.interval_seconds = patch.interval_seconds;
  }
  for (const k of ["at", "start_at", "end_at", "repeat_count", "exclude", "jitter_seconds", "timezone"] as const) {
    if (patch[k] === undefined) continue;
    if (patch[k] === null) delete out[k];
    else out[k] = k === "at" || k === "start_at" || k === "end_at" ? asWireTime(patch[k]) : patch[k];
  }
  return out;
}

/**
 * The PATCH body was parsed already, which turned its times into epoch ms; the spec schema the
 * merged spec goes through reads RFC 3339, as the current spec's times are.
 */
function asWireTime(v: unknown): unknown {
  if (typeof v === "number") return toRfc3339(v);
  return Array.isArray(v) ? v.map(asWireTime) : v;
}
