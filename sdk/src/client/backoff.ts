/**
 * Exponential backoff with full jitter: attempt 1 waits up to `baseMs`, each next attempt doubles,
 * capped at `maxMs`. Jitter spreads many workers reconnecting after an outage.
 * @example backoffDelay(3, 100, 10_000) // somewhere in [200, 400] ms
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts.
 * @example await sleep(500, controller.signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
