import { MAX_PAYLOAD_BYTES, payloadBytes, utf8Length } from "../protocol/execution.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { ApplicationFailure } from "./errors.ts";
import { markHandled } from "./promises.ts";

/**
 * Checks a payload the workflow hands to the platform (an activity or child input, a result, a
 * continue-as-new input) before it becomes a command: one the platform would refuse (more than
 * {@link MAX_PAYLOAD_BYTES} of JSON, or not JSON) throws a non-retryable `PayloadTooLarge` /
 * `PayloadNotJson` ApplicationFailure here, in the workflow, where the code can catch it. Sent as
 * is, it would be refused with the whole task, every retry alike. The check only depends on the
 * value, so a replay decides the same way. Returns the value's JSON (undefined for undefined).
 */
export function checkPayload(value: unknown, what: string): string | undefined {
  let json: string | undefined;
  try {
    json = value === undefined ? undefined : JSON.stringify(value);
  } catch (err) {
    throw new ApplicationFailure(`${what} cannot be sent as JSON: ${err instanceof Error ? err.message : String(err)}`, { type: "PayloadNotJson", nonRetryable: true });
  }
  if (json === undefined || payloadBytes(json) <= MAX_PAYLOAD_BYTES) return json;
  throw new ApplicationFailure(`${what} is ${utf8Length(json)} bytes of JSON, more than the ${MAX_PAYLOAD_BYTES} a payload may have; pass large data by reference (a URL or a key)`, { type: "PayloadTooLarge", nonRetryable: true });
}

/**
 * {@link checkPayload} for a command about to be emitted: the error when the platform would
 * refuse the payload, null when it may be sent. `next` is the command event history recorded where
 * the command goes (replays only): if `recorded` finds this very command there with this very
 * payload, an older platform took it, whatever today's check says, and the replay accepts it.
 */
export function refusedPayload(value: unknown, what: string, next: HistoryEvent | undefined, recorded: (e: HistoryEvent) => { payload: unknown } | null): { error: unknown } | null {
  try {
    checkPayload(value, what);
    return null;
  } catch (error) {
    const taken = next === undefined ? null : recorded(next);
    return taken !== null && sameJson(taken.payload, value) ? null : { error };
  }
}

/** A rejected promise the workflow may or may not await (never an unhandled rejection). */
export function rejected(error: unknown): Promise<never> {
  const p = Promise.reject(error);
  markHandled(p);
  return p;
}

/** Whether two values have the same JSON (false when either has none). */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
