import type { SchedulePayload } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { startDeadline } from "../core/catchup.ts";
import { LIMITS } from "../core/limits.ts";
import { SKIPPED_CATCHUP } from "../core/schedule/machine.ts";
import type { PreparedRun } from "../core/schedule/prepare.ts";
import type { Env } from "../env.ts";
import { deleteScheduleRow, upsertSchedule, type ScheduleIndexRow } from "../index/schedules.ts";
import { executionStub } from "./names.ts";
import { FlushQueue } from "./outbox.ts";
import { unwrap } from "./rpc.ts";
import type { RunClosedNotice } from "./schedule-types.ts";
import type { ScheduleStore } from "./schedule-store.ts";

/** Outbox entries a ScheduleObject writes (keys: `index`, `start:<run>`, `cancel:<run>`, `terminate:<run>`, `withdraw:<run>`). */
export interface StartEntry {
  runId: string;
  payload: SchedulePayload;
  input: unknown;
  /** A prepared run: its first task is held until then. */
  startAt?: number;
  /** A prepared run: skipped if its first task is not available to workers by then (fire + catch-up window). */
  startBy?: number;
}
/** A delete names the (workflow, key) the schedule held (entries queued before it was added do not). */
export type IndexEntry = ScheduleIndexRow | { delete: true; namespace: string; schedule_id: string; workflow?: string; key?: string };
export interface WithdrawEntry {
  namespace: string;
  prepared: PreparedRun;
  /** The schedule's spec_origin when the withdraw was queued (absent in entries queued before it was kept). */
  origin?: number;
  /** That spec's zone, for the run's retries should it be adopted as that spec's fire (absent in entries queued before it was kept). */
  timezone?: string;
  /**
   * The schedule's created_at when the withdraw was queued: a run that refuses the withdraw is
   * adopted only by that schedule, never by one created under the same id after a delete (absent
   * in entries queued before it was kept).
   */
  incarnation?: number;
}

/**
 * Delivers a ScheduleObject's outbox: its D1 index row, run starts (idempotent by run id),
 * CANCEL_OTHER / TERMINATE_OTHER, and withdrawals of prepared runs. Single-flight: a flush
 * requested while one runs starts right after it, so a withdraw never overtakes the start it
 * withdraws. Each entry is retried with backoff until it lands.
 */
export class ScheduleDelivery {
  private readonly queue: FlushQueue;

  private readonly env: Env;
  private readonly store: ScheduleStore;
  /** A run closed without calling back (it already existed closed, or was skipped): the object treats it as closed now. */
  private readonly closedMeanwhile: (notice: RunClosedNotice) => Promise<void>;
  /**
   * The row changed outside a change's write: a withdraw's answer adopted the prepared run as this
   * schedule's fire, or a late prepared run was skipped. The object lists it (its index row).
   */
  private readonly relist: () => Promise<void>;

  constructor(env: Env, store: ScheduleStore, closedMeanwhile: (notice: RunClosedNotice) => Promise<void>, relist: () => Promise<void>) {
    this.env = env;
    this.store = store;
    this.closedMeanwhile = closedMeanwhile;
    this.relist = relist;
    this.queue = new FlushQueue(store.outbox, () => clock.now());
  }

  /**
   * Resolves true when the outbox changed (the object re-arms its alarm). From the call on, the
   * outbox counts as due only at the backstop (see Outbox), so the alarm armed next backs this
   * delivery up instead of racing it.
   */
  flush(): Promise<boolean> {
    return this.queue.run(() => this.flushOnce());
  }

  private async flushOnce(): Promise<boolean> {
    const changed = await this.store.outbox.flush(clock.now(), async (key, payload) => {
      if (key === "index") return this.deliverIndex(payload as IndexEntry);
      if (key.startsWith("withdraw:")) return this.deliverWithdraw(payload as WithdrawEntry);
      const row = this.store.get();
      if (!row) return;
      const stub = executionStub(this.env, row.namespace, (payload as { runId: string }).runId);
      if (key.startsWith("start:")) {
        const p = payload as StartEntry;
        const args = {
          namespace: row.namespace,
          execution_id: p.runId,
          workflow: row.workflow,
          input: p.input,
          task_queue: row.task_queue,
          execution_timeout: row.execution_timeout ?? LIMITS.executionTimeoutDefault,
          id_reuse_policy: "use_existing" as const,
          schedule: p.payload,
          callback: { schedule_id: row.schedule_id },
          ...(p.startAt !== undefined ? { start_at: p.startAt, ...(p.startBy !== undefined ? { start_by: p.startBy } : {}) } : {}),
        };
        const res = p.startAt !== undefined ? await stub.startPrepared(args) : await stub.start(args);
        if (!res.ok) throw new Error(`start ${p.runId} failed: ${JSON.stringify(res)}`);
        const started = unwrap(res);
        const closed = "skipped" in started ? { status: SKIPPED_CATCHUP, failure: null } : started.started || started.execution.status === "running" ? null : started.execution;
        if (closed) await this.closedMeanwhile({ namespace: row.namespace, schedule_id: row.schedule_id, execution_id: p.runId, status: closed.status, failure: closed.failure, closed_at: clock.now() });
      } else if (key.startsWith("cancel:")) {
        await stub.cancel("cancelled by the schedule's CANCEL_OTHER overlap policy");
      } else if (key.startsWith("terminate:")) {
        await stub.terminate("terminated by the schedule's TERMINATE_OTHER overlap policy");
      }
    });
    // A deleted schedule writes nothing more: its delivered index delete goes now, leaving the storage empty.
    if (!this.store.get()) this.store.outbox.sweep();
    return changed;
  }

  private async deliverIndex(ix: IndexEntry): Promise<void> {
    if ("delete" in ix) await deleteScheduleRow(this.env.DB, ix.namespace, ix.schedule_id, ix.workflow !== undefined && ix.key !== undefined ? { workflow: ix.workflow, key: ix.key } : undefined);
    else await upsertSchedule(this.env.DB, ix);
  }

  /**
   * A prepared fire more than the catch-up window late (the platform was down) is settled with its
   * run before the schedule plans anything around it (its alarm, a trigger, pause, update or
   * backfill), as for a withdraw (execution-prepared.ts): a run no worker can get any more is
   * forgotten, and its fire recorded as skipped, holding no overlap slot. A run that had begun, or
   * could not be asked, is left to be adopted (its first lease decides then).
   */
  async settleLate(now: number): Promise<void> {
    const row = this.store.get();
    const p = row?.state.prepared;
    if (!row || !p || p.actual > now || now <= startDeadline(p.actual, row.policy.catchup_window_seconds)) return;
    const r = await executionStub(this.env, row.namespace, p.runId)
      .discardPrepared()
      .catch((err: unknown) => console.warn(`could not ask late prepared run ${p.runId}; adopting it`, err));
    if (!r?.discarded) return;
    const current = this.store.get();
    if (current?.state.prepared?.runId === p.runId) {
      this.store.skipPrepared(current, p, now);
      // Listed now: a change after this that writes nothing would leave next_fire_at at the skipped fire.
      await this.relist();
    }
    // Adopted meanwhile (a change ran while the run was asked): counted as skipped, wherever the run is by now.
    else await this.closedMeanwhile({ namespace: row.namespace, schedule_id: row.schedule_id, execution_id: p.runId, status: SKIPPED_CATCHUP, failure: null, closed_at: now });
  }

  /**
   * Withdraws a prepared run; one whose fire time had already come is adopted as this schedule's
   * fire. If the same fire was prepared again meanwhile (a resume after a pause whose withdraw
   * could not be delivered at once), and its start already went out, that start found the old run
   * and was answered with it, which this withdraw has just removed: the schedule forgets that it
   * prepared the fire, and prepares it again (or starts it at its time) with a new start. A start
   * still waiting goes out after this withdraw and creates the run the schedule holds.
   */
  private async deliverWithdraw(w: WithdrawEntry): Promise<void> {
    const r = await executionStub(this.env, w.namespace, w.prepared.runId).discardPrepared();
    const row = this.store.get();
    if (!row || (w.incarnation !== undefined && w.incarnation !== row.created_at)) return;
    if (!r.discarded) {
      // A spec change since the withdraw was queued (the change that queued it, say) re-planned: the run is the old spec's fire.
      this.store.adopt(row, w.prepared, clock.now(), w.origin !== undefined && w.origin !== row.spec_origin, w.timezone);
      // Closed already (its close notice came while the schedule did not hold it, and changed nothing): close it now, or it holds its overlap slot for ever.
      if (r.closed) await this.closedMeanwhile({ namespace: row.namespace, schedule_id: row.schedule_id, execution_id: w.prepared.runId, status: r.closed.status, failure: r.closed.failure, closed_at: clock.now() });
      else await this.relist();
    } else if (row.state.prepared?.runId === w.prepared.runId && !this.store.outbox.has(`start:${w.prepared.runId}`)) this.store.put({ ...row, state: { ...row.state, prepared: null } });
  }
}
