import type { Execution } from "@sundial/sdk/protocol";
import { SKIPPED_CATCHUP } from "../core/schedule/machine.ts";
import type { Env } from "../env.ts";
import { queueCloseNotice } from "./execution-effects.ts";
import type { ExecutionStore, RunRow } from "./execution-store.ts";
import { describeRun, indexRow } from "./execution-view.ts";
import { partitionFor, taskQueueStub } from "./names.ts";

// Runs a schedule prepared ahead of their fire time (src/core/schedule/prepare.ts): withdrawing one
// before its time, and settling the catch-up window for it, once, after its time.

/** A prepared run nothing has happened to yet (no signal, cancel or update): its first workflow task is all it has. */
function untouchedPrepared(store: ExecutionStore, run: RunRow): boolean {
  return run.status === "running" && run.schedule !== null && run.wt_state === "scheduled" && run.wt_attempt === 1 && store.eventCount() === 2 && store.updatesIn("requested").length === 0;
}

/** Forgets the run: it never existed (its index row is removed too). */
function forgetRun(store: ExecutionStore, run: RunRow, now: number): void {
  const row = indexRow(run);
  store.deleteRun();
  store.outbox.put("index", { ...row, deleted: true }, now);
}

/** What the task queue says of a prepared run's first task: gone from the queue (a worker's lease is under way), or when it became available. */
export type QueueAnswer = { leasing: true } | { leasing: false; availableAt: number };

/**
 * Asks the task queue about the first task of a prepared run that nothing else happened to, once
 * its fire time has passed (before it, or for any other run: undefined, and nothing is asked).
 * Still held there: available from now. Undefined too when the queue cannot be asked.
 */
export async function askQueue(store: ExecutionStore, env: Env, now: number): Promise<QueueAnswer | undefined> {
  const run = store.run();
  if (!run || run.start_by === null || now < run.started_at || !untouchedPrepared(store, run)) return undefined;
  const task = await queuedFirstTask(env, run);
  if (!task) return undefined;
  return task.queued ? { leasing: false, availableAt: task.released_at ?? now } : { leasing: true };
}

function queuedFirstTask(env: Env, run: RunRow) {
  const queue = taskQueueStub(env, run.namespace, run.task_queue, partitionFor(env, run.execution_id));
  return queue.queuedTask("workflow", run.execution_id, run.wt_scheduled_event_id, run.wt_attempt).catch((err: unknown) => {
    console.warn("could not ask the task queue when it released a prepared run's first task", err);
    return undefined;
  });
}

/**
 * The run has begun for good (no lease may skip it any more). Its execution timeout counts from
 * when its first task became available, if that is later than the fire: after an outage longer
 * than the timeout, no worker could have had it before.
 */
function beginPrepared(store: ExecutionStore, run: RunRow, availableAt: number | null): void {
  const deadline = availableAt === null ? run.deadline : Math.max(run.deadline, availableAt + run.execution_timeout * 1000);
  store.updateRun({ start_by: null, deadline });
}

/**
 * Withdraws a run its schedule prepared ahead of the fire time (`start_at`), if that time has not
 * come: the execution then never existed (its index row is removed). Once its start time has
 * passed, or anything happened to it (a signal, a cancel), the run has begun, and it stays; the
 * schedule adopts it. So this also settles the catch-up window, once, if no lease has, with what
 * the queue says (`queue`, from askQueue): a withdraw that arrives more than the window after the
 * fire (queued before the fire and delivered after an outage, or the schedule's alarm was that
 * late) forgets the run as withdrawn (the schedule's own planning handles that fire) unless the
 * queue released its task in time; otherwise `start_by` is cleared, so no later lease can skip a
 * run the schedule adopted. With a lease under way, the run stays and that lease decides.
 */
export function discardPreparedRun(store: ExecutionStore, now: number, queue?: QueueAnswer): { discarded: boolean } {
  const run = store.run();
  if (!run) return { discarded: true };
  const untouched = untouchedPrepared(store, run);
  if (untouched && now < run.started_at) {
    forgetRun(store, run, now);
    return { discarded: true };
  }
  if (run.start_by === null) return { discarded: false };
  if (!untouched) {
    store.updateRun({ start_by: null });
    return { discarded: false };
  }
  if (queue?.leasing) return { discarded: false };
  const availableAt = queue ? queue.availableAt : null;
  if (now > run.start_by && (availableAt === null || availableAt > run.start_by)) {
    forgetRun(store, run, now);
    return { discarded: true };
  }
  beginPrepared(store, run, availableAt);
  return { discarded: false };
}

/** A prepared run's withdrawal: whether it was, and, kept because it has already closed, how. */
export type Withdrawal = { discarded: boolean; closed?: Pick<Execution, "status" | "failure"> };

/**
 * Withdraws a prepared run unless it has begun: the queue is asked about its first task
 * ({@link askQueue}), then {@link discardPreparedRun}. A run kept that has already closed says how
 * (`closed`): its close notice may have reached the schedule before the schedule knew the run was its own.
 */
export async function withdrawPreparedRun(store: ExecutionStore, env: Env, now: () => number): Promise<Withdrawal> {
  const queue = await askQueue(store, env, now());
  const r: Withdrawal = discardPreparedRun(store, now(), queue);
  const run = store.run();
  if (!r.discarded && run && run.status !== "running") {
    const { status, failure } = describeRun(store, run);
    r.closed = { status, failure };
  }
  return r;
}

/**
 * The catch-up window for a prepared run, decided once, when its first workflow task is leased.
 * `availableAt` is when the task queue made that task available to workers: at the fire time as a
 * rule, later when the platform was down (or its start was delivered late). In time (by `start_by`),
 * or once anything else happened to the run, it has begun (beginPrepared) and the lease goes ahead.
 * Later, the fire was more than the window late: as the schedule skips such a fire when it plans
 * it, the run is forgotten (as a withdrawn one is) and the schedule is told, so it counts the fire
 * in `skipped_catchup` instead of `fired` (core `runClosed`). Returns true then: the queue entry
 * `ref` (the scheduled event id it points to) is stale.
 */
export function settlePreparedStart(store: ExecutionStore, ref: number, availableAt: number, now: number): boolean {
  const run = store.run();
  if (!run || run.start_by === null || run.wt_scheduled_event_id !== ref) return false;
  if (availableAt <= run.start_by || !untouchedPrepared(store, run)) {
    beginPrepared(store, run, availableAt);
    return false;
  }
  forgetRun(store, run, now);
  queueCloseNotice(store, run, SKIPPED_CATCHUP, now);
  return true;
}

/**
 * A prepared run that reached its timeout with no worker having taken its first task has not
 * settled the catch-up window yet: the queue says when it released that task, and that settles it
 * (settlePreparedStart). Released at the fire time, the run times out as any run nobody worked on.
 * Released (or still to be released) more than the window late, its fire is skipped. Released late
 * but within the window (the platform was down at the fire time, and for longer than the
 * timeout), its timeout counts from the release. If the queue cannot be asked, or no longer holds
 * the task (a lease is under way), the run times out as before.
 */
export async function settleUnleasedPrepared(store: ExecutionStore, env: Env, now: number): Promise<void> {
  const run = store.run();
  if (!run || run.start_by === null || run.status !== "running" || now < run.deadline) return;
  const task = await queuedFirstTask(env, run);
  // A lease may have settled the window meanwhile (or forgotten the run): settlePreparedStart then does nothing.
  if (task?.queued) settlePreparedStart(store, run.wt_scheduled_event_id, task.released_at ?? now, now);
}
