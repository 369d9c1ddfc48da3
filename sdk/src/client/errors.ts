import type { Failure } from "../protocol/failure.ts";
import type { Problem } from "../protocol/problem.ts";
import { camelize, type Camelize } from "./camel.ts";

/**
 * An error answer from the Sundial API (an `application/problem+json` body, RFC 9457).
 * @example
 * try {
 *   await client.executions.get("nope");
 * } catch (err) {
 *   if (err instanceof SundialApiError && err.code === "execution_not_found") console.log("no such execution");
 * }
 */
export class SundialApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable string code, e.g. `validation_failed`, `execution_not_found`, `schedule_not_found`, `stale_task`. */
  readonly code: string;
  /** Dotted path of the request field at fault, when one is. */
  readonly field: string | undefined;
  /** Human-readable explanation. */
  readonly detail: string;
  readonly title: string;
  /** Problem type URI. */
  readonly type: string;
  /** Every field-level problem, for validation errors. */
  readonly errors: { field: string; message: string }[];
  /**
   * The workflow-side failure behind the error, when there is one: the query handler's error for
   * `query_failed`, the validator's for `update_rejected` (camelCase, `details` untouched).
   */
  readonly failure: Camelize<Failure> | undefined;
  /**
   * How long the platform asked callers to wait before retrying (its `Retry-After` header, in ms),
   * when it said: the 503s `object_unavailable` and `index_unavailable` (1 s) and `object_overloaded` (5 s).
   */
  readonly retryAfterMs: number | undefined;

  constructor(problem: Problem, retryAfterMs?: number) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = "SundialApiError";
    this.status = problem.status;
    this.code = problem.code;
    this.field = problem.field;
    this.detail = problem.detail;
    this.title = problem.title;
    this.type = problem.type;
    this.errors = problem.errors ?? [];
    this.failure = problem.failure === undefined ? undefined : camelize(problem.failure);
    this.retryAfterMs = retryAfterMs;
  }

  /** True for answers worth retrying as they are: 5xx, 429 and 408. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/**
 * The API could not be reached (connection refused or reset, DNS failure). Always transient.
 * @example if (err instanceof SundialConnectionError) console.log("is the platform running?", err.cause);
 */
export class SundialConnectionError extends Error {
  readonly transient = true;

  constructor(url: string, cause: unknown) {
    const reason = describeCause(cause);
    super(`cannot reach ${url}: ${reason}`, { cause });
    this.name = "SundialConnectionError";
  }
}

/**
 * `executions.result()` gave up waiting: the execution was still running when the caller's own
 * timeout passed. The execution itself is unaffected.
 */
export class ResultTimeoutError extends Error {
  readonly executionId: string;

  constructor(executionId: string, waitedMs: number) {
    super(`execution ${executionId} still running after ${Math.round(waitedMs / 1000)} s`);
    this.name = "ResultTimeoutError";
    this.executionId = executionId;
  }
}

/**
 * `executions.update()` got the update's outcome and it is a failure: the handler threw (the run
 * itself goes on). `failure` is what the handler threw, as recorded in `update_completed`.
 * @example
 * try { await client.executions.update("inv-1", "update_config", cfg); }
 * catch (err) { if (err instanceof UpdateFailedError) console.log(err.failure.type, err.failure.message); }
 */
export class UpdateFailedError extends Error {
  readonly executionId: string;
  readonly updateName: string;
  readonly updateId: string;
  readonly failure: Camelize<Failure>;

  constructor(executionId: string, updateName: string, updateId: string, failure: Camelize<Failure>) {
    super(`update "${updateName}" (${updateId}) of execution ${executionId} failed: ${failure.message}`);
    this.name = "UpdateFailedError";
    this.executionId = executionId;
    this.updateName = updateName;
    this.updateId = updateId;
    this.failure = failure;
  }
}

/**
 * `executions.update()` gave up waiting (its `wait` passed) while the update was still pending.
 * The update itself goes on: call `update()` again with the same `updateId` to get its result.
 */
export class UpdateTimeoutError extends Error {
  readonly executionId: string;
  readonly updateId: string;

  constructor(executionId: string, updateId: string, waitedMs: number) {
    super(`update ${updateId} of execution ${executionId} still pending after ${Math.round(waitedMs / 1000)} s (call update() again with the same updateId to keep waiting)`);
    this.name = "UpdateTimeoutError";
    this.executionId = executionId;
    this.updateId = updateId;
  }
}

/** The longest `Retry-After` the SDK waits out (a proxy may ask for hours; the platform asks for seconds). */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before retrying after `err`: the backoff of this attempt, or the error's
 * `Retry-After` when the platform asked for longer (at most a minute).
 * @example await sleep(retryDelay(err, backoffDelay(failures, 250, 5_000)));
 */
export function retryDelay(err: unknown, backoffMs: number): number {
  const asked = err instanceof SundialApiError ? (err.retryAfterMs ?? 0) : 0;
  return Math.max(backoffMs, Math.min(asked, MAX_RETRY_AFTER_MS));
}

/** Whether an error from the transport is worth retrying (network trouble, 5xx, 429, 408). */
export function isTransient(err: unknown): boolean {
  return err instanceof SundialConnectionError || (err instanceof SundialApiError && err.transient);
}

/** Whether a request was given up at its own `timeoutMs` (no answer in time), not aborted by the caller. */
export function isRequestTimeout(err: unknown): boolean {
  return err instanceof SundialConnectionError && err.cause instanceof Error && err.cause.name === "TimeoutError";
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  const code = inner instanceof Error ? ((inner as { code?: string }).code ?? inner.message) : undefined;
  return code === undefined ? cause.message : `${cause.message} (${code})`;
}
