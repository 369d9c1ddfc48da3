import { backoffDelay, sleep } from "./backoff.ts";
import { isRequestTimeout, isTransient, retryDelay } from "./errors.ts";

// Requests the platform holds open (a result, an update's outcome, a start that waits): how long
// each asks to be held, when it is given up, and the backoff between tries.

/**
 * `waitSeconds` clamped to what the platform accepts (1-60 s; default 30; never 0, a busy loop); not
 * a finite number, a TypeError naming it before anything is sent (NaN would go out as null: a 422).
 */
export function holdSeconds(call: string, asked: number | undefined): number {
  if (asked === undefined) return 30;
  if (typeof asked !== "number" || !Number.isFinite(asked)) {
    throw new TypeError(`${call}: waitSeconds must be a finite number of seconds (1-60, nearer values are used), got ${typeof asked === "string" ? JSON.stringify(asked) : String(asked)}`);
  }
  return Math.min(60, Math.max(1, asked));
}

/**
 * After a failed request: throws it unless it is transient and time remains (a request left
 * unanswered past the deadline throws `timedOut()` when given); else waits the backoff for
 * `failures` in a row, or the answer's `Retry-After` when the platform asked for longer.
 */
export async function backOffOrThrow(err: unknown, failures: number, deadline: number, signal: AbortSignal | undefined, timedOut?: () => Error): Promise<void> {
  signal?.throwIfAborted();
  if (timedOut && isRequestTimeout(err) && Date.now() >= deadline) throw timedOut();
  if (!isTransient(err) || Date.now() >= deadline) throw err;
  await sleep(Math.min(retryDelay(err, backoffDelay(failures, 250, 5_000)), Math.max(0, deadline - Date.now())), signal);
}

/**
 * How long past its hold a held request waits for the answer before it is given up (a hung
 * platform, a black-holed connection) and asked again, or the call times out: short, since the
 * call's own timeout waits on it, and a request asked again costs nothing but itself.
 */
const HOLD_MARGIN_MS = 1_000;

/**
 * The deadline of a request the platform holds `waitSeconds`, and no later than the margin past the
 * call's own `deadline`: the hold is the time left rounded up to whole seconds, and a call that
 * waited on all of it when the platform hangs would end up to 2 s after its timeout.
 */
export function heldTimeoutMs(waitSeconds: number, deadline = Infinity): number {
  return Math.min(waitSeconds * 1000, Math.max(0, deadline - Date.now())) + HOLD_MARGIN_MS;
}

/** Seconds to hold one request: `hold`, but not past the deadline. */
export function waitFor(hold: number, deadline: number): number {
  return Math.max(0, Math.min(hold, Math.ceil((deadline - Date.now()) / 1000)));
}
