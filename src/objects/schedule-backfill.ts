import { toRfc3339, type BackfillProgress, type OverlapPolicy } from "@sundial/sdk/protocol";
import { LIMITS } from "../core/limits.ts";
import { backfillBatch, backfillRoom } from "../core/schedule/backfill-fires.ts";
import { startExtra, type MachineContext, type Transition } from "../core/schedule/machine.ts";
import type { CompiledSpec } from "../core/spec.ts";
import { backfillPolicy } from "./schedule-plan.ts";
import type { BackfillRow, ScheduleRow, ScheduleStore } from "./schedule-store.ts";

/** What a backfill batch needs of its ScheduleObject. */
export interface BackfillHost {
  store: ScheduleStore;
  compileFor(row: Pick<ScheduleRow, "spec" | "spec_origin">): CompiledSpec;
  ctxFor(row: ScheduleRow, now: number): MachineContext;
  apply(row: ScheduleRow, t: Transition, now: number): void;
}

/**
 * Starts the next fires of the pending backfill jobs, oldest job first, through the overlap
 * policy: at most LIMITS.catchupBatch fires per alarm in all (as Temporal bounds its backfills per
 * iteration, so many jobs never make one alarm's work unbounded), and never more open runs than
 * the schedule tracks nor, for fires that may wait in the buffer, more than half of it (backfillRoom:
 * then that job waits for runs to close, and a later job whose fires never wait there goes on). A
 * job's fires are those of the spec it was asked of (core `backfillBatch`), so a PATCH while it is
 * under way moves none of them. Each fire names its job, so its
 * run id does too: a range backfilled twice runs twice, and two overlapping backfills are two
 * sets of runs.
 */
export function runBackfillBatches(host: BackfillHost, now: number): void {
  let budget = LIMITS.catchupBatch;
  for (const { id } of host.store.backfills()) {
    if (budget <= 0) return;
    // Read each job afresh: an earlier job's batch may have dropped this one's waiting fire (relinkBackfills).
    const job = host.store.backfills().find((j) => j.id === id);
    if (!job) continue;
    const row = host.store.get();
    if (!row) return;
    const room = Math.min(budget, backfillRoom(row.state, backfillPolicy(job, row)));
    // This job waits for a run to close, or for buffer room; a later one under another policy may not.
    if (room <= 0) continue;
    const spec = jobSpec(host, job, row);
    // last_timestamp: the backfill's fire before it that was not skipped (null for the first); the machine chains the batch.
    const fires = backfillBatch(spec, job, room);
    const nominals = fires.map((f) => f.nominal);
    const t = startExtra(host.ctxFor(row, now), row.state, fires);
    host.apply(row, { ...t, nextAlarm: null }, now);
    const skipped = new Set(t.outcomes.flatMap((o) => (o.kind === "skipped_overlap" ? [o.fire] : [])));
    // Read again: the decision may have dropped the fire the job had last (see relinkBackfills).
    const lastKept = fires.filter((f) => !skipped.has(f)).at(-1)?.nominal ?? host.store.backfills().find((j) => j.id === job.id)?.last_fire ?? null;
    budget -= nominals.length;
    const last = nominals[nominals.length - 1];
    // Done once no fire is left after this batch's last: a batch that took exactly the room it had may have been the last one.
    const done = nominals.length < room || last === undefined || backfillBatch(spec, { ...job, cursor: last }, 1).length === 0;
    host.store.advanceBackfill(job.id, done ? null : last, lastKept);
  }
}

/** The spec a backfill was asked of (a job queued before jobs kept it: the schedule's as it is). */
function jobSpec(host: Pick<BackfillHost, "compileFor">, job: BackfillRow, row: ScheduleRow): CompiledSpec {
  return host.compileFor(job.spec !== null && job.spec_origin !== null ? { spec: job.spec, spec_origin: job.spec_origin } : row);
}

/** The backfills under way, oldest first, as describe shows them: each with the next fire it will start. */
export function backfillProgress(host: Pick<BackfillHost, "store" | "compileFor">, row: ScheduleRow): BackfillProgress[] {
  return host.store.backfills().map((job) => {
    const next = backfillBatch(jobSpec(host, job, row), job, 1)[0];
    return { backfill_id: job.id, next_fire: next ? toRfc3339(next.nominal) : null, end_at: toRfc3339(job.end_at), overlap: (job.overlap || null) as OverlapPolicy | null };
  });
}

