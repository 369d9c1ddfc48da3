import { startDeadline, waitingOnJitter } from "../catchup.ts";
import type { Fire } from "../fire-times.ts";
import type { OverlapPolicy } from "../overlap.ts";
import type { CompiledSpec } from "../spec.ts";
import type { PendingFire, ScheduleState } from "./state.ts";
import { plansFires } from "./repeat-runs.ts";

// Delayed fires: a spec change re-plans from now (nominal time), and a fire of the old spec whose
// nominal time had come but whose jittered actual time had not is a fire of the old spec, merely
// delayed (DESIGN: actual = nominal + jitter). It is kept in the state (`delayed`) and still starts, once, at
// its actual time, as it would have without the change; with the schedule paused then it is passed
// over as any fire whose time came while paused (a resume before its time still runs it).

/**
 * The fire of the spec before a change that the change must hold (see above), or null: the
 * schedule is active or paused, has runs left (repeat_count), and a fire waits on its jitter.
 */
export function delayedAtChange(spec: CompiledSpec, scheduleId: string, s: ScheduleState, policy: OverlapPolicy, now: number): PendingFire | null {
  if (s.status !== "active" && s.status !== "paused") return null;
  if (!plansFires(spec, s, policy)) return null;
  const f = waitingOnJitter(spec, scheduleId, s.lastProcessed, now);
  // Its last_timestamp is the last fire started before the change, not one of the new spec's that starts before it.
  return f === null ? null : { nominal: f.nominal, actual: f.actual, kind: "scheduled", prior: true, timezone: spec.spec.timezone, last: s.lastNominal };
}

/** The state with only the delayed fires `keep` keeps (none left: no list, as states without delayed fires were written). */
function without(s: ScheduleState, keep: (f: PendingFire) => boolean): ScheduleState {
  const delayed = (s.delayed ?? []).filter(keep);
  const { delayed: _delayed, ...rest } = s;
  return delayed.length > 0 ? { ...rest, delayed } : rest;
}

/**
 * The alarm's share of the delayed fires: those whose actual time has come start now (`due`), unless
 * more than the catch-up window late (`late`: skipped and counted); the rest wait (`wakeAt`: the first of them).
 */
export function takeDelayed(s: ScheduleState, now: number, windowSeconds: number | undefined): { state: ScheduleState; due: PendingFire[]; late: number; wakeAt: number | null } {
  const delayed = s.delayed ?? [];
  if (delayed.length === 0) return { state: s, due: [], late: 0, wakeAt: null };
  const come = delayed.filter((f) => f.actual <= now);
  const due = come.filter((f) => now <= startDeadline(f.actual, windowSeconds));
  const waiting = delayed.filter((f) => f.actual > now);
  return { state: without(s, (f) => f.actual > now), due, late: come.length - due.length, wakeAt: waiting.length > 0 ? Math.min(...waiting.map((f) => f.actual)) : null };
}

/** A resume without catch-up passes over the delayed fires whose time came while paused (how many: `missed`). */
export function resumeDelayed(s: ScheduleState, now: number): { state: ScheduleState; missed: number } {
  const delayed = s.delayed ?? [];
  const missed = delayed.filter((f) => f.actual <= now).length;
  return { state: missed === 0 ? s : without(s, (f) => f.actual > now), missed };
}

/** The state without delayed fires (a dead schedule fires no more) or without the one a prepared run adopted as started is. */
export function dropDelayed(s: ScheduleState, nominal?: number): ScheduleState {
  if (!s.delayed) return s;
  return without(s, (f) => nominal !== undefined && f.nominal !== nominal);
}

/**
 * The next fires the schedule acts on with its delayed fires among them (describe, the index): the
 * first `count`. Not one the alarm will skip: while paused, one whose time has come (a resume
 * passes it over); while active, one more than the catch-up window late (takeDelayed).
 */
export function withDelayed(fires: readonly Fire[], s: ScheduleState, now: number, count: number, windowSeconds: number | undefined): Fire[] {
  const delayed = (s.delayed ?? []).filter((f) => (s.status === "active" ? now <= startDeadline(f.actual, windowSeconds) : f.actual > now));
  if (delayed.length === 0) return [...fires];
  return [...delayed.map((f) => ({ nominal: f.nominal, actual: f.actual })), ...fires].sort((a, b) => a.nominal - b.nominal).slice(0, count);
}
