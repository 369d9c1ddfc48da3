import { z } from "zod";

/**
 * {@link Failure}'s output and input types, spelled out: zod cannot infer a recursive type, and a
 * bare `z.ZodType` would type every `cause` (and the SDK's `FailureInfo.cause`) as `unknown`.
 * Exported because the declarations of every schema holding a failure name them.
 */
export interface FailureOutput { message: string; type: string; non_retryable: boolean; stack?: string | undefined; details?: unknown; cause?: FailureOutput | undefined }
/** {@link Failure} as a request may send it: what has a default may be left out. */
export interface FailureInput { message: string; type?: string | undefined; non_retryable?: boolean | undefined; stack?: string | undefined; details?: unknown; cause?: FailureInput | undefined }

/** A failure as it crosses the wire and sits in history (Temporal's `Failure`, flattened). */
export const Failure = z.strictObject({
  message: z.string().max(32_768),
  /** Error class / application error type, matched against `non_retryable_error_types`. */
  type: z.string().max(256).default("Error"),
  non_retryable: z.boolean().default(false),
  stack: z.string().max(32_768).optional(),
  details: z.unknown().optional(),
  /** The failure that caused this one: a failure too. */
  cause: z.lazy((): z.ZodType<FailureOutput, FailureInput> => Failure).optional(),
}).meta({ id: "Failure" });
export type Failure = z.output<typeof Failure>;

/**
 * A failure as the platform's answers carry it (an execution's `failure`, a pending activity's
 * `last_failure`, a result, an update's outcome, history events, a problem's `failure`), read by
 * the SDK's client: {@link Failure}'s fields and defaults, of the same type, but a field it does
 * not know is dropped rather than refused, and no length is checked. A platform newer than the
 * client may add a field to a failure; with {@link Failure}'s strictness the whole answer would be
 * refused as `invalid_response` (or, in a problem, its `code` lost). Requests keep {@link Failure}.
 */
export const FailureAnswer: z.ZodType<FailureOutput, FailureInput> = z.object({
  message: z.string(),
  type: z.string().default("Error"),
  non_retryable: z.boolean().default(false),
  stack: z.string().optional(),
  details: z.unknown().optional(),
  cause: z.lazy(() => FailureAnswer).optional(),
});

/**
 * Refines a message that answers with a result or a failure (an update's completion, a query's
 * answer): both at once is refused, naming `failure`, since one of them would silently win.
 * `result: null` counts as a result (it is a value on the wire).
 *
 * @example
 * z.strictObject({ result: z.unknown().optional(), failure: Failure.optional() }).superRefine(resultOrFailure);
 */
export function resultOrFailure(m: { result?: unknown; failure?: unknown }, ctx: z.RefinementCtx): void {
  if (m.result !== undefined && m.failure !== undefined) ctx.addIssue({ code: "custom", path: ["failure"], message: "carries a result or a failure, not both" });
}

/**
 * A failure cut to its message (at most 4 KiB), type and retry flag, with `details.truncated` and
 * the size it had (`bytes`, null when it was not JSON): how the SDK sends a failure too large to
 * send, and how describe shows pending activities' failures past its budget.
 */
export function truncatedFailure(failure: Failure, bytes: number | null): Failure {
  const message = failure.message.length > 4_096 ? `${failure.message.slice(0, 4_096)}… (truncated)` : failure.message;
  return { message, type: failure.type, non_retryable: failure.non_retryable, details: { truncated: true, bytes } };
}

/** Activity retry policy on the wire (seconds). Defaults: 1 s, x2, 100 x initial, unlimited attempts. */
export const RetryPolicy = z.strictObject({
  initial_interval: z.number().positive().max(86_400 * 365).default(1),
  backoff_coefficient: z.number().min(1).max(100).default(2),
  maximum_interval: z.number().positive().max(86_400 * 365).optional(),
  maximum_attempts: z.number().int().min(0).max(1_000_000).default(0),
  non_retryable_error_types: z.array(z.string().max(256)).max(100).default([]),
});
export type RetryPolicy = z.output<typeof RetryPolicy>;

/**
 * The failure type with which a worker shutting down hands back an activity attempt it could not
 * finish: the platform gives the same attempt to another worker at once, spending no retry
 * (unless the same attempt is handed back or lost more than 3 times).
 */
export const HANDED_BACK_FAILURE_TYPE = "WorkerShutdown";
