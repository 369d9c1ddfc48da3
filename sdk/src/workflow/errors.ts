/**
 * An error that carries its retry behaviour across the wire (Temporal's `ApplicationFailure`).
 * Throw it from an activity to control retries (`nonRetryable`, or a `type` listed in the retry
 * policy's `nonRetryableErrorTypes`); throw it from a workflow to fail the run with a typed failure.
 * @example
 * throw ApplicationFailure.nonRetryable("card declined", "CardDeclined", { last4: "4242" });
 */
export class ApplicationFailure extends Error {
  /** Error type, matched against the retry policy's `nonRetryableErrorTypes`. */
  readonly type: string;
  /** When true the platform never retries the activity, whatever the policy says. */
  readonly nonRetryable: boolean;
  /** JSON details that travel with the failure. */
  readonly details: unknown;

  constructor(message: string, options: { type?: string; nonRetryable?: boolean; details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApplicationFailure";
    this.type = options.type ?? "ApplicationFailure";
    this.nonRetryable = options.nonRetryable ?? false;
    this.details = options.details;
  }

  /**
   * A failure the platform retries per the activity's retry policy.
   * @example throw ApplicationFailure.retryable("upstream busy", "Busy");
   */
  static retryable(message: string, type?: string, details?: unknown): ApplicationFailure {
    return new ApplicationFailure(message, { type, nonRetryable: false, details });
  }

  /**
   * A failure that is never retried.
   * @example throw ApplicationFailure.nonRetryable("no such user", "UserNotFound");
   */
  static nonRetryable(message: string, type?: string, details?: unknown): ApplicationFailure {
    return new ApplicationFailure(message, { type, nonRetryable: true, details });
  }
}

/** Which timeout a {@link TimeoutFailure} reports. */
export type TimeoutType = "start_to_close" | "schedule_to_close" | "heartbeat" | "wait_condition";

/**
 * A timeout as the workflow sees it: the `cause` of an {@link ActivityFailure} when the platform
 * recorded `activity_timed_out`, or the rejection of `ctx.waitCondition(fn, timeout)` when its
 * timer fired before the condition became true (`timeoutType` `"wait_condition"`).
 * @example
 * if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) console.log(err.cause.timeoutType);
 * try { await ctx.waitCondition(() => approved, "2d"); } catch (err) { if (err instanceof TimeoutFailure) escalate(); }
 */
export class TimeoutFailure extends Error {
  /** Which timeout fired. */
  readonly timeoutType: TimeoutType;

  constructor(timeoutType: TimeoutType, message = `${timeoutType} timeout`) {
    super(message);
    this.name = "TimeoutFailure";
    this.timeoutType = timeoutType;
  }
}

/**
 * The seeds' name for what a timed-out wait raises (Mistral: "a TimeoutError is raised"): the same
 * class as {@link TimeoutFailure}, so `err instanceof TimeoutError` works too.
 * @example try { await ctx.waitCondition(() => approved, "2d"); } catch (err) { if (err instanceof TimeoutError) escalate(); }
 */
export const TimeoutError = TimeoutFailure;
export type TimeoutError = TimeoutFailure;

/**
 * Query handlers and update validators run on replayed state and must not change it: calling
 * anything that would emit a command or move the deterministic state (`executeActivity`, `sleep`,
 * `waitCondition`, `random`, `uuid`, registering handlers…) inside one throws this error.
 * @example
 * ctx.setQueryHandler("status", () => ctx.executeActivity("x", null)); // the query fails with ReadOnlyContextError
 */
export class ReadOnlyContextError extends Error {
  /** The workflow API that was called, e.g. `ctx.executeActivity()`. */
  readonly api: string;
  /** Where it was called, e.g. `query handler "get_status"`. */
  readonly where: string;

  constructor(api: string, where: string) {
    super(`${api} is not allowed in ${where}: query handlers and update validators are read-only and synchronous (they run on replayed state and must not emit commands or change the workflow's state)`);
    this.name = "ReadOnlyContextError";
    this.api = api;
    this.where = where;
  }
}

/**
 * Raised inside a workflow when an activity finally failed (after the platform's retries) or timed
 * out. `cause` is the activity's own error (an {@link ApplicationFailure}) or a {@link TimeoutFailure}.
 * @example
 * try {
 *   await ctx.executeActivity(charge, order);
 * } catch (err) {
 *   if (err instanceof ActivityFailure) await ctx.executeActivity(refund, order);
 *   else throw err;
 * }
 */
export class ActivityFailure extends Error {
  readonly activityType: string;
  /** The activity's command number within the run. */
  readonly seq: number;
  /** The attempt that produced the final failure. */
  readonly attempt: number;
  /** The activity's own error ({@link ApplicationFailure}) or a {@link TimeoutFailure}. */
  declare readonly cause: Error;

  constructor(activityType: string, seq: number, attempt: number, cause: Error) {
    super(`activity "${activityType}" (seq ${seq}) ${cause instanceof TimeoutFailure ? "timed out" : "failed"} after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${cause.message}`, { cause });
    this.name = "ActivityFailure";
    this.activityType = activityType;
    this.seq = seq;
    this.attempt = attempt;
  }
}

/**
 * Cancellation. Inside a workflow, pending activities and timers reject with it once the execution
 * is asked to cancel; a workflow that lets it escape `run()` ends as `cancelled`. Inside an
 * activity it is the `signal.reason` when the platform reports the activity cancelled.
 * @example
 * try {
 *   await ctx.sleep("1d");
 * } catch (err) {
 *   if (err instanceof CancelledError) await ctx.executeActivity(cleanup, null);
 *   throw err;
 * }
 */
export class CancelledError extends Error {
  constructor(message = "cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

/**
 * The workflow code no longer produces the commands its history recorded (code changed under a
 * running execution, or it used `Date.now()`/`Math.random()` instead of `ctx.now()`/`ctx.random()`).
 * The worker fails the workflow TASK with it, never the run: fix or revert the code and the next
 * attempt continues. The message names the history event and both sides.
 */
export class NonDeterminismError extends Error {
  /** Id of the history event where code and history part ways. */
  readonly eventId: number;
  /** Type of that history event. */
  readonly eventType: string;
  /** What the history recorded there. */
  readonly recorded: string;
  /** What the workflow code did instead. */
  readonly emitted: string;

  constructor(message: string, details: { eventId: number; eventType: string; recorded: string; emitted: string }) {
    super(message);
    this.name = "NonDeterminismError";
    this.eventId = details.eventId;
    this.eventType = details.eventType;
    this.recorded = details.recorded;
    this.emitted = details.emitted;
  }
}

/**
 * How a child workflow ended without a result: `failed`, `timed_out`, `cancelled`, `terminated`
 * (the child's own status), or `start_failed` (it could not start: its id belongs to another
 * execution — cause type `ChildWorkflowStartFailed` —, or the child workflow's registered input
 * schema refused its input — cause type `InvalidInput`, `details.field` the path at fault). Other
 * strings are passed through as the platform wrote them.
 */
export type ChildWorkflowFailureStatus = "failed" | "timed_out" | "cancelled" | "terminated" | "start_failed" | (string & {});

/**
 * Raised inside a parent workflow when a child it awaits ended without a result, or could not be
 * started. `status` says how; `cause` is the child's own failure (an {@link ApplicationFailure},
 * or a {@link CancelledError} when the child ended cancelled).
 * @example
 * try {
 *   await ctx.executeChildWorkflow(chargeCard, { orderId });
 * } catch (err) {
 *   if (err instanceof ChildWorkflowFailure && err.status === "failed") await ctx.executeActivity(refund, orderId);
 *   else throw err;
 * }
 */
export class ChildWorkflowFailure extends Error {
  /** The child's workflow name. */
  readonly workflow: string;
  /** The child's execution id. */
  readonly executionId: string;
  /** The child's command number within the parent run. */
  readonly seq: number;
  readonly status: ChildWorkflowFailureStatus;
  /** The child's failure: an {@link ApplicationFailure} (type `Terminated`, `WORKFLOW_EXECUTION_TIMED_OUT`, …) or a {@link CancelledError}. */
  declare readonly cause: Error;

  constructor(workflow: string, executionId: string, seq: number, status: ChildWorkflowFailureStatus, cause: Error) {
    super(`child workflow "${workflow}" (${executionId}) ${describeChildStatus(status)}: ${cause.message}`, { cause });
    this.name = "ChildWorkflowFailure";
    this.workflow = workflow;
    this.executionId = executionId;
    this.seq = seq;
    this.status = status;
  }
}

function describeChildStatus(status: string): string {
  switch (status) {
    case "start_failed":
      return "could not start";
    case "timed_out":
      return "timed out";
    case "cancelled":
      return "was cancelled";
    case "terminated":
      return "was terminated";
    default:
      return status;
  }
}

/**
 * Thrown by `ctx.continueAsNew()` to stop the workflow code once the `continue_as_new` command is
 * emitted: the runtime recognises it, so the run neither completes nor fails. If your code catches
 * every error, rethrow this one (anything the run does after it is discarded anyway).
 * @example
 * try { await step(); } catch (err) { if (err instanceof ContinueAsNew) throw err; ctx.log.warn("step failed"); }
 */
export class ContinueAsNew extends Error {
  /** The input the next run starts with. */
  readonly input: unknown;

  constructor(input: unknown) {
    super("the workflow continued as new; this run is over");
    this.name = "ContinueAsNew";
    this.input = input;
  }
}
