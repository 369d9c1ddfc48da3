import type { ActivityCallOptions } from "./activity-options.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { Duration } from "./duration.ts";

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
  readonly runId: string;
  readonly workflowName: string;
  readonly taskQueue: string;
  /** Attempt of this run (from 1; a schedule's failure retries start a new attempt). */
  readonly attempt: number;
  /** The schedule payload when a schedule started this run, else null. */
  readonly schedule: ScheduleInfo | null;
  /** True once the platform suggests continuing as new (the history grew large). */
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
  /** A durable timer: resolves after `duration` (of platform time), surviving worker restarts. */
  sleep(duration: Duration): Promise<void>;
  /** Deterministic time: when the platform started the workflow task being processed. */
  now(): Date;
  /** Deterministic pseudo-random number in [0, 1), seeded from the run id. */
  random(): number;
  /** Deterministic RFC 4122 version-4 UUID drawn from {@link WorkflowContext.random}'s generator. */
  uuid(): string;
}
