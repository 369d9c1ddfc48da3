import { toRfc3339, type SchedulePayload } from "@sundial/sdk/protocol";
import { next } from "../fire-times.ts";
import type { CompiledSpec } from "../spec.ts";
import type { PendingFire } from "./state.ts";

/**
 * The schedule payload a run receives (DESIGN.md "Payloads"). `prev` is the nominal time of the
 * last fire started before this one; triggers and backfills report `now` as their actual time.
 * `lastRun`: no scheduled run follows this one (repeat_count is reached), so `upcoming` is null —
 * unless the fire carries its own (a retry of a run open at a spec change: its original's).
 */
export function schedulePayload(spec: CompiledSpec, s: { schedule_id: string; key: string; timezone: string }, f: PendingFire, prev: number | null, now: number, lastRun = false): SchedulePayload {
  const upcoming = f.upcoming !== undefined ? f.upcoming : lastRun ? null : next(spec, f.nominal);
  return {
    timestamp: toRfc3339(f.nominal),
    actual_timestamp: toRfc3339(actualStart(f, now)),
    last_timestamp: prev === null ? null : toRfc3339(prev),
    timezone: s.timezone,
    schedule_id: s.schedule_id,
    key: s.key,
    upcoming: upcoming === null ? null : toRfc3339(upcoming),
  };
}

/**
 * A fire's actual time when it starts at `now`, its payload's `actual_timestamp` and its recorded
 * action's `actual`: a scheduled fire's (and its retry's) is its planned one (nominal + jitter); a
 * trigger or backfill has no planned time, so it is when it starts (a trigger that waited for a
 * slot, when the slot freed; a backfilled fire, the alarm that started it).
 */
export function actualStart(f: Pick<PendingFire, "kind" | "actual">, now: number): number {
  return f.kind === "trigger" || f.kind === "backfill" ? now : f.actual;
}
