import { ScheduleActivityOptions as WireActivityOptionsSchema } from "../protocol/commands.ts";
import type { ActivityOptions as WireActivityOptions } from "../protocol/history.ts";
import { optionNames, optionPath, rejectUnknownOptions } from "../client/options.ts";
import { optionalSeconds, type Duration } from "./duration.ts";

/**
 * How the platform retries an activity (Temporal's names). Defaults, applied by the platform:
 * 1 s initial interval, ×2 per attempt, capped at 100 × the initial interval, unlimited attempts.
 * @example
 * const retry: RetryOptions = { initialInterval: "2s", maximumAttempts: 5, nonRetryableErrorTypes: ["CardDeclined"] };
 */
export interface RetryOptions {
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maximumInterval?: Duration;
  /** Attempts in total, the first included; 0 = unlimited. */
  maximumAttempts?: number;
  /** Error types (`ApplicationFailure.type` or an error's `name`) that are never retried. */
  nonRetryableErrorTypes?: string[];
}

/**
 * Options of one activity call.
 * @example
 * await ctx.executeActivity(sendEmail, to, { startToCloseTimeout: "30s", retry: { maximumAttempts: 3 } });
 */
export interface ActivityCallOptions {
  /** Longest one attempt may run. */
  startToCloseTimeout?: Duration;
  /** Longest the whole call may take, retries included. */
  scheduleToCloseTimeout?: Duration;
  /** An attempt that does not heartbeat for this long is considered lost and retried elsewhere. */
  heartbeatTimeout?: Duration;
  retry?: RetryOptions;
  /** Task queue of the workers that run this activity (default: the workflow's). */
  taskQueue?: string;
}

const ACTIVITY_CALL_OPTIONS = optionNames({ startToCloseTimeout: true, scheduleToCloseTimeout: true, heartbeatTimeout: true, retry: true, taskQueue: true } satisfies Record<keyof ActivityCallOptions, true>);
const RETRY_OPTIONS = optionNames({ initialInterval: true, backoffCoefficient: true, maximumInterval: true, maximumAttempts: true, nonRetryableErrorTypes: true } satisfies Record<keyof RetryOptions, true>);

/**
 * Throws a `TypeError` naming an activity option (or `retry` field) that is not one, under `where`:
 * a misspelt `retry: { maximumAttempt: 3 }` would be dropped and the platform's unlimited attempts
 * used in silence (code run with Node's type stripping is never type-checked).
 * @example rejectUnknownActivityOptions({ retry: { maximumAttempt: 3 } }, 'defineActivity("a").options')
 * // TypeError: defineActivity("a").options.retry.maximumAttempt: unknown option; expected one of initialInterval, …
 */
export function rejectUnknownActivityOptions(options: ActivityCallOptions, where: string): void {
  rejectUnknownOptions(options, ACTIVITY_CALL_OPTIONS, where);
  if (options.retry !== undefined) rejectUnknownOptions(options.retry, RETRY_OPTIONS, optionPath(where, "retry"));
}

/** Merges per-call options over an activity's defaults (the retry policy is merged field by field). */
export function mergeActivityOptions(base: ActivityCallOptions | undefined, over: ActivityCallOptions | undefined): ActivityCallOptions {
  if (base === undefined) return over ?? {};
  if (over === undefined) return base;
  const retry = base.retry === undefined && over.retry === undefined ? undefined : { ...base.retry, ...over.retry };
  return { ...base, ...over, ...(retry === undefined ? {} : { retry }) };
}

/**
 * The one place activity options become the wire's snake_case seconds. Throws a `TypeError` naming
 * the option when a duration is malformed, so the mistake surfaces inside the workflow code.
 */
export function toWireActivityOptions(options: ActivityCallOptions): WireActivityOptions {
  const wire: WireActivityOptions = {};
  const set = <K extends keyof WireActivityOptions>(key: K, value: WireActivityOptions[K] | undefined): void => {
    if (value !== undefined) wire[key] = value;
  };
  set("task_queue", options.taskQueue);
  set("start_to_close_timeout", optionalSeconds(options.startToCloseTimeout, "startToCloseTimeout"));
  set("schedule_to_close_timeout", optionalSeconds(options.scheduleToCloseTimeout, "scheduleToCloseTimeout"));
  set("heartbeat_timeout", optionalSeconds(options.heartbeatTimeout, "heartbeatTimeout"));
  if (options.retry !== undefined) {
    const r = options.retry;
    const retry: NonNullable<WireActivityOptions["retry"]> = {};
    if (r.initialInterval !== undefined) retry.initial_interval = optionalSeconds(r.initialInterval, "retry.initialInterval");
    if (r.backoffCoefficient !== undefined) retry.backoff_coefficient = r.backoffCoefficient;
    if (r.maximumInterval !== undefined) retry.maximum_interval = optionalSeconds(r.maximumInterval, "retry.maximumInterval");
    if (r.maximumAttempts !== undefined) retry.maximum_attempts = r.maximumAttempts;
    if (r.nonRetryableErrorTypes !== undefined) retry.non_retryable_error_types = [...r.nonRetryableErrorTypes];
    wire.retry = retry;
  }
  checkAgainstWire(wire);
  return wire;
}

/** The SDK's name of a wire option path: `retry.backoff_coefficient` → `retry.backoffCoefficient`. */
function camelPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())).join(".");
}

/**
 * Checks the options against the platform's own schema: one it refuses (a heartbeat timeout of two
 * days, a backoff coefficient under 1, a task queue name with a space) would refuse the whole
 * workflow task, retried until the run times out. Throws a `TypeError` in the workflow code instead.
 */
function checkAgainstWire(wire: WireActivityOptions): void {
  const r = WireActivityOptionsSchema.safeParse(wire);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  throw new TypeError(`activity option ${camelPath(issue.path)}: ${issue.message}`);
}
