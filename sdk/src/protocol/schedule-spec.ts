import { z } from "zod";
import { Duration, PositiveDuration } from "./duration.ts";
import { TimeZone, Timestamp } from "./time.ts";

/** Upper bounds that the wire schema itself enforces (the platform's `LIMITS` re-exports them). */
export const SPEC_LIMITS = {
  cronExpressions: 20,
  cronLength: 200,
  intervals: 20,
  atTimes: 1000,
  excludes: 20,
  maxRepeatCount: 100_000,
  maxJitterSeconds: 86_400 * 7,
} as const;

const CronText = z.string().trim().min(1, "empty cron expression").max(SPEC_LIMITS.cronLength);

/**
 * A list of at most `max` items whose refusal names the limit ("at most 20 intervals"), in words a
 * user reads, rather than zod's "Too big: expected array to have <=20 items".
 */
function limitedList<T extends z.ZodType>(item: T, max: number, noun: string) {
  return z.array(item).max(max, { message: `at most ${max} ${noun}` });
}

const AtList = limitedList(Timestamp, SPEC_LIMITS.atTimes, "times");

/**
 * `at`: one time or a list of them. Not a plain z.union of the two: when both branches fail, a
 * union reports only "Invalid input" at `at`, which named neither the limit of a list too long nor
 * the item at fault. The outer union checks only the shape (and is what the OpenAPI document
 * shows: the list's limit is annotated); the shape picks the schema whose issues, with their item
 * paths, are reported as they are.
 */
const AtTimes = z
  .union([z.string().max(40), z.array(z.string().max(40)).meta({ maxItems: SPEC_LIMITS.atTimes })], { error: "expected an RFC 3339 time or a list of them" })
  .transform((v, ctx) => {
    const r = Array.isArray(v) ? AtList.safeParse(v) : Timestamp.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    return z.NEVER;
  });

/** One interval: fire every `every` seconds, shifted by `offset`, anchored at `start_at` (or creation). */
export const IntervalSpec = z.strictObject({
  every: PositiveDuration,
  offset: Duration.default(0),
});

/**
 * The fields that say *when* a schedule fires, as accepted on the wire. Any mix of cron expressions,
 * intervals and one-shot `at` times; the fire times are their union. `cron` (Polos) and
 * `interval_seconds` (Pipelit) are accepted as shorthands and folded into the canonical form.
 */
export const ScheduleSpecFields = {
  cron_expressions: limitedList(CronText, SPEC_LIMITS.cronExpressions, "cron expressions").optional(),
  cron: CronText.optional(),
  intervals: limitedList(IntervalSpec, SPEC_LIMITS.intervals, "intervals").optional(),
  interval_seconds: PositiveDuration.optional(),
  at: AtTimes.optional(),
  start_at: Timestamp.optional(),
  end_at: Timestamp.optional(),
  repeat_count: z.number().int().min(0).max(SPEC_LIMITS.maxRepeatCount).optional(),
  exclude: limitedList(CronText, SPEC_LIMITS.excludes, "exclude expressions").optional(),
  jitter_seconds: Duration.refine((s) => s <= SPEC_LIMITS.maxJitterSeconds, { message: `must be at most ${SPEC_LIMITS.maxJitterSeconds}` }).optional(),
  timezone: TimeZone.optional(),
} as const;

/** The canonical, normalised spec: what Sundial stores and returns. Times are epoch ms. */
export interface ScheduleSpec {
  cron_expressions: string[];
  intervals: { every: number; offset: number }[];
  at: number[];
  start_at: number | null;
  end_at: number | null;
  /** Most scheduled runs the schedule starts (fires skipped by overlap, catch-up or a pause use none); 0 = unlimited. */
  repeat_count: number;
  exclude: string[];
  jitter_seconds: number;
  timezone: string;
}

type SpecInput = { [K in keyof typeof ScheduleSpecFields]?: z.output<(typeof ScheduleSpecFields)[K]> };

/**
 * Folds the shorthands into the canonical spec and checks the cross-field rules (something to fire,
 * end after start). Field-level problems are reported through `ctx` with their path.
 */
export function normalizeSpec(v: SpecInput, ctx: z.RefinementCtx): ScheduleSpec {
  const cron = [...(v.cron_expressions ?? []), ...(v.cron !== undefined ? [v.cron] : [])];
  const intervals = [...(v.intervals ?? []).map((i) => ({ every: i.every, offset: i.offset }))];
  if (v.interval_seconds !== undefined) intervals.push({ every: v.interval_seconds, offset: 0 });
  const at = v.at === undefined ? [] : Array.isArray(v.at) ? v.at : [v.at];
  if (cron.length === 0 && intervals.length === 0 && at.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["cron_expressions"],
      message: "a schedule needs at least one of cron_expressions (or cron), intervals (or interval_seconds) or at",
    });
  }
  if (v.start_at !== undefined && v.end_at !== undefined && v.end_at <= v.start_at) {
    ctx.addIssue({ code: "custom", path: ["end_at"], message: "end_at must be after start_at" });
  }
  // The shorthands join their lists: the limits hold for the lists they make (20 + 1 would pass each field's own check).
  if (v.cron !== undefined && cron.length > SPEC_LIMITS.cronExpressions) {
    ctx.addIssue({ code: "custom", path: ["cron"], message: `at most ${SPEC_LIMITS.cronExpressions} cron expressions, counting cron with cron_expressions` });
  }
  if (v.interval_seconds !== undefined && intervals.length > SPEC_LIMITS.intervals) {
    ctx.addIssue({ code: "custom", path: ["interval_seconds"], message: `at most ${SPEC_LIMITS.intervals} intervals, counting interval_seconds with intervals` });
  }
  for (const [i, iv] of intervals.entries()) {
    if (iv.offset >= iv.every) {
      ctx.addIssue({ code: "custom", path: ["intervals", i, "offset"], message: `offset (${iv.offset}s) must be smaller than every (${iv.every}s)` });
    }
  }
  return {
    cron_expressions: cron,
    intervals,
    at: [...new Set(at)].sort((a, b) => a - b),
    start_at: v.start_at ?? null,
    end_at: v.end_at ?? null,
    repeat_count: v.repeat_count ?? 0,
    exclude: v.exclude ?? [],
    jitter_seconds: v.jitter_seconds ?? 0,
    timezone: v.timezone ?? "UTC",
  };
}

/** A standalone spec (used by preview and in code-declared schedules). */
export const ScheduleSpecInput = z.strictObject(ScheduleSpecFields).transform(normalizeSpec);
export type ScheduleSpecInput = z.input<typeof ScheduleSpecInput>;
