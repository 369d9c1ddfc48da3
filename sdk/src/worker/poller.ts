import { backoffDelay, sleep } from "../client/backoff.ts";
import { isTransient, retryDelay, SundialApiError } from "../client/errors.ts";
import type { Task } from "../protocol/tasks.ts";
import { PLATFORM_POLL_HOLD_SECONDS, type WorkerApi } from "./api.ts";
import type { WorkerLogger } from "./logger.ts";

/**
 * A counting semaphore: a poller takes a slot before it polls, and a completion offers only slots
 * it took (eager dispatch), so the worker never accepts a task it has no room to run (a leased
 * task waiting locally would only time out).
 */
export class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Slots free right now. */
  get available(): number {
    return this.free;
  }

  /** Takes a free slot without waiting; null when none is free. */
  tryAcquire(): (() => void) | null {
    if (this.free <= 0) return null;
    this.free--;
    return this.releaser();
  }

  /** Waits for a free slot; returns its release function. Rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const release = this.releaser();
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      if (this.free > 0) {
        this.free--;
        return resolve(release);
      }
      this.waiters.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** A release function for one slot: hands it to the next waiter, else frees it; idempotent. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** The pause after an empty poll answered in less than half its hold. */
export const EARLY_EMPTY_POLL_PAUSE_MS = 1_000;

/** Answers that no amount of retrying fixes: the key is wrong or may not poll. */
function isFatal(err: unknown): boolean {
  return err instanceof SundialApiError && (err.status === 401 || err.status === 403);
}

/** One poll loop's settings. */
export interface PollLoopOptions {
  kind: "workflow" | "activity";
  api: WorkerApi;
  taskQueue: string;
  identity: string;
  waitSeconds: number | undefined;
  /** The workflow names or activity types this worker runs (the poll asks for only those). */
  types?: readonly string[];
  /** Aborted when shutdown starts: the loop stops polling (an in-flight poll is aborted). */
  stop: AbortSignal;
  backoff: { initialMs: number; maxMs: number };
  logger: WorkerLogger;
  slots?: Slots;
  /** Handles a task; the loop awaits it before polling again. `release` frees the slot (a no-op without `slots`). */
  onTask: (task: Task, release: () => void) => Promise<void>;
  /** Called with an error that stops the whole worker (401/403). */
  onFatal: (err: unknown) => void;
}

/**
 * Polls until `stop` aborts: long-polls for a task, hands it to `onTask`, and backs off
 * exponentially (with jitter) after transient errors such as a refused connection, a 5xx or a poll
 * left unanswered past its hold, or for the answer's `Retry-After` when the platform asked for
 * longer (at most a minute): every poller of
 * every worker re-polling an overloaded object within milliseconds is what keeps it overloaded.
 * A poll holds no task, so waiting costs nothing but latency; completions do not wait it out (see
 * {@link WorkerApi.withRetry}).
 */
export async function pollLoop(o: PollLoopOptions): Promise<void> {
  let failures = 0;
  while (!o.stop.aborted) {
    let release: () => void = () => {};
    try {
      if (o.slots) release = await o.slots.acquire(o.stop);
    } catch {
      return;
    }
    let task: Task | null;
    const sent = Date.now();
    try {
      task = await o.api.poll(o.kind, o.taskQueue, o.identity, o.waitSeconds, o.stop, o.types);
      failures = 0;
    } catch (err) {
      release();
      if (o.stop.aborted) return;
      if (isFatal(err)) return o.onFatal(err);
      failures++;
      const delay = retryDelay(err, backoffDelay(failures, o.backoff.initialMs, o.backoff.maxMs));
      const log = isTransient(err) ? o.logger.warn : o.logger.error;
      log.call(o.logger, `${o.kind} poll failed, retrying in ${delay} ms`, { error: err, failures });
      await sleep(delay, o.stop).catch(() => {});
      continue;
    }
    if (task === null) {
      release();
      // The platform holds an empty poll to its end: one answered well before (a proxy that does not
      // hold, say) would otherwise make the loop a busy one.
      const hold = Math.min(o.waitSeconds ?? PLATFORM_POLL_HOLD_SECONDS, PLATFORM_POLL_HOLD_SECONDS);
      if (Date.now() - sent < (hold * 1000) / 2) await sleep(EARLY_EMPTY_POLL_PAUSE_MS, o.stop).catch(() => {});
      continue;
    }
    await o.onTask(task, release);
  }
}
