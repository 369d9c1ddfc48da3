import { DurableObject } from "cloudflare:workers";
import type { Command, Execution, ExecutionResult, Failure, HistoryPage, WorkflowTask, ActivityTask } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { NotFoundError, PayloadTooLargeError } from "../core/errors.ts";
import { exceedsPayloadLimit, LIMITS } from "../core/limits.ts";
import type { Env } from "../env.ts";
import { EXECUTION_MIGRATIONS, EXECUTION_SCHEMA } from "./execution-schema.ts";
import { ExecutionStore, parseJson, type RunRow } from "./execution-store.ts";
import type { ChildStartCheck, StopFrom } from "../core/execution/children.ts";
import { requestCancel, terminateRun } from "./execution-stop.ts";
import { runExecutionTimeouts, nextExecutionAlarm } from "./execution-timeouts.ts";
import { applyActivityCompletion, applyActivityFailure } from "./execution-activities.ts";
import type { ChildClosedNotice } from "./execution-outbox.ts";
import { migratedOnFirstUse } from "./sql-migrations.ts";
import { startRun } from "./execution-start.ts";
import { settlePreparedStart, settleUnleasedPrepared, withdrawPreparedRun, type Withdrawal } from "./execution-prepared.ts";
import { recordSignal, requestUpdate, signalWithStartRun, updateOutcome } from "./execution-messages.ts";
import { ExecutionDelivery } from "./execution-delivery.ts";
import { recordChildClosed } from "./execution-children.ts";
import { QueryBroker, queryOutcome } from "./execution-queries.ts";
import { resetRun, type ResetOptions } from "./execution-reset.ts";
import { ANY_POLL, leaseActivityTask, leaseQueryTask, leaseWorkflowTask, queryDispatch, returnUndeliveredLease, signEagerActivities, workflowTaskInScope, signEagerWorkflowTask, takeEagerActivities, takeEagerWorkflowTask } from "./execution-leases.ts";
import type { PollScope } from "./execution-leases.ts";
import type { Completion, StartArgs, TokenPayload } from "./execution-types.ts";
import { acknowledgeTask, applyWorkflowTaskCompletion, applyWorkflowTaskFailure, recordHeartbeat, requireTaskRun, staleTask, unhandledCommand } from "./execution-workflow-tasks.ts";
import { describeRun, historyPage } from "./execution-view.ts";
import { guard, type RpcResult } from "./rpc.ts";
import { AlarmBackoff } from "./alarm-backoff.ts";
import { RunWaiters } from "./execution-waiters.ts";
import { MAX_ALARM_AHEAD_MS } from "./names.ts";
import { ArmedAlarm } from "./armed-alarm.ts";
import { closeIfPastDeadline } from "./execution-effects.ts";

/**
 * One workflow execution: its append-only history in SQLite, its pending activities and timers,
 * and every timeout it owns, through one alarm. Thin by design: the rules live in core/execution/
 * and the helpers beside this file; this class loads, delegates, dispatches, and re-arms last.
 */
export class ExecutionObject extends DurableObject<Env> {
  private readonly store: ExecutionStore;
  private readonly waiters = new RunWaiters();
  private readonly delivery: ExecutionDelivery;
  private readonly queries = new QueryBroker();
  private readonly armed: ArmedAlarm;
  private readonly backoff: AlarmBackoff;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.backoff = new AlarmBackoff(ctx.storage);
    this.armed = new ArmedAlarm(ctx.storage, { onlyEarlier: true });
    this.store = new ExecutionStore(migratedOnFirstUse(ctx.storage, EXECUTION_MIGRATIONS, EXECUTION_SCHEMA, () => this.store.startsEmpty()));
    this.delivery = new ExecutionDelivery(env, this.store, () => this.flush());
  }

  /**
   * Starts the execution, honouring the id-reuse policy when it already exists. With `waitMs`, the
   * answer waits up to that long for the run to close and then describes it as it is (start and
   * wait for the result in one call). A run past its execution timeout whose alarm has not run
   * yet is closed first (closeIfPastDeadline), so the id-reuse policy judges it timed out, as
   * signal-with-start does and as the alarm would have.
   */
  async start(args: StartArgs, waitMs = 0): Promise<RpcResult<{ execution: Execution; started: boolean }>> {
    const r = this.change((now) => startRun(this.store, args, now, this.delivery.pending), { settle: true });
    if (!r.ok) return r;
    if (waitMs > 0 && this.store.run()?.status === "running") await this.waiters.untilClosed(waitMs);
    // The execution as it is now (after a wait: closed, still running, or, a prepared run withdrawn meanwhile, gone).
    return guard(() => ({ execution: this.describeRun(this.requireRun()), started: r.value.started }));
  }

  /**
   * A schedule's start of a run prepared ahead of its fire (schedule-delivery.ts). One that arrives
   * after the catch-up window with no run yet (delivered again after the run was skipped, or after
   * an outage) creates none: the fire is skipped, as the run's first lease would judge it.
   */
  async startPrepared(args: StartArgs): Promise<RpcResult<{ execution: Execution; started: boolean } | { skipped: true }>> {
    if (args.start_by !== undefined && clock.now() > args.start_by && !this.store.run()) return { ok: true, value: { skipped: true } };
    return this.start(args);
  }

  /** Withdraws a run its schedule prepared ahead of time, unless it has begun (see withdrawPreparedRun). */
  async discardPrepared(): Promise<Withdrawal> {
    const r = await withdrawPreparedRun(this.store, this.env, clock.now);
    this.resolveWaiters();
    // The index row goes before the answer, so the schedule's change (pause, update) answers with
    // the withdrawn run gone from listings too. A failed delete is retried by the outbox alarm.
    const flushed = this.flush();
    this.rearm();
    await flushed.catch((err) => console.warn("withdrawn run's index delete failed; will retry", err));
    return r;
  }

  describe(): RpcResult<Execution> {
    return guard(() => this.describeRun(this.requireRun()));
  }

  /**
   * A page of history after `afterId` (and before `task.beforeId`), see {@link historyPage}. For a
   * worker reading its task's history (`task`) the run must still be `task.runId`, else 409 stale_task.
   */
  history(afterId: number, limit: number, task?: { runId: string; beforeId: number }, pageRunId?: string): RpcResult<HistoryPage> {
    return guard(() => {
      const run = task === undefined ? this.requireRun() : this.store.run();
      if (run === null || (task !== undefined && run.run_id !== task.runId)) throw staleTask();
      return historyPage(this.store, run, afterId, limit, task?.beforeId, pageRunId);
    });
  }

  /** Requests cancellation (see execution-stop.ts); `from`: a parent's close policy, refused unless from this run's parent. */
  async cancel(reason: string, from?: StopFrom): Promise<RpcResult<Execution>> {
    return this.change((now) => {
      requestCancel(this.store, this.requireRun(), now, reason, from, this.delivery.pending);
      return this.describeRun(this.store.run()!);
    }, { settle: true });
  }

  /** Ends the run at once; the workflow gets no say. `from` as for {@link cancel}. */
  async terminate(reason: string, from?: StopFrom): Promise<RpcResult<Execution>> {
    return this.change((now) => {
      terminateRun(this.store, this.requireRun(), now, reason, from);
      return this.describeRun(this.store.run()!);
    }, { settle: true });
  }

  /** Resets the execution to a workflow_task_completed event (see execution-reset.ts). */
  async reset(options: ResetOptions): Promise<RpcResult<Execution>> {
    return this.change((now) => {
      this.requireRun();
      resetRun(this.store, now, options, this.delivery.pending);
      return this.describeRun(this.store.run()!);
    }, { settle: true });
  }

  /** The outcome, waiting up to `waitMs` for the run to close. */
  async result(waitMs: number): Promise<RpcResult<ExecutionResult>> {
    const first = guard(() => this.requireRun());
    if (!first.ok) return first;
    if (first.value.status === "running" && waitMs > 0) await this.waiters.untilClosed(waitMs);
    return guard(() => {
      const run = this.requireRun();
      return { execution_id: run.execution_id, status: run.status, ...(run.result !== null ? { result: JSON.parse(run.result) } : {}), failure: parseJson<Failure>(run.failure) };
    });
  }

  /** Leases the workflow (or query) task a queue entry refers to; null when the entry is stale or not for a poll of `scope` (see pollRuns). */
  async startWorkflowTask(ref: number, identity: string, availableAt?: number, scope: PollScope = ANY_POLL): Promise<WorkflowTask | null> {
    if (ref < 0) {
      const query = await leaseQueryTask(this.store, this.env, this.queries, ref, scope, this.delivery.pending);
      if (this.delivery.pending.length > 0) this.afterChange();
      return query;
    }
    const now = clock.now();
    if (this.closedPastDeadline(now)) return null;
    // A prepared run's first lease decides whether it came within the catch-up window (execution-prepared.ts).
    if (!workflowTaskInScope(this.store, now, ref, scope, this.delivery.pending) || settlePreparedStart(this.store, ref, availableAt ?? now, now)) {
      this.afterChange();
      return null;
    }
    const task = await leaseWorkflowTask(this.store, this.env, clock.now, ref, identity);
    if (task || this.delivery.pending.length > 0) this.afterChange();
    return task;
  }

  /** Leases an activity attempt a queue entry refers to; null when stale or not for a poll of `scope` (see pollRuns). */
  async startActivityTask(seq: number, attempt: number, identity: string, scope: PollScope = ANY_POLL): Promise<ActivityTask | null> {
    if (this.closedPastDeadline(clock.now())) return null;
    const task = await leaseActivityTask(this.store, this.env, clock.now, seq, attempt, identity, scope, this.delivery.pending);
    if (task || this.delivery.pending.length > 0) this.afterChange();
    return task;
  }

  /** A lease whose poll answer could not be delivered (its client left): handed out again now (see returnUndeliveredLease). */
  async returnUndelivered(tok: TokenPayload): Promise<boolean> {
    const returned = returnUndeliveredLease(this.store, clock.now(), tok, this.queries, this.delivery.pending);
    if (returned) this.afterChange();
    return returned;
  }

  /** A child this run started has closed: its outcome becomes a history event the workflow awaits. */
  async childClosed(notice: ChildClosedNotice): Promise<RpcResult<{ recorded: boolean }>> {
    return this.change((now) => recordChildClosed(this.store, now, notice, this.delivery.pending), { settle: true });
  }

  /** Signals the workflow; recorded in history before the caller hears back. */
  async signal(name: string, input: unknown, requestId: string | null): Promise<RpcResult<{ recorded: boolean }>> {
    return this.change((now) => {
      this.requireRun();
      return recordSignal(this.store, now, name, input, requestId, this.delivery.pending);
    }, { settle: true });
  }

  /**
   * Signals the execution, starting it first unless it is running: a closed one gets a new run only
   * if `id_reuse_policy` allows it, as for a plain start, and a refused start (409) writes nothing.
   * Under `use_existing` the closed run stays, and the signal is refused as for a plain signal
   * (`execution_closed`). One atomic write. A retry whose `request_id` the closed run recorded (its
   * answer lost, the run closed since) starts nothing: that signal was delivered.
   */
  async signalWithStart(args: StartArgs, name: string, input: unknown, requestId: string | null): Promise<RpcResult<{ execution: Execution; started: boolean }>> {
    return this.change((now) => {
      const { started } = signalWithStartRun(this.store, now, args, name, input, requestId, this.delivery.pending);
      return { execution: this.describeRun(this.store.run()!), started };
    }, { settle: true });
  }

  /**
   * Sends an update and waits up to `waitMs` for its handler's result. A retried call with the same
   * update id returns the recorded outcome; a validator's rejection is a 422 and writes no history.
   */
  async update(name: string, input: unknown, updateId: string, waitMs: number): Promise<RpcResult<{ update_id: string; status: "completed" | "pending"; result?: unknown; failure: Failure | null }>> {
    const first = this.change((now) => {
      this.requireRun();
      return requestUpdate(this.store, now, name, input, updateId, this.delivery.pending);
    }, { settle: true });
    if (!first.ok) return first;
    const done = () => {
      const u = this.store.update(updateId);
      return u === null || u.state === "completed" || u.state === "carried" || u.state === "rejected";
    };
    await this.waiters.until(done, waitMs);
    return guard(() => updateOutcome(this.store, updateId));
  }

  /** Asks a worker to answer a query from replayed state (works on closed executions too). */
  async query(name: string, input: unknown, timeoutMs: number): Promise<RpcResult<{ query_id: string; result: unknown }>> {
    const run = guard(() => this.requireRun());
    if (!run.ok) return run;
    const { ref, answer } = this.queries.open(name, input, timeoutMs);
    this.delivery.pending.push(queryDispatch(run.value, ref));
    this.ctx.waitUntil(this.flush());
    const a = await answer;
    return guard(() => queryOutcome(a, name, ref, timeoutMs, run.value.task_queue));
  }

  /** A worker's answer to a query task. */
  respondQuery(tok: TokenPayload, result: unknown, failure: Failure | undefined): RpcResult<{ status: "accepted" }> {
    return guard(() => {
      if (!this.queries.answer(tok.i, failure ? { failure } : { result })) throw staleTask();
      return { status: "accepted" as const };
    });
  }

  /**
   * Applies a workflow task's commands (validated by the core state machine). With `eager`, the
   * activities they schedule on the run's own queue (up to `eager.slots`) are leased to the
   * completing worker in the same write and returned, instead of being queued. `children` is what
   * the children's registrations say: a refused input fails that child's start, and a child whose
   * command names no task queue or execution timeout takes its registered ones.
   */
  async completeWorkflowTask(tok: TokenPayload, commands: Command[], identity: string, eager: { slots: number; identity: string } | null = null, children: readonly ChildStartCheck[] = []): Promise<RpcResult<Completion>> {
    // Signing awaits, so it happens first; the write below re-checks everything it signed for.
    const eagerTokens = eager && eager.slots > 0 ? await signEagerActivities(this.store, this.env, tok.r, commands, eager.slots) : null;
    return this.change((now): Completion => {
      const done = applyWorkflowTaskCompletion(this.store, now, tok, commands, identity, this.delivery.pending, children);
      // The failed task and its replacement are written (guard does not roll back): only the answer is a 409.
      if (done.status === "unhandled_command") throw unhandledCommand();
      const activityTasks = done.applied && eagerTokens ? takeEagerActivities(this.store, now, this.delivery.pending, eagerTokens, eager!.identity) : [];
      return activityTasks.length > 0 ? { status: done.status, activity_tasks: activityTasks } : { status: done.status };
    });
  }

  /** A worker could not run the workflow task (e.g. non-determinism): retried with backoff; one handed back at shutdown goes out again at once. */
  async failWorkflowTask(tok: TokenPayload, failure: Failure, terminateRun = false): Promise<RpcResult<{ status: "accepted" | "duplicate" }>> {
    return this.change((now) => applyWorkflowTaskFailure(this.store, now, tok, failure, this.delivery.pending, terminateRun));
  }

  /** An attempt succeeded. With `eager`, the workflow task this schedules is leased to the completing worker and returned. */
  async completeActivity(tok: TokenPayload, result: unknown, eager: { identity: string } | null = null): Promise<RpcResult<Completion>> {
    const signed = eager ? await signEagerWorkflowTask(this.store, this.env, tok) : null;
    return this.change((now): Completion => {
      requireTaskRun(this.store, tok);
      if (exceedsPayloadLimit(result)) throw new PayloadTooLargeError(`result is larger than ${LIMITS.maxPayloadBytes} bytes`, "result");
      const done = applyActivityCompletion(this.store, now, tok, result, this.delivery.pending);
      const workflowTask = done.status === "accepted" && signed ? takeEagerWorkflowTask(this.store, now, this.delivery.pending, signed, eager!.identity) : null;
      return workflowTask ? { ...done, workflow_task: workflowTask } : done;
    });
  }

  async failActivity(tok: TokenPayload, failure: Failure): Promise<RpcResult<{ status: "accepted" | "duplicate" }>> {
    return this.change((now) => {
      requireTaskRun(this.store, tok);
      return applyActivityFailure(this.store, now, tok, failure, this.delivery.pending);
    });
  }

  /** Records a heartbeat; tells the worker whether cancellation was requested. */
  async heartbeat(tok: TokenPayload, details: unknown): Promise<RpcResult<{ cancel_requested: boolean }>> {
    return this.change((now) => recordHeartbeat(this.store, now, tok, details, this.delivery.pending));
  }

  /** The worker confirms it received a task (the SDK sends this when a task runs longer than ~1 s). */
  async ackTask(tok: TokenPayload): Promise<RpcResult<{ status: "accepted" }>> {
    return this.change((now) => acknowledgeTask(this.store, now, tok));
  }

  override async alarm(): Promise<void> {
    // Running the alarm consumes it: none is armed unless this handler arms one.
    this.armed.rang();
    const now = clock.now();
    let failure: unknown;
    try {
      await settleUnleasedPrepared(this.store, this.env, now);
      failure = runExecutionTimeouts(this.store, now, this.delivery.pending);
    } catch (err) {
      failure = err;
      console.error("execution alarm failed", err);
    }
    // A failure that repeats must not become an alarm loop (alarm-backoff.ts).
    if (failure) this.backoff.failed(now);
    else this.backoff.succeeded();
    this.resolveWaiters();
    // The delivery starts before the re-arm, so the alarm backs it up rather than racing it.
    const flushed = this.flush().catch((err: unknown) => console.error("execution delivery failed; the alarm retries it", err));
    try {
      this.rearm();
    } catch (err) {
      // Planning the next alarm failed too (a corrupt row): retry on the backoff anyway.
      console.error("execution alarm could not plan its next run", err);
      this.armed.force(this.backoff.failed(now), now);
    }
    await flushed;
  }

  /**
   * One change: `fn` runs as one synchronous write at `now`, then {@link afterChange}. With
   * `settle`, a run past its execution timeout whose alarm has not run yet is closed first as timed
   * out (closeIfPastDeadline): a client's change meets the run as it would after the alarm, so a
   * start, signal, update, cancel, terminate, reset or a child's close notice never lands on a run
   * past its time. Worker calls settle it themselves (execution-workflow-tasks.ts, execution-activities.ts).
   * A change that throws still has its earlier writes sent (guard does not roll back).
   */
  private change<T>(fn: (now: number) => T, opts: { settle?: boolean } = {}): RpcResult<T> {
    const r = guard(() => {
      if (opts.settle) closeIfPastDeadline(this.store, clock.now());
      return fn(clock.now());
    });
    this.afterChange();
    return r;
  }

  /**
   * For a lease: a run past its execution timeout whose alarm has not run yet is closed now (as
   * timed out), and the poll gets nothing, rather than a task whose every result would be refused.
   */
  private closedPastDeadline(now: number): boolean {
    if (!closeIfPastDeadline(this.store, now)) return false;
    this.afterChange();
    return true;
  }

  /** After every change: resolve result waiters if closed, send dispatches, flush the outbox, re-arm (last). */
  private afterChange(): void {
    this.store.outbox.sweep();
    this.resolveWaiters();
    this.ctx.waitUntil(this.flush());
    this.rearm();
  }

  private resolveWaiters(): void {
    this.waiters.notify(() => this.store.run()?.status === "running");
  }

  /**
   * Sends dispatches and the outbox, then re-arms (a delivery that failed is retried on the alarm).
   * The news a delivery records may have closed the run (its deadline had passed): waiters hear it.
   */
  private flush(): Promise<void> {
    return this.delivery.flush().then(() => {
      this.resolveWaiters();
      this.rearm();
    });
  }

  /**
   * Arms the alarm at the earliest instant something is due. Only ever moved earlier (or deleted
   * when nothing is left): an alarm that fires early finds nothing due and re-arms, which is
   * cheaper than a storage write on each of the many changes that push the next deadline out.
   */
  private rearm(): void {
    const now = clock.now();
    const at = nextExecutionAlarm(this.store);
    this.armed.set(at === null ? null : this.backoff.notBefore(Math.min(at, now + MAX_ALARM_AHEAD_MS)), now);
  }

  private requireRun(): RunRow {
    const run = this.store.run();
    if (!run) throw new NotFoundError("execution not found", "execution_not_found");
    return run;
  }

  private describeRun(run: RunRow): Execution {
    return describeRun(this.store, run);
  }
}
