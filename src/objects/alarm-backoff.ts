import { alarmRetryDelayMs } from "../core/backoff.ts";

/**
 * The backoff of an object whose alarm work fails (DESIGN: an alarm records the failure and
 * re-arms). State left unchanged by a failure would re-arm the alarm at the same past-due instant,
 * which fires again at once: after a failure the next alarm runs no earlier than 1 s later,
 * doubling to 5 minutes while failures continue; the first success ends it. In memory: an evicted
 * object starts again at 1 s.
 */
export class AlarmBackoff {
  private failures = 0;
  private floor = 0;

  /** Counts a failure at `now`; returns the earliest instant the next alarm may run. */
  failed(now: number): number {
    this.failures++;
    this.floor = now + alarmRetryDelayMs(this.failures);
    return this.floor;
  }

  succeeded(): void {
    this.failures = 0;
    this.floor = 0;
  }

  /** Failures in a row so far. */
  get count(): number {
    return this.failures;
  }

  /** `at`, or later if a backoff is running. */
  notBefore(at: number): number {
    return Math.max(at, this.floor);
  }
}
