/**
 * A run marks each signal request_id it recorded (in its completions table, beside the task
 * completions it applied), so a retried send is answered 202 `recorded: false` instead of being
 * recorded twice. The marks outlive the run that made them: continue-as-new, a reset and a new run
 * started on the closed execution (id_reuse_policy) hand the newest LIMITS.signalRequestIdsKept of
 * them to the next run. One key format for every writer and reader
 * (signals, continue-as-new, reset).
 */

/** Key prefix of a signal mark; other completions (`w:`, `a:`) are the run's own and never carried. */
export const SIGNAL_MARK_PREFIX = "s:";

/**
 * The completions key marking a signal's request_id as recorded.
 *
 * @example
 * signalMarkKey("r1") // "s:r1"
 */
export function signalMarkKey(requestId: string): string {
  return `${SIGNAL_MARK_PREFIX}${requestId}`;
}
