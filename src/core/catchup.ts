import { between, fires, next, upcoming, type Fire } from "./fire-times.ts";
import { LIMITS } from "./limits.ts";
import type { CompiledSpec } from "./spec.ts";

/** Clamps a catch-up window (seconds) to [10 s, 366 days] (LIMITS); undefined gives the 1-day default. */
export function clampCatchupWindow(seconds: number | undefined): number {
  if (seconds === undefined || !Number.isFinite(seconds)) return LIMITS.catchupWindowDefault;
  return Math.min(LIMITS.catchupWindowMax, Math.max(LIMITS.catchupWindowMin, seconds));
}

export interface CatchupInput {
  spec: CompiledSpec;
  scheduleId: string;
  /** Nominal time of the last fire already handled (started or skipped); fires after it are candidates. */
  lastProcessed: number;
  now: number;
  windowSeconds?: number;
  /** Most fires to hand back as due in one plan. */
  batch?: number;
  /** Most fires to examine (due or too old) in one plan. */
  scanLimit?: number;
}

export interface CatchupPlan {
  /** Fires to act on now, oldest first (their actual time has come and they are within the window). */
  due: Fire[];
  /** Fires more than the window late (actual time older than now - window): skipped and counted, never started. */
  skippedTooOld: number;
  /** More fires were skipped than counted (LIMITS.catchupSkipCountCap): skippedTooOld is a minimum. */
  skippedCapped?: boolean;
  /** New value for lastProcessed. */
  cursor: number;
  /** More fires are already due: plan again at once (the next alarm). */
  more: boolean;
  /** The next fire not yet due, when `more` is false (what the alarm should be armed for). */
  nextFire: Fire | null;
}

/**
 * The last instant a fire whose actual time is `actual` may still start: later than this it is
 * more than the catch-up window late, and skipped. The schedule's planner and a prepared run's
 * first lease (src/objects/execution-prepared.ts) judge lateness with this one rule.
 */
export function startDeadline(actual: number, windowSeconds: number | undefined): number {
  return actual + clampCatchupWindow(windowSeconds) * 1000;
}

/**
 * Passes over the fires after `lastProcessed` whose nominal time is too old for the window
 * whatever their jitter ({@link tooOldThrough}) in one jump: counts them up to `cap` (past it the
 * count is a minimum) and moves the cursor past them, without examining each. A year-long outage
 * of an every-second schedule is 31 million fires; walking them took thousands of alarms.
 */
function jumpTooOld(input: CatchupInput, cap: number): { skipped: number; capped: boolean; cursor: number } {
  const through = tooOldThrough(input.spec, input.now, input.windowSeconds);
  if (through <= input.lastProcessed) return { skipped: 0, capped: false, cursor: input.lastProcessed };
  const passed = between(input.spec, input.lastProcessed, through, cap + 1);
  if (passed.length === 0) return { skipped: 0, capped: false, cursor: input.lastProcessed };
  if (passed.length > cap) return { skipped: cap, capped: true, cursor: through };
  return { skipped: passed.length, capped: false, cursor: passed.at(-1)! };
}

/**
 * Decides which fires are due after an alarm or an outage. Every fire whose actual time is in
 * (lastProcessed, now] is due, except those more than the window late (actual time older than
 * `now - window`: a fire's jitter is a planned delay, not lateness), which are skipped and
 * counted. Those too old whatever their jitter ({@link tooOldThrough}) are jumped over at once
 * and counted up to LIMITS.catchupSkipCountCap; the rest are examined one by one. Work per call
 * is bounded (`batch` due, `scanLimit` examined) so a long outage is worked off over several
 * alarms instead of one storm.
 */
export function planCatchup(input: CatchupInput): CatchupPlan {
  const batch = input.batch ?? LIMITS.catchupBatch;
  const scanLimit = input.scanLimit ?? LIMITS.catchupScanPerAlarm;
  const due: Fire[] = [];
  const jump = jumpTooOld(input, LIMITS.catchupSkipCountCap);
  let skipped = jump.skipped;
  let cursor = jump.cursor;
  let scanned = 0;
  const plan = (more: boolean, nextFire: Fire | null): CatchupPlan => ({ due, skippedTooOld: skipped, ...(jump.capped ? { skippedCapped: true } : {}), cursor, more, nextFire });
  for (const fire of fires(input.spec, input.scheduleId, cursor)) {
    if (fire.actual > input.now) return plan(false, fire);
    if (due.length >= batch || scanned >= scanLimit) return plan(true, null);
    if (input.now > startDeadline(fire.actual, input.windowSeconds)) skipped++;
    else due.push(fire);
    cursor = fire.nominal;
    scanned++;
  }
  return plan(false, null);
}

/** What a resume without catch-up passes over: how many fires it does not run, and the new cursor. */
export interface MissedFires {
  /** Fires whose actual time came while paused, counted up to the limit asked for. */
  missed: number;
  /** New value for lastProcessed. */
  cursor: number;
}

/**
 * The last fire with a nominal time in (after, now] that can still be waiting for its jitter, or
 * an earlier one that is not (either way the caller checks its actual time), or null.
 */
function lastFireBy(spec: CompiledSpec, scheduleId: string, after: number, now: number): Fire | null {
  // Jitter is less than jitterMs, so only a nominal time after now - jitterMs can still be waiting.
  const floor = Math.max(after, now - spec.jitterMs);
  // Widen a window back from now until it holds a fire, then walk it: an every-second spec with a
  // week of jitter walks a handful of fires, not a week of them.
  for (let width = 1000; ; width *= 2) {
    const from = Math.max(floor, now - width);
    const n = next(spec, from);
    if (n !== null && n <= now) {
      let last: Fire | null = null;
      for (const f of fires(spec, scheduleId, from)) {
        if (f.nominal > now) break;
        last = f;
      }
      return last;
    }
    if (from === floor) return null;
  }
}

/**
 * The cursor past every fire in (lastProcessed, now] whose actual time has come, for planning as
 * of now (a resume without catch-up) and for listing what is still to come (describe). A jittered
 * fire whose nominal time has passed but whose actual time has not is not due yet and stays ahead
 * of it; only the last nominal time before now can be one (jitter never reaches the next nominal time).
 */
export function cursorAt(spec: CompiledSpec, scheduleId: string, lastProcessed: number, now: number): number {
  if (now <= lastProcessed) return lastProcessed;
  const last = waitingOnJitter(spec, scheduleId, lastProcessed, now);
  // Just before its nominal time: every earlier fire is passed over, this one is still ahead.
  if (last !== null) return Math.max(lastProcessed, last.nominal - 1);
  return now;
}

/**
 * The fire after `lastProcessed` whose nominal time has come by `now` and whose actual (jittered)
 * time has not, or null. There is at most one: jitter never reaches the next nominal time.
 */
export function waitingOnJitter(spec: CompiledSpec, scheduleId: string, lastProcessed: number, now: number): Fire | null {
  if (spec.jitterMs === 0 || now <= lastProcessed) return null;
  const last = lastFireBy(spec, scheduleId, lastProcessed, now);
  return last !== null && last.actual > now ? last : null;
}

/**
 * Passes over the fires that came due while a schedule was paused (a resume without catch-up runs
 * none of them, and keeps one still waiting for its jitter): the new cursor, and how many fires it
 * passed over. `limit` bounds the counting, not the skipping.
 */
export function passOverMissed(spec: CompiledSpec, scheduleId: string, lastProcessed: number, now: number, limit: number): MissedFires {
  const cursor = cursorAt(spec, scheduleId, lastProcessed, now);
  const missed = between(spec, lastProcessed, cursor, limit).length;
  return { missed, cursor: missed === 0 ? lastProcessed : cursor };
}

/**
 * Nominal times at or before this instant are too old for the catch-up window at `now` whatever
 * their jitter: planning passes over them without looking at each. A fire's jitter is less than
 * jitterMs, and also less than the gap to the following nominal time, so every fire before the
 * last one at or before the window start is too old too (its actual time comes before its
 * successor's nominal time). Allowing for the configured jitter alone left an every-second cron
 * with a day of jitter 86,400 fires to walk one by one, on every describe and for ~9 alarms.
 */
export function tooOldThrough(spec: CompiledSpec, now: number, windowSeconds: number | undefined): number {
  const windowStart = now - clampCatchupWindow(windowSeconds) * 1000;
  const byJitter = windowStart - spec.jitterMs - 1;
  // Without jitter that is already just before the window start; with it, find the last fire at
  // or before the window start by bisection (log2 of the jitter in `next` calls, ~27 for a day).
  const firesBy = (t: number): boolean => {
    const n = next(spec, t);
    return n !== null && n <= windowStart;
  };
  if (spec.jitterMs === 0 || !firesBy(byJitter)) return byJitter;
  // The bisection only asks whether a fire lies at or before the window start: its searches stop
  // there (end_at), instead of looking for the fire after it, which can be decades of excluded
  // candidates (or 400 years, when there is none) on each of the ~half of its steps past that
  // fire: a week of jitter made every describe of such a schedule take seconds. repeat_count's
  // memo was set by the call above, on the spec itself.
  const bounded: CompiledSpec = { ...spec, endAt: spec.endAt === null ? windowStart : Math.min(spec.endAt, windowStart) };
  const boundedFiresBy = (t: number): boolean => next(bounded, t) !== null;
  // A fire lies in (lo, windowStart], none in (hi, windowStart]: when they meet, hi is that last fire.
  let lo = byJitter;
  let hi = windowStart;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (boundedFiresBy(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** What {@link pendingFires} reads of a schedule. */
export interface PendingInput {
  spec: CompiledSpec;
  scheduleId: string;
  status: string;
  /** Nominal time of the last fire already handled (the state's lastProcessed). */
  lastProcessed: number;
  now: number;
  windowSeconds?: number;
  /** Scheduled runs repeat_count still allows (core/schedule/repeat-runs.ts `runsLeft`): no more fires than that are listed. */
  runsLeft?: number;
}

/**
 * The next `count` fires a schedule will act on, as its planner sees them at `now`: an active
 * schedule's start at its last processed fire, so a fire already due (catch-up still pending, a
 * jittered fire whose actual time is ahead, an alarm not yet delivered) comes first, and those too
 * old for the catch-up window (which the plan skips) do not appear; a paused schedule's start from
 * now, as a resume plans (a fire still waiting for its jitter stays); other statuses have none.
 * Describe's `next_fire_times` and the D1 index's `next_fire_at` both come from here, so a listed
 * next fire is describe's.
 */
export function pendingFires(input: PendingInput, wanted: number): Fire[] {
  const { spec, scheduleId, lastProcessed, now, windowSeconds } = input;
  const count = Math.min(wanted, input.runsLeft ?? Number.POSITIVE_INFINITY);
  if (count <= 0) return [];
  if (input.status === "paused") return upcoming(spec, scheduleId, cursorAt(spec, scheduleId, lastProcessed, now), count);
  if (input.status !== "active") return [];
  const out: Fire[] = [];
  for (const f of fires(spec, scheduleId, Math.max(lastProcessed, tooOldThrough(spec, now, windowSeconds)))) {
    if (now > startDeadline(f.actual, windowSeconds)) continue;
    out.push(f);
    if (out.length >= count) break;
  }
  return out;
}
