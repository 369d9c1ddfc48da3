import { scheduleRetryDelaySeconds } from "../backoff.ts";
import { planCatchup } from "../catchup.ts";
import { withoutRepeatBound } from "../fire-times.ts";
import { LIMITS } from "../limits.ts";
import type { CompiledSpec } from "../spec.ts";
import { chainBackfills } from "./backfill-chain.ts";
import { goDead } from "./dead.ts";
import { overlapDecision, withHeldFires } from "./overlap-decision.ts";
import type { PreparedRun } from "./prepare.ts";
import { dropDelayed, takeDelayed } from "./respec-delayed.ts";
import { addRetry, dueRetries, judgeDueRetries, retryGoesFirst, type PendingRetry } from "./retry-queue.ts";
import { counts, limitToRuns, plansFires, repeatRuns, runsLeft, unclaimedRuns, withRepeatRuns } from "./repeat-runs.ts";
import { runIdFor, type MachineContext, type Outcome, type PendingFire, type RunningRun, type ScheduleState, type Transition } from "./state.ts";

// The schedule's transitions (tick, runClosed, startExtra), pure functions of the state (state.ts),
// which is re-exported here: the objects and tests read the schedule core from this module.
export { initialState, runIdFor, type MachineContext, type Outcome, type PendingFire, type RunningRun, type ScheduleState, type Transition } from "./state.ts";

/** Applies an overlap decision to the state; returns the transition pieces. */
function applyOverlap(ctx: MachineContext, s: ScheduleState, due: PendingFire[]): Omit<Transition, "nextAlarm"> {
  // A schedule that is not active starts none of its own fires: those waiting keep waiting, out of
  // the decision, until a resume; a trigger or backfill (which run also while paused) is decided alone.
  const held = s.status === "active" ? [] : s.buffer.filter((f) => f.kind === "scheduled");
  const deciding = held.length === 0 ? s : { ...s, buffer: s.buffer.filter((f) => f.kind !== "scheduled") };
  const { decision: decided, was } = chainBackfills(deciding.buffer, due, overlapDecision(ctx.policy.overlap, deciding, due));
  const d = withHeldFires(ctx.policy.overlap, held, due, decided);
  const outcomes: Outcome[] = [];
  // A run id already open (a trigger repeated with the same request_id) is not started twice.
  const unique = d.start.map((fire) => ({ runId: runIdFor(ctx.scheduleId, fire), fire })).filter((x, i, all) => !s.running.some((r) => r.runId === x.runId) && all.findIndex((y) => y.runId === x.runId) === i);
  // Each start's last_timestamp: its own (retry, backfill), else the last scheduled fire started before it.
  let prev = s.lastNominal;
  const started = unique.map((x) => {
    const last = x.fire.last !== undefined ? x.fire.last : prev;
    if (x.fire.kind === "scheduled") prev = Math.max(prev ?? x.fire.nominal, x.fire.nominal);
    return { ...x, last };
  });
  const open = s.running.filter((r) => !d.terminate.includes(r.runId));
  // ALLOW_ALL is bounded by the open runs one schedule tracks: a fire past that is skipped by overlap.
  const start = started.slice(0, Math.max(0, LIMITS.runningCap - open.length));
  const skipped = [...d.skipped, ...started.slice(start.length).map((x) => x.fire)];
  // A running run keeps no input override (its start, the outbox entry, carries it, and a trigger's
  // run is never retried) and no overlap policy (only fires still to start have one).
  // A run already asked to cancel is not asked again by each later decision while a fire waits for
  // its slot (every request would add an action and a delivery).
  const cancel = d.cancel.filter((id) => !s.running.some((r) => r.runId === id && r.cancelRequested));
  const asked = (r: RunningRun): RunningRun => (cancel.includes(r.runId) ? { ...r, cancelRequested: true } : r);
  const running = open.map(asked).concat(start.map(({ fire: { input: _input, overlap: _overlap, ...fire }, ...run }) => ({ ...run, fire })));
  for (const f of skipped) outcomes.push({ kind: "skipped_overlap", fire: f });
  for (const f of d.buffer) if (!s.buffer.includes(was.get(f) ?? f)) outcomes.push({ kind: "buffered", fire: f });
  for (const st of start) outcomes.push({ kind: "started", fire: st.fire, runId: st.runId });
  for (const id of cancel) outcomes.push({ kind: "cancel_requested", runId: id });
  for (const id of d.terminate) outcomes.push({ kind: "terminated", runId: id });
  // Only scheduled fires move it: a retry re-runs an earlier one, a backfill a past range (or a future one).
  const lastStarted = start.filter((x) => x.fire.kind === "scheduled").map((x) => x.fire.nominal);
  // A run terminated here is no longer the schedule's (its close notice is ignored), so its retry
  // chain ends now, as runClosed ends one for a terminated run: unless another fire's retry waits or runs.
  const chainEnds = s.running.some((r) => d.terminate.includes(r.runId) && inRetryChain(r.fire)) && noRetryPending(s.retry, running);
  return {
    state: {
      ...s,
      ...(chainEnds ? { currentRetry: 0 } : {}),
      running,
      buffer: d.buffer,
      repeatRuns: repeatRuns(ctx.spec, s) + start.filter((x) => counts(x.fire)).length,
      lastNominal: lastStarted.length > 0 ? Math.max(s.lastNominal ?? 0, ...lastStarted) : s.lastNominal,
      counters: { ...s.counters, fired: s.counters.fired + start.length, skipped_overlap: s.counters.skipped_overlap + skipped.length },
    },
    start,
    cancel,
    terminate: d.terminate,
    outcomes,
  };
}

/**
 * A prepared run that has begun before the schedule recorded it (its fire time has come, so the
 * task queue released it and it can no longer be withdrawn; or it already closed): the schedule
 * counts it as its own fire, started, and no longer prepared (its close then frees the slot as for
 * any run).
 */
export function adoptPrepared(state: ScheduleState, p: PreparedRun, prior = false, priorZone?: string): ScheduleState {
  if (state.running.some((r) => r.runId === p.runId)) return state.prepared?.runId === p.runId ? { ...state, prepared: null } : state;
  // A fire delayed over a spec change is this fire: it has begun, so it is not started again.
  const s = dropDelayed(state, p.nominal);
  // A fire of the spec before the last spec change (it began before the change, which learned so
  // only later) is kept as such a running fire is by the change (see replanned): it uses none of
  // the new spec's repeat_count and does not move the new plan. Its retries keep that spec's zone
  // (`priorZone`), as a fire delayed over the change does.
  if (prior) {
    const fire = { nominal: p.nominal, actual: p.actual, kind: "scheduled" as const, prior: true as const, ...(priorZone ? { timezone: priorZone } : {}) };
    const running = [...s.running, { runId: p.runId, fire, last: s.lastNominal, lastNominalBefore: s.lastNominal }];
    const prepared = s.prepared?.runId === p.runId ? null : (s.prepared ?? null);
    return { ...s, prepared, running, lastNominal: Math.max(s.lastNominal ?? 0, p.nominal), counters: { ...s.counters, fired: s.counters.fired + 1 } };
  }
  return {
    ...s,
    // A state without the count derives it from lastProcessed, which moves past this fire below.
    ...(s.repeatRuns !== undefined ? { repeatRuns: s.repeatRuns + 1 } : {}),
    prepared: s.prepared?.runId === p.runId ? null : (s.prepared ?? null),
    running: [...s.running, { runId: p.runId, fire: { nominal: p.nominal, actual: p.actual, kind: "scheduled" }, last: s.lastNominal, lastNominalBefore: s.lastNominal }],
    lastNominal: Math.max(s.lastNominal ?? 0, p.nominal),
    lastProcessed: Math.max(s.lastProcessed, p.nominal),
    counters: { ...s.counters, fired: s.counters.fired + 1 },
  };
}

/**
 * The alarm: adopt the prepared run if its time has come, plan due fires with the catch-up window
 * (bounded per call), add a due retry (one first found due past the window is skipped, as a fire
 * is: judgeDueRetries), apply the overlap policy, and say when to wake next. Paused,
 * completed and dead schedules start nothing.
 */
export function tick(context: MachineContext, prior: ScheduleState): Transition {
  if (prior.status !== "active") return { state: prior, start: [], cancel: [], terminate: [], outcomes: [], nextAlarm: null };
  const ctx = { ...context, spec: withoutRepeatBound(context.spec) };
  const before = withRepeatRuns(ctx.spec, prior);
  // A prepared run whose fire time has come has begun: the task queue released it at that time,
  // or will when the platform is back from an outage. It is that fire's one start. If it became
  // available more than the catch-up window late, its run says so when a worker first leases it
  // (SKIPPED_CATCHUP), and the fire moves from fired to skipped.
  const p = before.prepared;
  const begun = p && p.actual <= ctx.now ? p : null;
  const adopted = begun && !before.running.some((r) => r.runId === begun.runId) ? begun : null;
  const adoptedState = begun ? adoptPrepared(before, begun) : before;
  // Fires delayed over a spec change whose actual time has come start with this plan's (respec-delayed.ts).
  const delayed = takeDelayed(adoptedState, ctx.now, ctx.policy.catchup_window_seconds);
  // Failed fires' retries whose time came more than the catch-up window ago (the alarm ran late) are skipped too.
  const judged = judgeDueRetries(delayed.state, ctx.now, ctx.policy.catchup_window_seconds);
  const late = delayed.late + judged.late.length;
  const s = late > 0 ? { ...judged.state, counters: { ...judged.state.counters, skipped_catchup: judged.state.counters.skipped_catchup + late } } : judged.state;
  const left = runsLeft(ctx.spec, s);
  const full = planCatchup({ spec: ctx.spec, scheduleId: ctx.scheduleId, lastProcessed: s.lastProcessed, now: ctx.now, windowSeconds: ctx.policy.catchup_window_seconds });
  // The overlap policy decides what the due fires start or buffer (SKIP, CANCEL_OTHER and
  // TERMINATE_OTHER use one run of a whole batch, the newest for the last two); only when that is
  // more scheduled fires than runs are left is the plan cut to them (as Temporal takes its
  // remaining actions after the policy). With the last runs waiting in the buffer, a fire is still
  // decided at its time when the policy puts it in place of a waiting one (plansFires).
  let plan = plansFires(ctx.spec, s, ctx.policy.overlap) ? full : limitToRuns(full, 0, s.lastProcessed);
  let t = planned(ctx, s, plan, delayed.due);
  if (plan.due.length > left && unclaimedRuns(ctx.spec, t.state) < 0) t = planned(ctx, s, (plan = limitToRuns(full, left, s.lastProcessed)), delayed.due);
  if (plan.skippedTooOld > 0) t.outcomes.unshift({ kind: "skipped_catchup", count: plan.skippedTooOld, ...(plan.skippedCapped ? { atLeast: true } : {}) });
  if (delayed.late > 0) t.outcomes.unshift({ kind: "skipped_catchup", count: delayed.late });
  t.outcomes.unshift(...lateRetries(ctx, judged.late));
  if (adopted) t.outcomes.unshift({ kind: "started", fire: { nominal: adopted.nominal, actual: adopted.actual, kind: "scheduled" }, runId: adopted.runId });
  // A retry held for a free slot wakes nobody: the run's close notice ticks again.
  const retryWake = t.state.retry && t.state.retry.at > ctx.now ? t.state.retry.at : null;
  // With repeat_count reached (counting what this tick started, and waiting fires a new one would not replace), no fire is left to wake for.
  const fireWake = plansFires(ctx.spec, t.state, ctx.policy.overlap) ? [plan.more ? ctx.now : null, plan.nextFire?.actual ?? null] : [];
  const wake = [...fireWake, retryWake, delayed.wakeAt].filter((x): x is number => x !== null);
  const nextAlarm = wake.length > 0 ? Math.min(...wake) : null;
  const finished = nextAlarm === null && t.state.running.length === 0 && t.state.buffer.length === 0;
  return { ...t, state: finished ? { ...t.state, status: "completed" } : t.state, nextAlarm };
}

/** The transition pieces of one catch-up plan: a due retry, delayed fires whose time came, and the plan's due fires through the overlap policy. */
function planned(ctx: MachineContext, s: ScheduleState, plan: ReturnType<typeof planCatchup>, delayed: readonly PendingFire[] = []): Omit<Transition, "nextAlarm"> {
  // A due retry takes a free slot (dueRetries). CANCEL_OTHER and TERMINATE_OTHER keep only the
  // newest fire, so beside a scheduled fire due now (a delayed one too) it waits (that fire starts;
  // the retry when its run has closed); otherwise it goes before the waiting fires (retryGoesFirst).
  const newestOnly = (ctx.policy.overlap === "CANCEL_OTHER" || ctx.policy.overlap === "TERMINATE_OTHER") && plan.due.length + delayed.length > 0;
  const retries = newestOnly ? { fires: [], state: s } : dueRetries(ctx, s);
  const first = retryGoesFirst(ctx, s);
  const waiting = first ? { ...retries.state, buffer: [...retries.fires, ...retries.state.buffer] } : retries.state;
  const due: PendingFire[] = first ? [] : [...retries.fires];
  const fires = [...delayed, ...plan.due.map((f): PendingFire => ({ nominal: f.nominal, actual: f.actual, kind: "scheduled" }))];
  // A batch of a longer catch-up is not the last: the next batch's newest fire supersedes all of
  // this one's, so none starts (only to be cancelled or terminated at once, and use a run).
  const superseded = newestOnly && plan.more ? fires : [];
  if (superseded.length === 0) due.push(...fires);
  const counters = { ...s.counters, skipped_catchup: s.counters.skipped_catchup + plan.skippedTooOld, skipped_overlap: s.counters.skipped_overlap + superseded.length };
  const t = applyOverlap(ctx, { ...waiting, lastProcessed: plan.cursor, counters }, due);
  t.outcomes.unshift(...superseded.map((fire) => ({ kind: "skipped_overlap" as const, fire })));
  return t;
}

/** Retries skipped by the catch-up window (judgeDueRetries): one skipped_catchup outcome each, naming the run it would have started. */
function lateRetries(ctx: MachineContext, late: readonly PendingRetry[]): Outcome[] {
  return late.map(({ at: _at, missable: _missable, ...fire }) => ({ kind: "skipped_catchup", fire, runId: runIdFor(ctx.scheduleId, fire) }));
}

/** Statuses that count as a failed run (cancel/terminate are our own doing or the user's). */
const FAILED = new Set(["failed", "timed_out"]);
/** Statuses after which a fire is not retried: its retry chain, and current_retry, end. */
const CHAIN_ENDS = new Set(["completed", "cancelled", "terminated"]);

/**
 * The close status of a prepared run whose first task became available to workers more than the
 * catch-up window after its fire (the platform was down at the fire time): it never ran, and the
 * fire counts as skipped by catch-up, not as fired (see src/objects/execution-prepared.ts).
 */
export const SKIPPED_CATCHUP = "skipped_catchup";

/** The prepared run was skipped before this schedule recorded its fire: the fire is handled, as skipped. */
export function skipPrepared(s: ScheduleState, p: PreparedRun): ScheduleState {
  return {
    ...s,
    prepared: s.prepared?.runId === p.runId ? null : (s.prepared ?? null),
    lastProcessed: Math.max(s.lastProcessed, p.nominal),
    counters: { ...s.counters, skipped_catchup: s.counters.skipped_catchup + 1 },
  };
}

/** Whether a run of `fire` is in a retry chain (`current_retry` counts it): a scheduled fire or its retry, not a trigger or backfill. */
const inRetryChain = (fire: { kind: string }): boolean => fire.kind === "scheduled" || fire.kind === "retry";

/** Whether no fire's retry waits (`retry`) or runs (among `running`): `current_retry` may then go back to 0. */
const noRetryPending = (retry: ScheduleState["retry"], running: ScheduleState["running"]): boolean => retry === null && !running.some((r) => r.fire.kind === "retry");

/**
 * A run closed: free its slot, apply retry_max with backoff or on_failure, then start what the
 * buffer holds. Unknown run ids (a close notice delivered twice) change nothing.
 */
export function runClosed(ctx: MachineContext, prior: ScheduleState, runId: string, status: string, failureMessage: string | null): Transition & { known: boolean } {
  const s = withRepeatRuns(ctx.spec, prior);
  const closed = s.running.find((r) => r.runId === runId);
  if (!closed) return { state: s, start: [], cancel: [], terminate: [], outcomes: [], nextAlarm: null, known: false };
  // Retries found due for the first time are judged by the catch-up window first, as the alarm does (a close delivered late, after an outage).
  const judged = s.status === "active" ? judgeDueRetries(s, ctx.now, ctx.policy.catchup_window_seconds) : { state: s, late: [] };
  const counters = { ...judged.state.counters, skipped_catchup: judged.state.counters.skipped_catchup + judged.late.length };
  let next: ScheduleState = { ...judged.state, counters, running: s.running.filter((r) => r.runId !== runId) };
  const outcomes: Outcome[] = lateRetries(ctx, judged.late);
  const retryable = inRetryChain(closed.fire);
  if (status === SKIPPED_CATCHUP) {
    // Counted as fired when the schedule adopted it; it never ran, so it is not the last fire that started either.
    next.counters = { ...next.counters, fired: Math.max(0, next.counters.fired - 1), skipped_catchup: next.counters.skipped_catchup + 1 };
    if (counts(closed.fire)) next.repeatRuns = Math.max(0, repeatRuns(ctx.spec, s) - 1);
    if (closed.lastNominalBefore !== undefined && next.lastNominal === closed.fire.nominal) next.lastNominal = closed.lastNominalBefore;
  } else if (FAILED.has(status)) {
    next.counters = { ...next.counters, failed: next.counters.failed + 1 };
    const retriesSoFar = closed.fire.kind === "retry" ? (closed.fire.retry ?? 1) : 0;
    // A dead schedule fires no more (its waiting retries went with it): a run still open then is not retried.
    if (retryable && retriesSoFar < ctx.policy.retry_max && next.status !== "dead") {
      const first = ctx.policy.retry_delay_seconds ?? defaultRetryDelay(ctx.spec);
      const at = ctx.now + scheduleRetryDelaySeconds(first, retriesSoFar + 1) * 1000;
      const fire: PendingFire = { nominal: closed.fire.nominal, actual: closed.fire.actual, kind: "retry", retry: retriesSoFar + 1, ...retryLast(closed), ...(closed.fire.timezone ? { timezone: closed.fire.timezone } : {}), ...(closed.fire.upcoming !== undefined ? { upcoming: closed.fire.upcoming } : {}) };
      // Missable until the schedule finds it due: an alarm more than the catch-up window late skips it (judgeDueRetries).
      next = { ...addRetry(next, { ...fire, at, missable: true }), currentRetry: retriesSoFar + 1 };
      outcomes.push({ kind: "retry_scheduled", fire, runId });
    } else {
      // This fire's retry chain ends; a trigger's or backfill's run is in none (another fire's retry may wait).
      if (retryable) next.currentRetry = 0;
      const why = `run ${runId} ${status}${failureMessage ? `: ${failureMessage}` : ""}`;
      // A completed or dead schedule stays so (a trigger or backfill of it failing): it cannot be paused or killed.
      const live = next.status === "active" || next.status === "paused";
      if (live && ctx.policy.on_failure === "pause") next = { ...next, status: "paused", note: `paused after ${why}`, ...(next.status === "paused" ? {} : { pausedAt: ctx.now }) };
      if (live && ctx.policy.on_failure === "dead") {
        const dead = goDead(next, why);
        next = dead.state;
        outcomes.push(...dead.outcomes);
      }
    }
  } else if (CHAIN_ENDS.has(status) && retryable && noRetryPending(next.retry, next.running)) {
    // No retry follows a run that completed, or was cancelled or terminated (by the overlap policy
    // or a user). Only when no other fire's retry is pending or running: that retry chain still counts.
    next.currentRetry = 0;
  }
  // A due retry goes before the fires waiting for this slot (retryGoesFirst), or a busy schedule would never run it.
  const retries = next.status === "active" && retryGoesFirst(ctx, next) ? dueRetries(ctx, next) : { fires: [], state: next };
  const t = applyOverlap(ctx, { ...retries.state, buffer: [...retries.fires, ...retries.state.buffer] }, []);
  // Not active: its own waiting fires stay (applyOverlap), a trigger or backfill waiting for this slot starts.
  if (next.status !== "active") return { ...t, outcomes: [...outcomes, ...t.outcomes], nextAlarm: null, known: true };
  const after = tick(ctx, t.state);
  return {
    state: after.state,
    start: [...t.start, ...after.start],
    cancel: [...t.cancel, ...after.cancel],
    terminate: [...t.terminate, ...after.terminate],
    outcomes: [...outcomes, ...t.outcomes, ...after.outcomes],
    nextAlarm: after.nextAlarm,
    known: true,
  };
}

/** A retry's last_timestamp: its original's; unknown for a run recorded before runs kept it (then the retry's start decides, as for any fire). */
function retryLast(closed: RunningRun): { last?: number | null } {
  if (closed.last !== undefined) return { last: closed.last };
  if (closed.lastNominalBefore !== undefined) return { last: closed.lastNominalBefore };
  return {};
}

/** Trigger-now and backfill fires go through the same overlap machinery (each under its `overlap`, if it has one). */
export function startExtra(ctx: MachineContext, s: ScheduleState, fires: PendingFire[]): Omit<Transition, "nextAlarm"> {
  return applyOverlap(ctx, withRepeatRuns(ctx.spec, s), fires);
}

/** retry_delay_seconds default: the (first) interval for interval specs, 60 s otherwise. */
export function defaultRetryDelay(spec: CompiledSpec): number {
  const first = spec.intervals[0];
  return first ? first[1] / 1000 : 60;
}
