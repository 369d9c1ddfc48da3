import { alarmRetryDelayMs } from "../core/backoff.ts";

/** Where the backoff of a failing alarm is kept (the object's synchronous KV, beside its SQL tables). */
const KEY = "sundial.alarm_backoff";

interface Persisted {
  failures: number;
  floor: number;
}

/**
 * The backoff of an object whose alarm work fails (DESIGN: an alarm records the failure and
 * re-arms). State left unchanged by a failure would re-arm the alarm at the same past-due instant,
 * which fires again at once: after a failure the next alarm runs no earlier than 1 s later,
 * doubling to 5 minutes while failures continue; the first success ends it. Kept in the object's
 * storage while failures last, so an object evicted between two failing alarms goes on from where
 * it was instead of starting again at 1 s; nothing is written while alarms succeed.
 */
export class AlarmBackoff {
  private failures = 0;
  private floor = 0;
  private loaded = false;

  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  /** Counts a failure at `now`; returns the earliest instant the next alarm may run. */
  failed(now: number): number {
    this.load();
    this.failures++;
    this.floor = now + alarmRetryDelayMs(this.failures);
    this.storage.kv.put<Persisted>(KEY, { failures: this.failures, floor: this.floor });
    return this.floor;
  }

  succeeded(): void {
    this.load();
    if (this.failures === 0) return;
    this.failures = 0;
    this.floor = 0;
    this.storage.kv.delete(KEY);
  }

  /** Failures in a row so far. */
  get count(): number {
    this.load();
    return this.failures;
  }

  /**
   * `at`, or later if a backoff is running. Reads what an earlier instance left (once per
   * instance): a change re-arming a new instance evicted between two failing alarms must not set
   * the alarm back to the past-due instant, which would fire at once.
   */
  notBefore(at: number): number {
    this.load();
    return Math.max(at, this.floor);
  }

  /** Reads what an earlier instance of the object left, once. */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const p = this.storage.kv.get<Persisted>(KEY);
    if (p) {
      this.failures = p.failures;
      this.floor = p.floor;
    }
  }
}
