/**
 * What every client call that sends a request takes, besides its own options: one shape across
 * executions, schedules, keys, registered workflows, task queues, `whoami` and `health`. A call
 * whose options are only these (`get`, `cancel`, `pause`, `describe`, `health`…) checks them as
 * the others check theirs: an unknown key (`{ singal }`) is a `TypeError`, before anything is sent.
 */
export interface CallOptions {
  /**
   * Aborts the call: the request in flight, any wait between retries, and a `listAll` between
   * pages and items. The call rejects with the signal's reason. An aborted write may still have
   * reached the platform: send it again with its idempotency key (`executionId`, `requestId`,
   * `updateId`…) to learn what it did.
   * @example
   * const outcome = await client.executions.result("order-17", { signal: AbortSignal.timeout(5_000) });
   */
  signal?: AbortSignal;
}
