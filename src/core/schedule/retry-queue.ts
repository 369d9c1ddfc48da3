import { MAX_RETRY_DELAY_SECONDS, type SchedulePolicy } from "@sundial/sdk/protocol";
import { startDeadline } from "../catchup.ts";
import { LIMITS } from "../limits.ts";
import type { OverlapPolicy } from "../overlap.ts";
import type { MachineContext, PendingFire, ScheduleState } from "./state.ts";

/**
 * A retry waiting for its time (`at`): a failed fire's next attempt. `missable`: the schedule has
 * not yet found it due (see {@link judgeDueRetries}), so an alarm that runs more than the catch-up
 * window after `at` (the platform was down) skips it; absent once found due in time (it then waits
 * for a free slot however long), and in retries stored before 2026-12-08 (never skipped, as then).
 */
export type PendingRetry = PendingFire & { at: number; missable?: true };

// A retry waits out its backoff while the schedule goes on firing, so a later fire can fail before
// an earlier fire's retry has run, and under ALLOW_ALL several open runs can fail in turn. Each
// failed fire keeps its own retry: `retry` is the one due first, `retries` the others, by time.
// (One slot dropped the earlier fire's retry: it never ran again, and on_failure never saw it.)

/**
 * Pipelit's `next_run_at`: when the schedule next starts a run on its own, the first fire it acts on
 * (jitter applied) or the first failed fire's retry, whichever comes first; null while it starts
 * nothing (paused, completed, dead). Without the retry, a Pipelit one-shot whose run failed showed
 * null (and a recurring one its next fire) while the retry was due sooner.
 */
export function nextRunAt(s: Pick<ScheduleState, "status" | "retry" | "retries">, firstFireActual: number | null | undefined, now: number, windowSeconds: number | undefined): number | null {
  if (s.status !== "active") return null;
  // Not a retry the next alarm skips, more than the catch-up window late (judgeDueRetries).
  const retryAt = waitingRetries(s).find((r) => !(r.missable && now > startDeadline(r.at, windowSeconds)))?.at ?? null;
  if (firstFireActual === null || firstFireActual === undefined) return retryAt;
  return retryAt === null ? firstFireActual : Math.min(firstFireActual, retryAt);
}

/** The state with `r` waiting too: the one due first in `retry`, the rest in `retries`. */
export function addRetry(s: ScheduleState, r: PendingRetry): ScheduleState {
  return withRetries(s, [...waitingRetries(s), r]);
}

/** Every waiting retry, the one due first first. */
function waitingRetries(s: Pick<ScheduleState, "retry" | "retries">): PendingRetry[] {
  return [...(s.retry ? [s.retry] : []), ...(s.retries ?? [])];
}

/** The state once `retry` has started (or was dropped): the next waiting one takes its place. */
export function nextRetry(s: ScheduleState): ScheduleState {
  return withRetries(s, s.retries ?? []);
}

/** The state without any waiting retry (a dead schedule fires nothing again). */
export function noRetries(s: ScheduleState): ScheduleState {
  return withRetries(s, []);
}

function withRetries(s: ScheduleState, all: readonly PendingRetry[]): ScheduleState {
  // Stable: two retries due at the same instant keep the order they failed in.
  const sorted = [...all].sort((a, b) => a.at - b.at).slice(0, LIMITS.retriesCap);
  const { retries: _old, ...rest } = s;
  const [first = null, ...others] = sorted;
  return others.length > 0 ? { ...rest, retry: first, retries: others } : { ...rest, retry: first };
}

/**
 * The due retries that take the free slots now (every one under ALLOW_ALL, up to the open runs
 * tracked; otherwise one, and only when no run is open), and the state without them. A due retry
 * waits for a free slot: the overlap policy must never drop it, or the failed fire would be
 * forgotten and on_failure never applied.
 */
export function dueRetries(ctx: MachineContext, s: ScheduleState): { fires: PendingFire[]; state: ScheduleState } {
  // Under ALLOW_ALL, a fire waiting while the open runs are cancelled for it (a CANCEL_OTHER
  // trigger or backfill) has every ALLOW_ALL start beside it dropped: the retry waits for its run.
  const cancelling = s.running.length > 0 && s.buffer.some((f) => keepsNewestOnly(f.overlap ?? ctx.policy.overlap));
  const slots = ctx.policy.overlap === "ALLOW_ALL" ? (cancelling ? 0 : LIMITS.runningCap - s.running.length) : s.running.length === 0 ? 1 : 0;
  const fires: PendingFire[] = [];
  let waiting = s;
  while (waiting.retry && waiting.retry.at <= ctx.now && fires.length < slots) {
    const { at: _at, missable: _missable, ...fire } = waiting.retry;
    fires.push(fire);
    waiting = nextRetry(waiting);
  }
  return { fires, state: waiting };
}

/**
 * A resume's share of the waiting retries. One that came due while the schedule was paused (after
 * `pausedAt`; in a state paused before that was kept, any one due) is treated as a fire due while
 * paused: without `catchUpWindowSeconds` (a resume without catch-up) it is not run (`missed`); with
 * it, it runs unless more than the catch-up window late (`late`, skipped by catch-up). Either way
 * its fire's retry chain ends there, as if its retry had not been planned: nothing ran to fail
 * again, so on_failure does not decide. One due before the pause was waiting for a run to close,
 * as a buffered fire held by the pause, and runs.
 */
export function resumeRetries(s: ScheduleState, now: number, catchUpWindowSeconds: number | null): { state: ScheduleState; missed: number; late: number } {
  const waiting = waitingRetries(s);
  const dueWhilePaused = (r: PendingRetry) => r.at <= now && r.at > (s.pausedAt ?? Number.NEGATIVE_INFINITY);
  const dropped = waiting.filter((r) => dueWhilePaused(r) && (catchUpWindowSeconds === null || now > startDeadline(r.at, catchUpWindowSeconds)));
  if (dropped.length === 0) return { state: s, missed: 0, late: 0 };
  const state = withoutDropped(s, waiting.filter((r) => !dropped.includes(r)));
  return catchUpWindowSeconds === null ? { state, missed: dropped.length, late: 0 } : { state, missed: 0, late: dropped.length };
}

/**
 * An active schedule acting (its alarm, a run's close) judges the waiting retries it finds due for
 * the first time (`missable`) as the catch-up window judges a fire: one more than the window late
 * (its alarm ran late: the platform was down) is skipped (`late`; counted in skipped_catchup by the
 * caller), and its fire's retry chain ends there, as at a resume: nothing ran again to fail, so
 * on_failure does not decide. One within the window is found in time: it runs now, or waits for a
 * free slot however long that takes (dueRetries), as a fire waiting in the buffer does; and so does
 * one that came due behind such a waiting retry.
 */
export function judgeDueRetries(s: ScheduleState, now: number, windowSeconds: number | undefined): { state: ScheduleState; late: PendingRetry[] } {
  const waiting = waitingRetries(s);
  const found = waiting.filter((r) => r.missable && r.at <= now);
  if (found.length === 0) return { state: s, late: [] };
  // One due after a retry already found due (waiting for a slot) waits in line behind it: no alarm
  // wakes for it meanwhile (the close of the run holding the slot does), so its wait is no lateness.
  const firstHeld = waiting.find((r) => !r.missable && r.at <= now);
  const late = found.filter((r) => now > startDeadline(r.at, windowSeconds) && !(firstHeld && firstHeld.at <= r.at));
  const kept = waiting.filter((r) => !late.includes(r)).map((r): PendingRetry => (found.includes(r) ? withoutMissable(r) : r));
  return { state: late.length === 0 ? withRetries(s, kept) : withoutDropped(s, kept), late };
}

function withoutMissable(r: PendingRetry): PendingRetry {
  const { missable: _missable, ...rest } = r;
  return rest;
}

/** The state with only the retries `kept` waiting, some dropped: current_retry counts a retry chain still under way (another fire's retry waiting or running), else 0. */
function withoutDropped(s: ScheduleState, kept: readonly PendingRetry[]): ScheduleState {
  const state = withRetries(s, kept);
  const chainGoes = state.retry !== null || state.running.some((r) => r.fire.kind === "retry");
  return chainGoes ? state : { ...state, currentRetry: 0 };
}

const keepsNewestOnly = (p: OverlapPolicy): boolean => p === "CANCEL_OTHER" || p === "TERMINATE_OTHER";

/**
 * Whether a due retry takes the free slot before the fires waiting in the buffer: yes, unless a
 * policy that keeps only the newest fire decides (the schedule's, or a waiting fire's own), which
 * would drop the retry for a later fire. A waiting fire of a busy schedule is always there when a
 * run closes: had it gone first, a BUFFER_ONE or BUFFER_ALL schedule whose runs outlast its
 * interval would never have run a retry.
 */
export function retryGoesFirst(ctx: MachineContext, s: ScheduleState): boolean {
  return !keepsNewestOnly(ctx.policy.overlap) && !s.buffer.some((f) => keepsNewestOnly(f.overlap ?? ctx.policy.overlap));
}

/**
 * A stored policy and state as the bound on `retry_delay_seconds` ([1 s, 100 years]) reads them. A
 * release before the bound stored longer delays, and retries planned from them past the last
 * JavaScript date: every describe and list of such a schedule answered 500. The delay is read at
 * the bound (describe shows what the schedule keeps, and a policy read back can be sent again), and
 * a waiting retry at the latest the bound allows: 10 times the longest delay after its fire (its
 * failure time is not kept, and is no earlier).
 */
export function withinRetryBound<T extends { policy: SchedulePolicy; state: ScheduleState }>(row: T): T {
  const delay = row.policy.retry_delay_seconds;
  const delayOk = delay === null || delay === undefined || (delay >= 1 && delay <= MAX_RETRY_DELAY_SECONDS);
  const latest = (r: PendingRetry) => r.actual + LIMITS.retryBackoffCapFactor * MAX_RETRY_DELAY_SECONDS * 1000;
  const late = (r: PendingRetry) => !Number.isFinite(r.at) || r.at > latest(r);
  const waiting = waitingRetries(row.state);
  if (delayOk && !waiting.some(late)) return row;
  const policy = delayOk ? row.policy : { ...row.policy, retry_delay_seconds: Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(1, Number.isFinite(delay) ? delay! : MAX_RETRY_DELAY_SECONDS)) };
  const state = waiting.some(late) ? withRetries(row.state, waiting.map((r) => (late(r) ? { ...r, at: latest(r) } : r))) : row.state;
  return { ...row, policy, state };
}
