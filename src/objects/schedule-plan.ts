import { next, nextFire, withoutRepeatBound } from "../core/fire-times.ts";
import { jitterOffset } from "../core/jitter.ts";
import { backfillRoom } from "../core/schedule/backfill-fires.ts";
import { plansFires } from "../core/schedule/repeat-runs.ts";
import { planPrepare, settleAt } from "../core/schedule/prepare.ts";
import { compileSpec, type CompiledSpec } from "../core/spec.ts";
import type { OverlapPolicy } from "../core/overlap.ts";
import type { BackfillRow, ScheduleRow } from "./schedule-store.ts";

// What a ScheduleObject derives from its row to decide: the compiled spec (kept while neither the
// spec nor its origin changes), the context the core state machine takes, and the one instant its
// alarm must ring next.

export class CompiledSpecs {
  /** The last few compiled, most recent last: the schedule's, and the specs its backfills were asked of (schedule-backfill.ts). */
  private readonly recent = new Map<string, CompiledSpec>();

  /**
   * Throws a ValidationError for a spec that cannot compile, before anything is written. Without
   * repeat_count's bound on fire times: a schedule counts it in runs (core `runsLeft`).
   */
  of(row: Pick<ScheduleRow, "spec" | "spec_origin">): CompiledSpec {
    const key = `${row.spec_origin}|${JSON.stringify(row.spec)}`;
    const hit = this.recent.get(key);
    if (hit) {
      this.recent.delete(key);
      this.recent.set(key, hit);
      return hit;
    }
    const spec = withoutRepeatBound(compileSpec(row.spec, { createdAt: row.spec_origin }));
    if (this.recent.size >= COMPILED_KEPT) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, spec);
    return spec;
  }
}

/** Compiled specs a ScheduleObject keeps: its own, and a few its backfills' batches use in one alarm. */
const COMPILED_KEPT = 4;

/** The core state machine's view of a schedule at `now`. */
export function machineContext(spec: CompiledSpec, row: ScheduleRow, now: number) {
  return { spec, scheduleId: row.schedule_id, policy: row.policy, now };
}

/**
 * When the schedule's one alarm should ring: the earliest of its outbox's next delivery, a pending
 * backfill, the next fire (with jitter) or the bookkeeping of a prepared one, a retry, and the
 * moment to prepare the next run. Null: nothing is left to do.
 */
export function nextScheduleAlarm(row: ScheduleRow | null, spec: CompiledSpec | null, outboxAt: number | null, backfills: readonly Pick<BackfillRow, "overlap">[], prepareAheadMs: number, now: number): number | null {
  const times: number[] = [];
  const backfillPending = backfills.length > 0;
  if (outboxAt !== null) times.push(outboxAt);
  if (row && spec) {
    // A backfill waiting for runs to close (backfillRoom: open runs, buffer) is woken by their close notices.
    if (backfills.some((job) => backfillRoom(row.state, backfillPolicy(job, row)) > 0)) times.push(now);
    if (row.state.status === "active") {
      const f = plansFires(spec, row.state, row.policy.overlap) ? next(spec, row.state.lastProcessed) : null;
      const p = row.state.prepared;
      if (p && p.nominal === f) {
        // A prepared fire needs no alarm at its time (the queue releases the run); record it a little after ...
        times.push(settleAt(row.schedule_id, p.actual));
        // ... but never later than the fire after it (a frequent schedule must not wait for the bookkeeping).
        const after = nextFire(spec, row.schedule_id, p.nominal);
        if (after !== null) times.push(after.actual);
      } else if (f !== null) times.push(f + jitterOffset(row.schedule_id, f, spec.jitterMs, next(spec, f)));
      // A fire delayed over a spec change starts at its actual time (core/schedule/respec-delayed.ts).
      for (const h of row.state.delayed ?? []) times.push(h.actual);
      // A due retry held until a run closes must not re-arm at once (that would spin). One not yet
      // found due (missable: a trigger took the slot before its alarm ran, say) rings at once, to be
      // found in time (core judgeDueRetries), not judged late when the run closes.
      const r = row.state.retry;
      if (r && (r.at > now || row.state.running.length === 0 || r.missable)) times.push(r.at);
      const prep = planPrepare(machineContext(spec, row, now), row.state, prepareAheadMs, backfillPending);
      if (prep.kind === "wait") times.push(prep.at);
      if (prep.kind === "prepare") times.push(now);
    }
  }
  return times.length === 0 ? null : Math.min(...times);
}

/** The overlap policy a backfill's fires are decided under: its own, else the schedule's as it is now. */
export function backfillPolicy(job: Pick<BackfillRow, "overlap">, row: Pick<ScheduleRow, "policy">): OverlapPolicy {
  return (job.overlap || row.policy.overlap) as OverlapPolicy;
}
