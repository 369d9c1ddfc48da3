import { LIMITS } from "./limits.ts";

/**
 * Delay before re-firing a failed scheduled run (Pipelit's backoff): the first delay, doubling per
 * retry, capped at 10x the first delay. `retry` counts from 1.
 * @example scheduleRetryDelaySeconds(60, 3) // 240
 */
export function scheduleRetryDelaySeconds(firstDelaySeconds: number, retry: number): number {
  const factor = Math.min(2 ** Math.max(0, retry - 1), LIMITS.retryBackoffCapFactor);
  return firstDelaySeconds * factor;
}

/** Activity retry policy (Temporal's names and defaults). */
export interface RetryPolicy {
  /** Seconds before the first retry (default 1). */
  initial_interval: number;
  /** Multiplier per attempt (default 2). */
  backoff_coefficient: number;
  /** Cap on the delay in seconds (default 100 x initial_interval). */
  maximum_interval?: number | undefined;
  /** Total attempts including the first; 0 = unlimited (default). */
  maximum_attempts: number;
  /** Error types that are never retried. */
  non_retryable_error_types: string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initial_interval: 1,
  backoff_coefficient: 2,
  maximum_attempts: 0,
  non_retryable_error_types: [],
};

/** Delay in seconds before attempt `attempt + 1`, after attempt `attempt` (counting from 1) failed. */
export function activityRetryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  const cap = policy.maximum_interval ?? policy.initial_interval * 100;
  return Math.min(cap, policy.initial_interval * policy.backoff_coefficient ** Math.max(0, attempt - 1));
}

/** Whether a failure on attempt `attempt` (from 1) is retried, and after how long. */
export function retryDecision(
  policy: RetryPolicy,
  attempt: number,
  failure: { type?: string | undefined; non_retryable?: boolean | undefined },
): { retry: false; reason: string } | { retry: true; delaySeconds: number } {
  if (failure.non_retryable) return { retry: false, reason: "non-retryable failure" };
  if (failure.type !== undefined && policy.non_retryable_error_types.includes(failure.type)) {
    return { retry: false, reason: `error type ${failure.type} is non-retryable` };
  }
  if (policy.maximum_attempts > 0 && attempt >= policy.maximum_attempts) {
    return { retry: false, reason: `maximum attempts (${policy.maximum_attempts}) reached` };
  }
  return { retry: true, delaySeconds: activityRetryDelaySeconds(policy, attempt) };
}

/**
 * How long an object waits before running an alarm again after `failures` alarms in a row failed:
 * 1 s, doubling, capped at 5 minutes. A failure that repeats must not turn into an alarm loop.
 * @example alarmRetryDelayMs(3) // 4000
 */
export function alarmRetryDelayMs(failures: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, failures - 1), 300_000);
}
