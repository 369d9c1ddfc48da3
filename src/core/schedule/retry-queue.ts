import { LIMITS } from "../limits.ts";
import type { PendingFire, ScheduleState } from "./machine.ts";

/** A retry waiting for its time (`at`): a failed fire's next attempt. */
export type PendingRetry = PendingFire & { at: number };

// A retry waits out its backoff while the schedule goes on firing, so a later fire can fail before
// an earlier fire's retry has run, and under ALLOW_ALL several open runs can fail in turn. Each
// failed fire keeps its own retry: `retry` is the one due first, `retries` the others, by time.
// (One slot dropped the earlier fire's retry: it never ran again, and on_failure never saw it.)

/** The state with `r` waiting too: the one due first in `retry`, the rest in `retries`. */
export function addRetry(s: ScheduleState, r: PendingRetry): ScheduleState {
  return withRetries(s, [...(s.retry ? [s.retry] : []), ...(s.retries ?? []), r]);
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
