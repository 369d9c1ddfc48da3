import { armAlarm, MAX_ALARM_AHEAD_MS } from "./names.ts";

/**
 * An object's one alarm, written only when it must move: every setAlarm or deleteAlarm is a
 * storage write (an fsync locally). The memo is this instance's own: a fresh instance (after an
 * eviction) knows nothing and writes once; an alarm that rang is no longer armed ({@link rang}); a
 * write that failed armed nothing, so it is forgotten and the next {@link set} writes again (else
 * every later change would trust an alarm that does not exist, and what it stands for never ran).
 */
export class ArmedAlarm {
  /** When the alarm is armed, as this instance last wrote it (null: none; undefined: not known yet). */
  private at: number | null | undefined = undefined;

  private readonly storage: DurableObjectStorage;
  /** Only ever moved earlier: an alarm that rings early finds nothing due and is set again (ExecutionObject). */
  private readonly onlyEarlier: boolean;

  constructor(storage: DurableObjectStorage, options: { onlyEarlier?: boolean } = {}) {
    this.storage = storage;
    this.onlyEarlier = options.onlyEarlier ?? false;
  }

  /** Arms the alarm at `at` (at most MAX_ALARM_AHEAD_MS after `now`), or deletes it for null. */
  set(at: number | null, now: number): void {
    if (at === null) {
      if (this.at !== null) void this.storage.deleteAlarm().catch((err: unknown) => console.error("deleteAlarm failed", err));
      this.at = null;
      return;
    }
    const target = Math.min(at, now + MAX_ALARM_AHEAD_MS);
    if (this.at === target || (this.onlyEarlier && this.at != null && this.at <= target)) return;
    this.write(target, now);
  }

  /** Arms the alarm at `at` whatever this instance believes is armed (an alarm handler's fallback). */
  force(at: number, now: number): void {
    this.write(Math.min(at, now + MAX_ALARM_AHEAD_MS), now);
  }

  /** The alarm handler has begun: the alarm that rang is armed no more, so the next set writes. */
  rang(): void {
    this.at = null;
  }

  private write(target: number, now: number): void {
    this.at = target;
    armAlarm(this.storage, target, now, () => {
      if (this.at === target) this.at = undefined;
    });
  }
}
