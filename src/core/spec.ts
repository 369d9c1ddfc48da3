import type { ScheduleSpec } from "@sundial/sdk/protocol";
import { parseCron, type CronMatcher } from "./cron.ts";
import { ValidationError } from "./errors.ts";
import { zoneFor, type Zone } from "./zone.ts";

/** A spec ready for fire-time computation: parsed crons, resolved zone, bounds in ms. */
export interface CompiledSpec {
  readonly spec: ScheduleSpec;
  readonly zone: Zone;
  readonly crons: readonly CronMatcher[];
  readonly excludes: readonly CronMatcher[];
  /** Interval components as [first fire ms, every ms]. */
  readonly intervals: readonly (readonly [number, number])[];
  readonly at: readonly number[];
  /** Fires are strictly after this instant (start_at - 1 ms, or the creation time). */
  readonly origin: number;
  /**
   * Intervals fire on their whole grid (first + k·every for any k, so also before `first`), not
   * from `first` on: what a backfill of a schedule without start_at sees (its past has a grid too).
   */
  readonly intervalGridBeforeFirst?: boolean;
  readonly endAt: number | null;
  readonly jitterMs: number;
  /** Memo for repeat_count: the last allowed nominal time (undefined = not computed yet). */
  lastAllowed?: number | null;
  /** Memo: the exclusions that match every time of day the spec fires at (see fire-times.ts), once computed. */
  monthExcludes?: readonly CronMatcher[];
}

/** Parsed expressions (a matcher is immutable; only expressions that parsed are kept). */
const cronCache = new Map<string, CronMatcher>();
const CRON_CACHE_MAX = 1_000;

/** parseCron, memoised by expression: a create compiles its spec in the API Worker and again in the object. */
function cachedCron(expression: string, field: string): CronMatcher {
  const hit = cronCache.get(expression);
  if (hit) return hit;
  const m = parseCron(expression, field);
  if (cronCache.size >= CRON_CACHE_MAX) cronCache.delete(cronCache.keys().next().value!);
  cronCache.set(expression, m);
  return m;
}

/**
 * A spec duration (seconds on the wire, any fraction) as it fires: whole milliseconds. describe
 * uses it too, so the text gives the period that fires, not the float a unit left ("1.1h" is
 * 3960.0000000000005 s).
 */
export function durationMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** Where the schedule comes from: its creation time anchors intervals and repeat counting. */
export interface SpecContext {
  createdAt: number;
}

/**
 * Parses and checks a normalised spec. Throws {@link ValidationError} (or `InvalidCronError`)
 * naming the field at fault; never returns a spec that cannot be computed.
 * @example compileSpec({ ...spec, cron_expressions: ["0 9 * * *"], timezone: "Europe/London" }, { createdAt: Date.now() })
 */
export function compileSpec(spec: ScheduleSpec, ctx: SpecContext): CompiledSpec {
  let zone: Zone;
  try {
    zone = zoneFor(spec.timezone);
  } catch {
    throw new ValidationError(`timezone: unknown time zone ${JSON.stringify(spec.timezone)}`, { field: "timezone", code: "invalid_timezone" });
  }
  const crons = spec.cron_expressions.map((e, i) => cachedCron(e, `cron_expressions.${i}`));
  const excludes = spec.exclude.map((e, i) => cachedCron(e, `exclude.${i}`));
  const intervals = spec.intervals.map((iv, i) => {
    const every = durationMs(iv.every);
    const offset = durationMs(iv.offset);
    if (every < 1000) throw new ValidationError(`intervals.${i}.every: must be at least 1 second`, { field: `intervals.${i}.every` });
    // Anchored at start_at; without one, the first fire is one interval after creation (Pipelit).
    const first = spec.start_at !== null ? spec.start_at + offset : ctx.createdAt + every + offset;
    return [first, every] as const;
  });
  if (spec.start_at !== null && spec.end_at !== null && spec.end_at <= spec.start_at) {
    throw new ValidationError("end_at must be after start_at", { field: "end_at" });
  }
  return {
    spec,
    zone,
    crons,
    excludes,
    intervals,
    at: [...spec.at].sort((a, b) => a - b),
    origin: spec.start_at !== null ? spec.start_at - 1 : ctx.createdAt,
    endAt: spec.end_at,
    jitterMs: durationMs(spec.jitter_seconds),
  };
}
