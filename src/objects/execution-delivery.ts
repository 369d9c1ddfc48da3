import { clock } from "../clock.ts";
import type { Env } from "../env.ts";
import { recordChildClosed, recordChildIdTaken, recordChildStartFailed, recordChildStarted } from "./execution-children.ts";
import { closeIfPastDeadline, type Dispatch } from "./execution-effects.ts";
import { flushExecutionOutbox } from "./execution-outbox.ts";
import type { ExecutionStore } from "./execution-store.ts";
import { partitionFor, taskQueueStub } from "./names.ts";
import { FlushQueue } from "./outbox.ts";

/** Waits between the tries of a failed task dispatch (then the run's 60 s dispatch timeout takes over). */
const DISPATCH_RESEND_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

/**
 * Everything an ExecutionObject sends out after a change is written: tasks to their queues and
 * the outbox (index, close notices, children). Single-flight: a flush requested while one runs
 * starts right after it, never alongside, so one entry is never delivered twice at once.
 */
export class ExecutionDelivery {
  /** Tasks to enqueue, filled by the handlers that scheduled them. */
  pending: Dispatch[] = [];
  private readonly queue: FlushQueue;

  private readonly env: Env;
  private readonly store: ExecutionStore;
  /** The owner's flush (which re-arms its alarm afterwards): what a re-send of a failed dispatch runs. */
  private readonly flushOwner: () => Promise<void>;
  /** How many times a dispatch was sent again after failing. */
  private readonly resends = new WeakMap<Dispatch, number>();

  constructor(env: Env, store: ExecutionStore, flushOwner: () => Promise<void>) {
    this.env = env;
    this.store = store;
    this.flushOwner = flushOwner;
    this.queue = new FlushQueue(store.outbox, () => clock.now());
  }

  /**
   * Sends everything; resolves true when the outbox changed (the caller re-arms its alarm). From
   * the call on, the outbox counts as due only at the backstop (see Outbox), so the alarm
   * the caller arms next backs this delivery up instead of racing it.
   */
  flush(): Promise<boolean> {
    return this.queue.run(() => this.flushOnce());
  }

  private async flushOnce(): Promise<boolean> {
    await this.sendDispatches();
    const now = () => this.settledNow();
    const changed = await flushExecutionOutbox(this.store.outbox, this.env, clock.now(), {
      started: (seq, executionId, runId, parentRun) => recordChildStarted(this.store, now(), seq, executionId, runId, this.pending, parentRun),
      failed: (seq, executionId, failure, parentRun) => recordChildStartFailed(this.store, now(), seq, executionId, failure, this.pending, parentRun),
      closed: (notice) => void recordChildClosed(this.store, now(), notice, this.pending),
      taken: (seq, executionId, owner, parentRun, status) => recordChildIdTaken(this.store, now(), seq, executionId, owner, this.pending, parentRun, status),
    });
    // Outbox deliveries (a child started) may have scheduled a workflow task: send it now too.
    if (this.pending.length > 0) await this.sendDispatches();
    // A run that is gone (a withdrawn prepared run) writes nothing more: its delivered index delete goes now.
    if (!this.store.run()) this.store.outbox.sweep();
    return changed;
  }

  /**
   * Now, for news of a child's start: a run past its execution timeout whose alarm has not run yet
   * is closed first (closeIfPastDeadline), as every other entry point closes it. Any flush delivers
   * the outbox (a query's, a worker's poll, a re-sent dispatch, not only the alarm's, which closes
   * the run before it flushes), so without this a start retried after the deadline was recorded
   * (`child_workflow_started`, a workflow task) in a run past its time; now the news meets the run
   * closed: a started child is stopped by the parent close policy, a refused one is forgotten.
   */
  private settledNow(): number {
    const now = clock.now();
    closeIfPastDeadline(this.store, now);
    return now;
  }

  private async sendDispatches(): Promise<void> {
    const items = this.pending;
    this.pending = [];
    await Promise.all(
      items.map(async (d) => {
        try {
          await taskQueueStub(this.env, d.namespace, d.queue, partitionFor(this.env, d.executionId)).enqueue({ kind: d.kind, type: d.type, execution_id: d.executionId, ref: d.ref, attempt: d.attempt, ...(d.visibleAt !== undefined ? { visible_at: d.visibleAt } : {}) });
        } catch (err) {
          this.resendLater(d, err);
        }
      }),
    );
  }

  /**
   * A task its queue did not take is sent again while this object stays awake (the queue may be
   * restarting), waiting 1 s, then 2, 4, 8 and 16 s between tries (the last ~31 s after the
   * failure). The run's dispatch timeout (60 s) backs these up: it re-sends any task not leased by
   * then, so an eviction meanwhile loses nothing. Sending a task that was leased meanwhile is
   * harmless: a poll finds the entry stale and skips it.
   */
  private resendLater(d: Dispatch, err: unknown): void {
    const resends = this.resends.get(d) ?? 0;
    const delay = DISPATCH_RESEND_MS[resends];
    if (delay === undefined) {
      console.warn(`task dispatch failed ${resends + 1} times; the run's dispatch timeout sends it again`, err);
      return;
    }
    console.warn(`task dispatch failed; sending it again in ${delay} ms`, err);
    setTimeout(() => {
      this.resends.set(d, resends + 1);
      this.pending.push(d);
      this.flushOwner().catch((e: unknown) => console.warn("re-sending a task dispatch failed", e));
    }, delay);
  }
}
