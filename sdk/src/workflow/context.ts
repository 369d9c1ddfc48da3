import type { ActivityCallOptions } from "./activity-options.ts";
import type { ChildWorkflowHandle, ChildWorkflowOptions } from "./child-workflows.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import type { Duration } from "./duration.ts";
import type { SchedulePayload } from "../protocol/history.ts";

/**
 * What a run started by a schedule receives (Polos' `SchedulePayload`, camelCase). Times are
 * RFC 3339 UTC strings.
 */
export interface ScheduleInfo {
  /** Nominal fire time (from the spec). */
  timestamp: string;
  /** Nominal time plus jitter: when the run was actually due. */
  actualTimestamp: string;
  /** Previous nominal fire time, or null for the first run. */
  lastTimestamp: string | null;
  timezone: string;
  scheduleId: string;
  key: string;
  /** Next nominal fire time, or null when there is none. */
  upcoming: string | null;
}

/** Structured attributes attached to a log line. */
export type LogAttributes = Record<string, unknown>;

/**
 * A workflow's logger: writes only when the code runs for the first time, never while it is being
 * replayed, so each line appears once however often the history is replayed.
 */
export interface WorkflowLogger {
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/**
 * Handles a signal: receives its input. May be async (it can call activities, sleep, wait); an
 * error it throws (or a rejection) fails the run like an error thrown by `run` itself.
 */
export type SignalHandler<I = unknown> = (input: I) => void | Promise<void>;

/**
 * Answers a query from the workflow's state: synchronous and read-only. It runs on a replay of
 * the history (also of a closed run); calling `executeActivity`, `sleep`, `waitCondition`,
 * `random`… inside it throws a `ReadOnlyContextError`. Its return value must be JSON.
 */
export type QueryHandler<I = unknown, O = unknown> = (input: I) => O;

/**
 * Handles an update once it was accepted: like a signal handler, but the caller waits for its
 * result. A throw (or rejection) fails the update, not the run.
 */
export type UpdateHandler<I = unknown, O = unknown> = (input: I) => O | Promise<O>;

/** Options every handler takes (Mistral's `description=`). */
export interface HandlerOptions {
  /** What the handler is for: listed by the built-in {@link WORKFLOW_METADATA_QUERY} query. */
  description?: string;
}

/**
 * The built-in query every workflow answers (unless it sets a handler of that name): the
 * workflow's type and its signal, query and update handlers as set right now, with descriptions.
 * @example await client.executions.query("invoice-42", WORKFLOW_METADATA_QUERY)
 * // { definition: { type: "invoice", signal_definitions: [{ name: "approve", description: "Approval signal" }], query_definitions: [...], update_definitions: [...] } }
 */
export const WORKFLOW_METADATA_QUERY = "sundial.workflow_metadata";

/** Options of {@link WorkflowContext.setUpdateHandler}. */
export interface UpdateHandlerOptions<I = unknown> extends HandlerOptions {
  /**
   * Runs (synchronously, read-only, like a query handler) before the update is accepted: throw to
   * reject it. A rejected update is written nowhere in history; the caller gets the error.
   */
  validator?: (input: I) => void;
}

/**
 * The first argument of a workflow's `run`: everything a workflow may use to stay deterministic.
 * Use `ctx.now()`, `ctx.random()` and `ctx.uuid()` instead of `Date.now()`, `Math.random()` and
 * `crypto.randomUUID()`, and do I/O only in activities.
 * @example
 * run: async (ctx, { name }) => {
 *   const greeting = await ctx.executeActivity(greet, name, { startToCloseTimeout: "10s" });
 *   await ctx.sleep("1m");
 *   ctx.log.info("greeted", { name, at: ctx.now().toISOString() });
 *   return greeting;
 * }
 */
export interface WorkflowContext {
  readonly executionId: string;
  /** This run's id: a new one after a continue-as-new or a reset (as describe's `run_id`). */
  readonly runId: string;
  readonly workflowName: string;
  readonly taskQueue: string;
  /** Attempt of this run (from 1; a schedule's failure retries start a new attempt). */
  readonly attempt: number;
  /** The schedule payload when a schedule started this run, else null. */
  readonly schedule: ScheduleInfo | null;
  /**
   * True once the platform suggests continuing as new (the run's history passed 10,000 events or 10 MiB):
   * check it between iterations of a long loop and call {@link WorkflowContext.continueAsNew}.
   */
  readonly continueAsNewSuggested: boolean;
  /** True once the execution has been asked to cancel. */
  readonly cancelRequested: boolean;
  /** True while the code is being replayed from history (its effects were already recorded). */
  readonly isReplaying: boolean;
  readonly log: WorkflowLogger;
  /**
   * Schedules an activity and resolves with its result, or rejects with an `ActivityFailure` once
   * it finally failed or timed out (retries happen on the platform), or with `CancelledError`.
   */
  executeActivity<I, O>(activity: ActivityDefinition<I, O>, input: I, options?: ActivityCallOptions): Promise<O>;
  executeActivity<O = unknown>(activityType: string, input?: unknown, options?: ActivityCallOptions): Promise<O>;
  /**
   * Runs another workflow as a child of this one and resolves with its result (default), or rejects
   * with a `ChildWorkflowFailure` when it failed, timed out, was cancelled or terminated, or could
   * not start (`status` says which; `cause` is the child's error) — or with `CancelledError` once
   * this execution is asked to cancel. The child's id is `{this execution id}:child-{n}` (from the
   * run's second run on, after a continue-as-new or reset: `{this execution id}:run-{r}:child-{n}`)
   * unless `executionId` is given; its parent close policy defaults to `TERMINATE`.
   *
   * With `wait: false` it resolves at once with a {@link ChildWorkflowHandle} (`executionId`,
   * `started`, `result()`) and the policy defaults to `ABANDON`: the child keeps running after
   * this run ends. A handle settles from the child's own events only: a cancel request to this
   * execution does not reject it. Replay matches the child by its number and workflow name.
   * @example
   * const receipt = await ctx.executeChildWorkflow(chargeCard, { orderId }, { executionTimeout: "1h" });
   * const audit = await ctx.executeChildWorkflow(auditTrail, { orderId }, { wait: false });
   * ctx.log.info("audit started", { id: audit.executionId, run: (await audit.started).runId });
   */
  executeChildWorkflow<I, O>(workflow: WorkflowDefinition<I, O>, input: I, options?: ChildWorkflowOptions & { wait?: true }): Promise<O>;
  executeChildWorkflow<I, O>(workflow: WorkflowDefinition<I, O>, input: I, options: ChildWorkflowOptions & { wait: false }): Promise<ChildWorkflowHandle<O>>;
  executeChildWorkflow<O = unknown>(workflow: string, input?: unknown, options?: ChildWorkflowOptions & { wait?: true }): Promise<O>;
  executeChildWorkflow<O = unknown>(workflow: string, input: unknown, options: ChildWorkflowOptions & { wait: false }): Promise<ChildWorkflowHandle<O>>;
  executeChildWorkflow<O = unknown>(workflow: WorkflowDefinition<unknown, O> | string, input: unknown, options: ChildWorkflowOptions): Promise<O | ChildWorkflowHandle<O>>;
  /**
   * Durable steps, Polos' way: `ctx.step.run(name, fn, ...args)` runs `fn(...args)` right here in
   * the worker, records its outcome in history, and resolves with it (through JSON, as recorded);
   * a replay returns the recorded outcome and never calls `fn` again. A step that throws rejects
   * with the recorded failure (an `ApplicationFailure`); it is not retried. Steps run at least once:
   * if the worker dies before the workflow task completes, the next attempt runs them again. For
   * retries, timeouts, heartbeats or work on other machines, use an activity.
   * @example
   * const data = await ctx.step.run("fetch_data", fetchDailyData);
   * const report = await ctx.step.run("generate", createReport, data);
   */
  readonly step: WorkflowSteps;
  /**
   * Ends this run and starts a fresh one of the same workflow under the same execution id, with
   * `input` and an empty history (`run_number` + 1). Never returns: it throws a `ContinueAsNew`
   * the runtime catches, so write `return ctx.continueAsNew(next)`. Commands emitted before it in
   * the same task are kept; nothing after it is sent. Open children follow their parent close
   * policy; pending activities and timers end with this run; updates it accepted and has not
   * completed fail, those not yet accepted go to the new run.
   * @example
   * if (ctx.continueAsNewSuggested || processed >= 1000) return ctx.continueAsNew({ cursor });
   */
  continueAsNew(input: unknown, options?: { executionTimeout?: Duration }): never;
  /** A durable timer: resolves after `duration` (of platform time), surviving worker restarts. */
  sleep(duration: Duration): Promise<void>;
  /** Deterministic time: when the platform started the workflow task being processed. */
  now(): Date;
  /** Deterministic pseudo-random number in [0, 1), seeded from the run id. */
  random(): number;
  /** Deterministic RFC 4122 version-4 UUID drawn from {@link WorkflowContext.random}'s generator. */
  uuid(): string;
  /**
   * Changes workflow code safely for runs already in flight (Temporal's `patched`). Code running
   * for the first time (past the end of its run's history) gets true, and a `marker_recorded`
   * event is written for `patchId` (once per run). A replay gets true where history recorded that
   * marker (in the workflow task being replayed or an earlier one), and false where it did not —
   * history written by code from before the patch — so old runs replay their old branch and new
   * ones take the new branch. Once true in a run, true for the rest of it. `patchId`: 1-200
   * characters; an invalid one fails the workflow task (not the run). Life cycle: `patched` →
   * {@link WorkflowContext.deprecatePatch} once no run started before the patch is open → removed
   * once no run started before the deprecation is open.
   * @example
   * if (ctx.patched("send-receipt")) await ctx.executeActivity(sendReceipt, order);
   * else await ctx.executeActivity(sendEmail, order);
   */
  patched(patchId: string): boolean;
  /**
   * The second step of a patch's life cycle, once every run that could take the old branch has
   * closed: keep only the new code and call this where `ctx.patched(patchId)` was. Live, it
   * records the marker as deprecated; replays of histories with or without the marker both
   * succeed. Call it exactly where `ctx.patched(patchId)` was: a marker `patched` recorded must
   * stay in place. Once no run written by `patched` code is open, the call may move (where history
   * has no marker for it, it is passed over).
   * Once no run started before the deprecation is open, remove the call: a deprecated
   * marker the code no longer asks for is skipped on replay (one that is not deprecated is a
   * non-determinism error).
   * @example
   * ctx.deprecatePatch("send-receipt");
   * await ctx.executeActivity(sendReceipt, order);
   */
  deprecatePatch(patchId: string): void;
  /**
   * Sets (or with `undefined` removes) the handler of signal `name`. Signals are delivered in
   * history order; those that arrived before their handler was set are buffered and delivered,
   * in order, as soon as it is set.
   * @example ctx.setSignalHandler("approve", (data: { approver: string }) => { approvedBy = data.approver; });
   */
  setSignalHandler<I = unknown>(name: string, handler: SignalHandler<I> | undefined, options?: HandlerOptions): void;
  /**
   * Sets (or removes) the handler of query `name`: synchronous and read-only (see {@link QueryHandler}).
   * @example ctx.setQueryHandler("get_status", () => ({ status, progress }));
   */
  setQueryHandler<I = unknown, O = unknown>(name: string, handler: QueryHandler<I, O> | undefined, options?: HandlerOptions): void;
  /**
   * Sets (or removes) the handler of update `name`, with an optional validator that rejects an
   * update before anything is written to history. An update accepted before its handler was set
   * waits for it, like a signal.
   * @example
   * ctx.setUpdateHandler("update_config", async (cfg: Config) => { config = cfg; return { success: true } }, {
   *   validator: (cfg) => { if (cfg.limit < 0) throw ApplicationFailure.nonRetryable("limit must be >= 0", "InvalidConfig"); },
   * });
   */
  setUpdateHandler<I = unknown, O = unknown>(name: string, handler: UpdateHandler<I, O> | undefined, options?: UpdateHandlerOptions<I>): void;
  /**
   * Resolves once `fn()` is true: checked now, then after every event the workflow reacts to
   * (signal, update, activity result, timer…). With a `timeout`, a durable timer is started; if it
   * fires first the promise rejects with a `TimeoutFailure` (`timeoutType` `"wait_condition"`),
   * and if the condition wins the timer is cancelled. Rejects with `CancelledError` when the
   * execution is asked to cancel. `fn` must be read-only and deterministic.
   * @example await ctx.waitCondition(() => approvedBy !== null, "2d");
   */
  waitCondition(fn: () => boolean, timeout?: Duration): Promise<void>;
  /**
   * True when no signal or update handler is still running (has not settled its promise). Await
   * `ctx.waitCondition(ctx.allHandlersFinished)` before returning so updates in flight complete.
   */
  allHandlersFinished(): boolean;
}

/** Options of one step: `ctx.step.run(name, options, fn, ...args)`. */
export interface StepOptions {
  /**
   * How long the step may take (at most 24 days): past it, the step is recorded as failed
   * (`StepTimedOut`, not retried). The function itself cannot be stopped and keeps running in the
   * worker; what it returns later is ignored. Steps called together settle together, so the
   * workflow sees the timeout once the other steps of that round have finished. Default: no limit.
   */
  timeout?: Duration;
}

/** `ctx.step`: see {@link WorkflowContext.step}. */
export interface WorkflowSteps {
  run<A extends unknown[], R>(name: string, fn: (...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>>;
  run<A extends unknown[], R>(name: string, options: StepOptions, fn: (...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>>;
}

/** The schedule payload of a run (`execution_started.schedule`) as the workflow sees it, camelCase. */
export function scheduleInfo(s: SchedulePayload | null): ScheduleInfo | null {
  if (s === null) return null;
  return Object.freeze({
    timestamp: s.timestamp,
    actualTimestamp: s.actual_timestamp,
    lastTimestamp: s.last_timestamp,
    timezone: s.timezone,
    scheduleId: s.schedule_id,
    key: s.key,
    upcoming: s.upcoming,
  });
}
