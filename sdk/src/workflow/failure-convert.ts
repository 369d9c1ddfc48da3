import { truncatedFailure, type Failure } from "../protocol/failure.ts";
import { MAX_PAYLOAD_BYTES, payloadBytes, utf8Length } from "../protocol/execution.ts";
import { ActivityFailure, ApplicationFailure, CancelledError, ChildWorkflowFailure, TimeoutFailure } from "./errors.ts";

/** The wire caps message and stack at 32 KiB; a longer one would get the whole completion rejected. */
const MAX_TEXT = 32_768;
/** Causes deeper than this are cut (and a cycle cannot loop forever). */
const MAX_CAUSE_DEPTH = 8;

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 15)}… (truncated)`;
}

/**
 * The failure type of a thrown error: an ApplicationFailure's `type`, else the error's `name`; a
 * subclass that keeps the inherited name `"Error"` (`class BadAddress extends Error {}`) is known by
 * its class name, so `nonRetryableErrorTypes: ["BadAddress"]` matches it.
 */
function typeOf(err: ErrorLike): string {
  if (err instanceof ApplicationFailure) return err.type;
  if (typeof err.name === "string" && err.name !== "" && err.name !== "Error") return err.name;
  if (!(err instanceof Error)) return "Error";
  const className: unknown = err.constructor?.name;
  return typeof className === "string" && className !== "" ? className : "Error";
}

/** What a failure is read from: an Error, or a value shaped like one (see {@link isErrorLike}); its fields hold anything. */
type ErrorLike = { message: unknown; name?: unknown; stack?: unknown; cause?: unknown };

/**
 * An Error from another realm (a `vm` context, a sandboxing test runner) fails `instanceof Error`,
 * as does a `{ name, message }` thrown by hand: both keep their message and name rather than
 * becoming their JSON.
 */
function isErrorLike(value: unknown): value is ErrorLike {
  return value instanceof Error || (typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string");
}

/**
 * Turns anything thrown into the wire's {@link Failure}: an {@link ApplicationFailure} keeps its
 * `type`, `nonRetryable` and `details`; any other `Error` uses its `name` as `type` (its class name
 * when it kept the name `"Error"`) and is retryable; any other value is a retryable `"Error"` whose
 * message is its text (one shaped like an error keeps its message and name). Never throws.
 * A failure the platform would refuse (more than 256 KiB of JSON with its details, stack and causes,
 * or details that are not JSON) keeps its message, type and retry flag only (see {@link boundFailure}).
 * @example errorToFailure(new TypeError("x")) // { message: "x", type: "TypeError", non_retryable: false, ... }
 */
export function errorToFailure(err: unknown): Failure {
  return boundFailure(toFailure(err, 0));
}

/**
 * A failure as the platform takes it: one more than {@link MAX_PAYLOAD_BYTES} of JSON, or not
 * JSON, is cut to its message (at most 4 KiB), type and retry flag, with `details.truncated`. Sent
 * whole it would be refused with the task that carries it. Depends only on the failure, so a replay
 * cuts the same way.
 */
export function boundFailure(failure: Failure): Failure {
  let bytes: number | null;
  try {
    const json = JSON.stringify(failure);
    if (payloadBytes(json) <= MAX_PAYLOAD_BYTES) return failure;
    bytes = utf8Length(json);
  } catch {
    bytes = null; // details or a cause that is not JSON
  }
  return truncatedFailure(failure, bytes);
}

function toFailure(err: unknown, depth: number): Failure {
  if (!isErrorLike(err)) return { message: clip(textOf(err)), type: "Error", non_retryable: false };
  const failure: Failure = {
    message: clip(textOf(err.message)),
    type: typeOf(err),
    non_retryable: err instanceof ApplicationFailure ? err.nonRetryable : false,
  };
  if (typeof err.stack === "string") failure.stack = clip(err.stack);
  if (err instanceof ApplicationFailure && err.details !== undefined) failure.details = err.details;
  if (err instanceof TimeoutFailure) failure.details = { timeout_type: err.timeoutType };
  if (err instanceof ActivityFailure) failure.details = { activity_type: err.activityType, seq: err.seq, attempt: err.attempt };
  if (err instanceof ChildWorkflowFailure) failure.details = { workflow: err.workflow, execution_id: err.executionId, seq: err.seq, status: err.status };
  const rest = err instanceof Error ? undefined : otherFields(err);
  if (rest !== undefined) failure.details = rest;
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) failure.cause = toFailure(err.cause, depth + 1);
  return failure;
}

/**
 * A thrown plain object shaped like an error (`{ message, code }`) keeps its other fields as the
 * failure's `details`, as its JSON message kept them before it was read as an error; undefined when
 * it has none, or they are not JSON (boundFailure would drop them).
 */
function otherFields(err: ErrorLike): Record<string, unknown> | undefined {
  if (Object.prototype.toString.call(err) === "[object Error]") return undefined; // an Error from another realm
  const rest: Record<string, unknown> = {};
  try {
    for (const [k, v] of Object.entries(err)) if (k !== "message" && k !== "name" && k !== "stack" && k !== "cause") rest[k] = v;
    return Object.keys(rest).length > 0 && JSON.stringify(rest) !== undefined ? rest : undefined;
  } catch {
    return undefined; // a getter that throws, a cycle, a BigInt
  }
}

/**
 * Turns a wire {@link Failure} back into an error a workflow can catch: `CancelledError` for
 * cancellations, otherwise an {@link ApplicationFailure} carrying the failure's type, retry flag,
 * details, remote stack and cause chain.
 */
export function failureToError(failure: Failure, depth = 0): ApplicationFailure | CancelledError {
  if (failure.type === "CancelledError") return new CancelledError(failure.message);
  const cause = failure.cause !== undefined && depth < MAX_CAUSE_DEPTH ? failureToError(failure.cause, depth + 1) : undefined;
  const err = new ApplicationFailure(failure.message, { type: failure.type, nonRetryable: failure.non_retryable, details: failure.details, cause });
  if (failure.stack !== undefined) err.stack = failure.stack;
  return err;
}

/**
 * The text of any thrown value, never throwing itself: a string as is, else its JSON, else what
 * `String` makes of it, else its tag (`[object Object]` for a cycle without a prototype, which has
 * neither JSON nor `toString`): a converter that threw would leave the attempt unreported until its timeout.
 */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Not JSON (a cycle, a BigInt): try its string form.
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
