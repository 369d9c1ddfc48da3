import { armAlarm, MAX_ALARM_AHEAD_MS } from "./names.ts";

/**
 * An object's one alarm, written only when its time changes: every setAlarm or deleteAlarm is a
 * storage write (an fsync locally), and most changes to a schedule leave its next alarm where it
 * was. The memo is this instance's own: a fresh instance (after an eviction) knows nothing and
 * writes once; an alarm that rang is no longer armed ({@link rang}).
 */
export class ArmedAlarm {
  /** When the alarm is armed, as this instance last wrote it (null: none; undefined: not known yet). */
  private at: number | null | undefined = undefined;

  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  /** Arms the alarm at `at` (at most MAX_ALARM_AHEAD_MS after `now`), or deletes it for null. */
  set(at: number | null, now: number): void {
    if (at === null) {
      if (this.at !== null) void this.storage.deleteAlarm().catch((err: unknown) => console.error("deleteAlarm failed", err));
      this.at = null;
      return;
    }
    const target = Math.min(at, now + MAX_ALARM_AHEAD_MS);
    if (this.at === target) return;
    this.at = target;
    armAlarm(this.storage, target, now);
  }

  /** The alarm handler has begun: the alarm that rang is armed no more, so the next set writes. */
  rang(): void {
    this.at = null;
  }
}
