import { fires, type Fire } from "./fire-times.ts";
import { LIMITS } from "./limits.ts";
import type { CompiledSpec } from "./spec.ts";

/** Clamps a catch-up window (seconds) to [10 s, 1 year]; undefined gives the 1-day default. */
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
  /** Fires whose nominal time is older than now - window: skipped and counted, never started. */
  skippedTooOld: number;
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
 * Decides which fires are due after an alarm or an outage. Every fire whose actual time is in
 * (lastProcessed, now] is due, except those more than the window late (actual time older than
 * `now - window`: a fire's jitter is a planned delay, not lateness), which are skipped and counted. Work per call is bounded (`batch` due, `scanLimit` examined) so a long
 * outage is worked off over several alarms instead of one storm.
 */
export function planCatchup(input: CatchupInput): CatchupPlan {
  const batch = input.batch ?? LIMITS.catchupBatch;
  const scanLimit = input.scanLimit ?? LIMITS.catchupScanPerAlarm;
  const due: Fire[] = [];
  let skipped = 0;
  let cursor = input.lastProcessed;
  let scanned = 0;
  for (const fire of fires(input.spec, input.scheduleId, input.lastProcessed)) {
    if (fire.actual > input.now) return { due, skippedTooOld: skipped, cursor, more: false, nextFire: fire };
    if (due.length >= batch || scanned >= scanLimit) return { due, skippedTooOld: skipped, cursor, more: true, nextFire: null };
    if (input.now > startDeadline(fire.actual, input.windowSeconds)) skipped++;
    else due.push(fire);
    cursor = fire.nominal;
    scanned++;
  }
  return { due, skippedTooOld: skipped, cursor, more: false, nextFire: null };
}
