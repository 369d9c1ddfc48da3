import type { Outcome, ScheduleState } from "./state.ts";
import { dropDelayed } from "./respec-delayed.ts";
import { noRetries } from "./retry-queue.ts";

/**
 * The schedule gone `dead` after a failed run (`on_failure: dead`): it fires no more, so its
 * waiting retries and delayed fires go, and every fire waiting in the buffer (its own, a trigger's,
 * a backfill's) is dropped. A dropped fire never runs: it is skipped by overlap like any fire
 * dropped while it waited, counted in `skipped_overlap` with its own action, and a backfill's next
 * batch follows what the dropped fire followed (persistTransition's relinkBackfills), not the
 * dropped fire itself.
 */
export function goDead(s: ScheduleState, why: string): { state: ScheduleState; outcomes: Outcome[] } {
  const dropped = s.buffer;
  const counters = { ...s.counters, skipped_overlap: s.counters.skipped_overlap + dropped.length };
  return {
    state: { ...dropDelayed(noRetries(s)), status: "dead", note: `dead after ${why}`, buffer: [], counters, currentRetry: 0 },
    outcomes: dropped.map((fire) => ({ kind: "skipped_overlap", fire })),
  };
}
