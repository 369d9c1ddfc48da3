import { nextFire, withoutRepeatBound, type Fire } from "../fire-times.ts";
import { hash32 } from "../jitter.ts";
import { runIdFor, type MachineContext, type ScheduleState } from "./state.ts";
import { runsLeft } from "./repeat-runs.ts";

/**
 * Prepared starts. A schedule creates its next run ahead of the fire time, with the run's first
 * workflow task held by the task queue until the fire's actual time. The queue then releases any
 * number of runs with one timer, so a thousand schedules due in the same second start on time
 * however late their own alarms are delivered (workerd runs one alarm after another; Cloudflare
 * promises alarms at least once, not to the millisecond).
 *
 * Only a fire whose start cannot depend on anything that happens before it is prepared: the
 * schedule is active, nothing is buffered, no retry or backfill is pending, and either no run is
 * open or the overlap policy is ALLOW_ALL. Every change that could alter that (pause, update,
 * delete, trigger, backfill, a failure that pauses it) withdraws the prepared run first; once
 * its fire time has passed the run has begun and is kept (the schedule adopts it as started).
 */
export interface PreparedRun {
  runId: string;
  nominal: number;
  actual: number;
}

export type PrepareDecision = { kind: "prepare"; run: PreparedRun } | { kind: "wait"; at: number } | { kind: "none" };

/**
 * Where in the lead time this schedule prepares: somewhere in [actual − ahead, actual − ahead / 2],
 * spread by schedule id so a thousand schedules due together do not all prepare in the same instant.
 */
export function prepareAt(scheduleId: string, actual: number, aheadMs: number): number {
  const spread = Math.floor(aheadMs / 2);
  return actual - aheadMs + (spread > 0 ? hash32(`${scheduleId}|prepare`) % spread : 0);
}

/**
 * When the schedule wakes to record a prepared fire: 1-5 s after it, spread by schedule id. The
 * run does not wait for this (the queue released it at the fire time); keeping a thousand
 * schedules' bookkeeping out of the fire's second leaves that second to the runs themselves.
 */
export function settleAt(scheduleId: string, actual: number): number {
  return actual + 1_000 + (hash32(`${scheduleId}|settle`) % 4_000);
}

/** Whether to prepare the next fire now, later (when), or not at all. */
export function planPrepare(ctx: MachineContext, s: ScheduleState, aheadMs: number, backfillPending: boolean): PrepareDecision {
  if (aheadMs <= 0 || s.status !== "active" || s.prepared || backfillPending) return { kind: "none" };
  // A fire delayed over a spec change starts first (respec-delayed.ts), and may decide this one's overlap.
  if (s.buffer.length > 0 || s.retry !== null || (s.delayed?.length ?? 0) > 0 || (s.running.length > 0 && ctx.policy.overlap !== "ALLOW_ALL")) return { kind: "none" };
  // repeat_count reached: no fire left to start.
  if (runsLeft(ctx.spec, s) === 0) return { kind: "none" };
  const f: Fire | null = nextFire(withoutRepeatBound(ctx.spec), ctx.scheduleId, s.lastProcessed);
  if (f === null || f.actual <= ctx.now) return { kind: "none" };
  const at = prepareAt(ctx.scheduleId, f.actual, aheadMs);
  if (ctx.now < at) return { kind: "wait", at };
  return { kind: "prepare", run: { runId: runIdFor(ctx.scheduleId, { ...f, kind: "scheduled" }), nominal: f.nominal, actual: f.actual } };
}

/**
 * After a transition: a prepared run the transition started is an ordinary running run now (no
 * second start call); one whose fire was handled without starting it must be withdrawn.
 */
export function settlePrepared(s: ScheduleState, startedRunIds: readonly string[]): { state: ScheduleState; withdraw: string | null } {
  const p = s.prepared;
  if (!p) return { state: s, withdraw: null };
  if (startedRunIds.includes(p.runId)) return { state: { ...s, prepared: null }, withdraw: null };
  if (p.nominal <= s.lastProcessed || s.status !== "active") return { state: { ...s, prepared: null }, withdraw: p.runId };
  return { state: s, withdraw: null };
}
