import type { planCatchup } from "../catchup.ts";
import { between, next, withoutRepeatBound } from "../fire-times.ts";
import { LIMITS } from "../limits.ts";
import type { OverlapPolicy } from "../overlap.ts";
import type { CompiledSpec } from "../spec.ts";
import type { PendingFire, ScheduleState } from "./state.ts";
import type { PendingRetry } from "./retry-queue.ts";
import { overlapDecision } from "./overlap-decision.ts";

// repeat_count: the most scheduled runs a schedule starts (DESIGN "Specs": max runs), counted in
// the state since the spec's origin. The machine (machine.ts) plans no more fires than are left.

/**
 * The scheduled runs counted toward repeat_count. A state written before the count was kept
 * counted every fire it handled (repeat_count then limited fire times): those fires since the
 * origin stand in for it, so such a schedule stops where it would have; those still waiting in
 * the buffer are not runs yet (each counts when it starts, and runsLeft counts it as waiting).
 * Without a repeat_count such a state had nothing to stop; its count starts from the runs it started.
 */
export function repeatRuns(spec: CompiledSpec, s: ScheduleState): number {
  if (s.repeatRuns !== undefined) return s.repeatRuns;
  const limit = spec.spec.repeat_count;
  // Without a repeat_count nothing was limited, and current_repeat showed every fire started:
  // keep showing that (triggers and backfills included) rather than restart it at 0.
  if (limit === 0) return s.counters.fired;
  const handled = between(withoutRepeatBound(spec), spec.origin, s.lastProcessed, limit).length;
  const waiting = s.buffer.filter((f) => f.kind === "scheduled" && f.nominal > spec.origin && f.nominal <= s.lastProcessed).length;
  return Math.max(0, handled - waiting);
}

/** The state with its repeat_count runs written down (derived once for a state from before they were kept). */
export function withRepeatRuns(spec: CompiledSpec, s: ScheduleState): ScheduleState {
  return s.repeatRuns !== undefined ? s : { ...s, repeatRuns: repeatRuns(spec, s) };
}

/**
 * How many more scheduled fires may start: repeat_count minus the runs counted and the scheduled
 * fires waiting in the buffer (they start later); Infinity without a repeat_count.
 */
export function runsLeft(spec: CompiledSpec, s: ScheduleState): number {
  return Math.max(0, unclaimedRuns(spec, s));
}

/** {@link runsLeft} before it stops at 0: below it when a plan started or buffered more scheduled fires than repeat_count allows. */
export function unclaimedRuns(spec: CompiledSpec, s: ScheduleState): number {
  const limit = spec.spec.repeat_count;
  if (limit === 0) return Number.POSITIVE_INFINITY;
  const waiting = s.buffer.filter(counts).length;
  return limit - repeatRuns(spec, s) - waiting;
}

/**
 * Whether the planner goes on deciding scheduled fires at their time: while runs are left, and
 * while the last ones wait in the buffer if a new fire would take a waiting one's place
 * (CANCEL_OTHER and TERMINATE_OTHER keep only the newest fire: the newest then runs, as Temporal's
 * buffer does, and no further run is used). Otherwise the fires past the last run are not planned
 * (none could run) until a waiting one has started or been dropped.
 */
export function plansFires(spec: CompiledSpec, s: ScheduleState, policy: OverlapPolicy): boolean {
  if (runsLeft(spec, s) > 0) return true;
  const unstarted = spec.spec.repeat_count - repeatRuns(spec, s);
  if (unstarted <= 0) return false;
  const probe: PendingFire = { nominal: Number.MAX_SAFE_INTEGER, actual: Number.MAX_SAFE_INTEGER, kind: "scheduled" };
  const d = overlapDecision(policy, s, [probe]);
  const kept = [...d.start, ...d.buffer];
  return kept.includes(probe) && kept.filter(counts).length <= unstarted;
}

/**
 * How many of the next fires the schedule acts on, for describe's `next_fire_times` and the
 * index's next fire: the runs left, or one while the last runs wait in the buffer and a new fire
 * would take a waiting one's place (plansFires): it is decided at its time, though only one of
 * those fires runs.
 */
export function firesActedOn(spec: CompiledSpec, s: ScheduleState, policy: OverlapPolicy): number {
  const left = runsLeft(spec, s);
  return left === 0 && plansFires(spec, s, policy) ? 1 : left;
}

/** A scheduled fire of the current spec: what repeat_count counts. */
export const counts = (f: PendingFire): boolean => f.kind === "scheduled" && !f.prior;

/**
 * The state a new spec plans from `now` with: its repeat_count counted afresh. Fires of the old
 * spec still waiting in the buffer (or running) are kept, marked so they use none of the new count,
 * and so is `delayed`, the old spec's fire waiting on its jitter (respec-delayed.ts `delayedAtChange`).
 * Given `old`, the spec before the change, its fires and retries keep its zone, and a run open or a
 * retry waiting keeps the `upcoming` its payload had: a retry's payload is the run's it retries.
 */
export function replanned(s: ScheduleState, now: number, delayed: PendingFire | null = null, old?: CompiledSpec): ScheduleState {
  const ofOld = (f: PendingFire): PendingFire => {
    if (f.kind !== "scheduled" && f.kind !== "retry") return f;
    const marked: PendingFire = f.kind === "scheduled" ? { ...f, prior: true } : f;
    return old === undefined || f.timezone !== undefined ? marked : { ...marked, timezone: old.spec.timezone };
  };
  const withUpcoming = <F extends PendingFire>(f: F): F => {
    if (old === undefined || f.upcoming !== undefined || (f.kind !== "scheduled" && f.kind !== "retry")) return f;
    return { ...f, upcoming: isLastRun(old, s, f) ? null : next(old, f.nominal) };
  };
  const retries = (rs: readonly PendingRetry[]) => rs.map((r) => withUpcoming({ ...r, ...ofOld(r) }));
  return delayFire(
    {
      ...s,
      lastProcessed: now,
      repeatRuns: 0,
      buffer: s.buffer.map(ofOld),
      running: s.running.map((r) => ({ ...r, fire: withUpcoming(ofOld(r.fire)) })),
      retry: s.retry && retries([s.retry])[0]!,
      ...(s.retries ? { retries: retries(s.retries) } : {}),
    },
    delayed,
  );
}

/**
 * Whether no scheduled run follows `f`, started in state `s` (repeat_count is reached with it, or
 * was before a trigger, or the schedule is dead: it fires no more): its payload's `upcoming` is
 * null then. A retry of the last run is the last too; a retry of an earlier fire is not.
 */
export function isLastRun(spec: CompiledSpec, s: ScheduleState, f: PendingFire): boolean {
  if (f.kind === "trigger") return runsLeft(spec, s) === 0 || s.status === "dead";
  if (f.kind !== "scheduled" && f.kind !== "retry") return false;
  return runsLeft(spec, s) === 0 && f.nominal >= (s.lastNominal ?? f.nominal) && !s.buffer.some((b) => b.kind === "scheduled");
}

/**
 * A plan cut to the runs repeat_count still allows: no more due fires than `left` (the cursor
 * stops after the last one kept, and the rest are planned again once those have started or been
 * skipped, since a skipped fire uses no run); none at all, and nothing to wait for, at 0.
 */
export function limitToRuns(plan: ReturnType<typeof planCatchup>, left: number, lastProcessed: number): ReturnType<typeof planCatchup> {
  if (left === 0) return { due: [], skippedTooOld: 0, cursor: lastProcessed, more: false, nextFire: null };
  if (plan.due.length <= left) return plan;
  const due = plan.due.slice(0, left);
  return { ...plan, due, cursor: due.at(-1)!.nominal, more: true, nextFire: null };
}

/** The state with `fire` kept as delayed over a spec change (respec-delayed.ts); at most LIMITS.bufferCap are kept, past that a change drops it. */
export function delayFire(s: ScheduleState, fire: PendingFire | null): ScheduleState {
  const delayed = s.delayed ?? [];
  if (fire === null || delayed.length >= LIMITS.bufferCap || delayed.some((f) => f.nominal === fire.nominal)) return s;
  return { ...s, delayed: [...delayed, fire].sort((a, b) => a.nominal - b.nominal) };
}

