import { MAX_PAYLOAD_BYTES } from "../protocol/execution.ts";
import { ApplicationFailure } from "./errors.ts";

const utf8 = new TextEncoder();

/** UTF-8 bytes of a JSON text, as it travels in a task's completion. */
export function utf8Length(json: string): number {
  return utf8.encode(json).length;
}

/** UTF-8 bytes of a value's JSON (undefined: 0). Throws what JSON.stringify throws. */
export function jsonBytes(value: unknown): number {
  const json = value === undefined ? undefined : JSON.stringify(value);
  return json === undefined ? 0 : utf8Length(json);
}

/**
 * Checks a payload the workflow hands to the platform (an activity or child input, a result, a
 * continue-as-new input) before it becomes a command: one the platform would refuse (more than
 * {@link MAX_PAYLOAD_BYTES} of JSON, or not JSON) throws a non-retryable `PayloadTooLarge` /
 * `PayloadNotJson` ApplicationFailure here, in the workflow, where the code can catch it. Sent as
 * is, it would be refused with the whole task, every retry alike. The check only depends on the
 * value, so a replay decides the same way.
 */
export function checkPayload(value: unknown, what: string): void {
  let bytes: number;
  try {
    bytes = jsonBytes(value);
  } catch (err) {
    throw new ApplicationFailure(`${what} cannot be sent as JSON: ${err instanceof Error ? err.message : String(err)}`, { type: "PayloadNotJson", nonRetryable: true });
  }
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new ApplicationFailure(`${what} is ${bytes} bytes of JSON, more than the ${MAX_PAYLOAD_BYTES} a payload may have; pass large data by reference (a URL or a key)`, { type: "PayloadTooLarge", nonRetryable: true });
  }
}
