import { SundialApiError } from "../client/errors.ts";
import type { HeartbeatResponse } from "../protocol/tasks.ts";
import { CancelledError } from "../workflow/errors.ts";
import type { WorkerLogger } from "./logger.ts";

/** Keep-alive period when the activity has no heartbeat timeout (still how cancellation arrives). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

/** The heartbeat period for an activity: a third of its heartbeat timeout, so two may be lost, and at most 30 s (a heartbeat answer carries cancellation). */
export function heartbeatIntervalMs(heartbeatTimeoutSeconds: number | null): number {
  if (heartbeatTimeoutSeconds === null || heartbeatTimeoutSeconds <= 0) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  return Math.max(50, Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, (heartbeatTimeoutSeconds * 1000) / 3));
}

/** What the heartbeater needs from the outside world. */
export interface HeartbeaterOptions {
  intervalMs: number;
  /** Sends one heartbeat; `signal`, when given, bounds it instead of the sender's own timeout. */
  send: (details: unknown, signal?: AbortSignal) => Promise<HeartbeatResponse>;
  /** Called once when the platform says the activity is cancelled or the task is no longer ours. */
  onCancel: (reason: CancelledError) => void;
  logger: WorkerLogger;
  now?: () => number;
}

/**
 * Heartbeats one running activity: automatically every `intervalMs`, and soon after each
 * `record(details)` — throttled so an activity calling `ctx.heartbeat()` in a tight loop sends at
 * most one request per interval, always carrying the latest details.
 */
export class Heartbeater {
  private readonly options: HeartbeaterOptions;
  private readonly now: () => number;
  private lastSentAt: number;
  private details: unknown;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private inFlight = false;
  private dirty = false;
  private stopped = false;
  /** Details recorded that no heartbeat has carried yet (waiting for their throttled slot). */
  private unsent = false;
  /** The task is no longer this worker's (cancelled, stale): nothing more is sent. */
  private lost = false;
  /** The heartbeat under way, settled either way. */
  private sending: Promise<void> = Promise.resolve();

  constructor(options: HeartbeaterOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    // The poll that handed out the task counts as the first sign of life.
    this.lastSentAt = this.now();
    this.arm(options.intervalMs);
  }

  /**
   * Records progress; it is sent at once if the last heartbeat is older than the interval.
   * Undefined (`ctx.heartbeat()`) records none: a keep-alive, which keeps the details waiting to
   * be sent, as the platform keeps the last details a heartbeat without any carried.
   */
  record(details: unknown): void {
    if (this.stopped) return;
    if (details !== undefined) {
      this.details = details;
      this.unsent = true;
    }
    this.dirty = true;
    this.arm(Math.max(0, this.lastSentAt + this.options.intervalMs - this.now()));
  }

  /**
   * Sends details still waiting for their throttled slot, once, after any heartbeat under way (so
   * they land last): an attempt that fails, or is handed back at shutdown, calls it before
   * reporting so, and its retry resumes from them (`heartbeatDetails`) instead of from older
   * progress. Works after `stop()`. Never throws.
   */
  async flush(signal?: AbortSignal): Promise<void> {
    if (!this.unsent || this.lost) return;
    this.unsent = false;
    await this.sending;
    try {
      await this.options.send(this.details, signal);
    } catch (err) {
      this.options.logger.warn("could not send the last heartbeat details before the attempt ended", { error: err });
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const at = this.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.beat();
    }, delayMs);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    this.inFlight = true;
    this.dirty = false;
    this.lastSentAt = this.now();
    this.unsent = false;
    const request = this.options.send(this.details);
    this.sending = request.then(
      () => undefined,
      () => undefined,
    );
    try {
      const answer = await request;
      if (answer.cancel_requested) this.cancel("the platform cancelled the activity");
    } catch (err) {
      if (err instanceof SundialApiError && (err.code === "stale_task" || err.status === 404)) {
        this.cancel(`the task is no longer this worker's (${err.code})`);
      } else {
        this.options.logger.warn("heartbeat failed; will retry at the next interval", { error: err });
      }
    } finally {
      this.inFlight = false;
    }
    // Next keep-alive one interval after this one; details recorded meanwhile ride on it (throttle).
    this.arm(Math.max(0, this.lastSentAt + this.options.intervalMs - this.now()));
  }

  private cancel(message: string): void {
    this.lost = true;
    if (this.stopped) return;
    this.stop();
    this.options.onCancel(new CancelledError(message));
  }
}
