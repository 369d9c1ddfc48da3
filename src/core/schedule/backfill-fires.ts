import { ConflictError, ValidationError } from "../errors.ts";
import { between, next, withoutRepeatBound } from "../fire-times.ts";
import { LIMITS } from "../limits.ts";
import type { OverlapPolicy } from "../overlap.ts";
import type { CompiledSpec } from "../spec.ts";
import type { PendingFire, ScheduleState } from "./state.ts";

/**
 * The last instant a backfill from `startAt` may name as its end: `years` calendar years later in
 * UTC (2010-01-01T00:00Z gives 2020-01-01T00:00Z, leap days and all). From a 29 February to a year
 * without one, the 28th (never the 1 March a plain date roll-over would give).
 *
 * @example
 * backfillRangeEnd(Date.parse("2020-02-29T06:00:00Z"), 10) // Date.parse("2030-02-28T06:00:00Z")
 */
export function backfillRangeEnd(startAt: number, years: number): number {
  const d = new Date(startAt);
  const month = d.getUTCMonth();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  // 29 February rolled over into March: back to the last day of February.
  if (d.getUTCMonth() !== month) d.setUTCDate(0);
  return d.getTime();
}

/**
 * Checks a backfill's range before any fire is counted: `endAt` not before `startAt` (equal is the
 * one instant), and at most LIMITS.maxBackfillYears calendar years (UTC) between them, a bound on
 * the work one request may ask for whatever its spec (README "Limits"). The schedule checks it
 * after looking up the request_id, so a retry gets the first answer whatever range it names.
 *
 * @throws ValidationError 422 `validation_failed` (field `end_at`) for an end before the start.
 * @throws ValidationError 422 `limit_exceeded` (field `end_at`) for a longer range.
 * @example
 * checkBackfillRange(Date.parse("2010-01-01T00:00:00Z"), Date.parse("2020-01-01T00:00:00Z")) // fine: exactly 10 years
 */
export function checkBackfillRange(startAt: number, endAt: number, years: number = LIMITS.maxBackfillYears): void {
  if (endAt < startAt) throw new ValidationError("end_at: end_at must not be before start_at", { field: "end_at" });
  const last = backfillRangeEnd(startAt, years);
  if (endAt > last) {
    throw new ValidationError(`a backfill range is at most ${years} years (from start_at, up to ${new Date(last).toISOString()}): split it into shorter ranges and backfill them one after another`, { field: "end_at", code: "limit_exceeded" });
  }
}

/**
 * The fires of a backfill of [startAt, endAt] (both ends included, as the backfill starts them)
 * under `spec` (the spec as a backfill sees it). Counting stops one past `max`, so the check costs
 * at most `max + 1` fire-time steps however frequent the spec and long the range: every second
 * for 10 years would be 315 million fires, each one a run to start and a history to keep.
 *
 * @throws ConflictError 409 `empty_backfill` (field `start_at`) when the range has no fire.
 * @throws ValidationError 422 `limit_exceeded` (field `end_at`) when it has more than `max`.
 * @example
 * checkBackfillFires(everyMinute, Date.parse("2027-05-01T06:00:00Z"), Date.parse("2027-05-01T09:00:00Z")) // 181
 */
export function checkBackfillFires(spec: CompiledSpec, startAt: number, endAt: number, max: number = LIMITS.maxBackfillFires): number {
  const count = between(spec, startAt - 1, endAt, max + 1).length;
  if (count === 0) throw new ConflictError("the spec has no fire times in that range", "empty_backfill", { field: "start_at" });
  if (count > max) {
    throw new ValidationError(`a backfill starts at most ${max} fires and this range has more: split it into shorter ranges of at most ${max} fires each and backfill them one after another`, { field: "end_at", code: "limit_exceeded" });
  }
  return count;
}

/**
 * A schedule keeps at most `max` backfills under way (each a row every alarm reads until it is done):
 * one more is refused, writing nothing, until one of them is done. Describe lists them (`backfills`).
 *
 * @throws ValidationError 422 `limit_exceeded` when `pending` backfills are already under way.
 */
export function checkPendingBackfills(pending: number, max: number = LIMITS.maxPendingBackfills): void {
  if (pending >= max) {
    throw new ValidationError(`this schedule already has ${pending} backfills under way (the limit is ${max}): send this one once one of them is done (describe lists them under backfills), or cover several ranges with one backfill`, { code: "limit_exceeded" });
  }
}

/**
 * The spec as a backfill sees it: a backfill's range is generally in the past, so the creation
 * time (or last spec change) is no lower bound, and an interval anchored there fires on its whole grid, before
 * its first fire too (every hour from creation at 10:17 backfills 09:17, 08:17, …; with a 30-minute
 * offset, 10:47 — after creation, before the first live fire at 11:47 — whatever the range's start).
 * An explicit start_at still is a bound. repeat_count does not limit a backfill (it counts
 * scheduled runs, as Temporal's remaining actions do not count backfills). `after`: the instant
 * the fires looked for come after (a backfill's cursor).
 *
 * @example
 * between(backfillSpec(spec, startAt - 1), startAt - 1, endAt) // the backfill's fires
 */
export function backfillSpec(spec: CompiledSpec, after: number): CompiledSpec {
  const unbounded = withoutRepeatBound(spec);
  if (spec.spec.start_at !== null) return unbounded;
  return { ...unbounded, origin: Math.min(after, spec.origin), intervalGridBeforeFirst: true, lastAllowed: null };
}

/** A queued backfill as its batches need it (the ScheduleObject's `backfills` row). */
export interface BackfillJob {
  id: number;
  /** The next batch's fires come after this instant (the last batch's last fire, or 1 ms before start_at). */
  cursor: number;
  end_at: number;
  /** The backfill's own overlap policy; "" for none (the schedule's at each decision). */
  overlap: string;
  /** The backfill's last fire not skipped by overlap: the next fire's last_timestamp. */
  last_fire: number | null;
}

/**
 * A backfill job's next batch: its first `room` fires after its cursor under `spec`, the spec the
 * backfill was asked of (its answer counted them), not the schedule's spec of the moment. Each
 * fire carries that spec's zone and its next fire, its payload's `timezone` and `upcoming`, so a
 * spec change while the fire waits for a slot changes neither.
 *
 * @example
 * backfillBatch(specAtRequest, job, LIMITS.catchupBatch).map((f) => f.nominal)
 */
export function backfillBatch(spec: CompiledSpec, job: BackfillJob, room: number): PendingFire[] {
  const own = backfillSpec(spec, job.cursor);
  const nominals = between(own, job.cursor, job.end_at, room);
  const overlap = job.overlap ? { overlap: job.overlap as OverlapPolicy } : {};
  return nominals.map((n, i) => ({ nominal: n, actual: n, kind: "backfill", backfillId: job.id, last: job.last_fire, timezone: spec.spec.timezone, upcoming: nominals[i + 1] ?? next(own, n), ...overlap }));
}

/**
 * How many backfilled fires may be decided now, their overlap policy being `policy` (the
 * backfill's own, or the schedule's): no more than would take the schedule's open runs past
 * LIMITS.runningCap and, for a policy whose fires may wait in the buffer (BUFFER_ONE, BUFFER_ALL,
 * CANCEL_OTHER), nor its buffer past half its cap (Temporal's scheduler, too, uses "only half the
 * buffer for backfills"): a long backfill under BUFFER_ALL behind an open run waits for room
 * instead of filling the buffer and dropping its own later fires, and the schedule's own fires
 * still find room. Fires under SKIP, ALLOW_ALL or TERMINATE_OTHER never wait there, so a buffer
 * full of a paused schedule's own fires does not hold them back. At 0 the backfill waits for a run to close.
 */
export function backfillRoom(s: Pick<ScheduleState, "running" | "buffer">, policy: OverlapPolicy): number {
  const runs = LIMITS.runningCap - s.running.length;
  const buffer = WAITS_IN_BUFFER.has(policy) ? LIMITS.bufferCap / 2 - s.buffer.length : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(runs, buffer));
}

/** Policies under which a fire may wait in the buffer for a slot (see core/overlap.ts). */
const WAITS_IN_BUFFER: ReadonlySet<OverlapPolicy> = new Set(["BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER"]);
