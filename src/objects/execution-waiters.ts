/**
 * Callers of an ExecutionObject waiting in memory: for the run to close (start with
 * `wait_seconds`, result) or for an update's outcome. Nothing here is stored: a waiter lost to
 * an eviction times out on the caller's side and the caller asks again.
 */
export class RunWaiters {
  private closed: (() => void)[] = [];
  private changed: (() => void)[] = [];

  /** Resolves when {@link notify} finds the run closed or gone, or after `waitMs`, whichever comes first. */
  untilClosed(waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.closed = this.closed.filter((w) => w !== waiter);
        resolve();
      }, waitMs);
      this.closed.push(waiter);
    });
  }

  /** Resolves when `done()` holds after a change ({@link notify}), or after `waitMs`. */
  until(done: () => boolean, waitMs: number): Promise<void> {
    if (done() || waitMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let waiting = true;
      const t = setTimeout(() => {
        waiting = false;
        resolve();
      }, waitMs);
      const check = () => {
        if (!waiting) return; // timed out: dropped from the list
        if (!done()) return void this.changed.push(check);
        clearTimeout(t);
        resolve();
      };
      this.changed.push(check);
    });
  }

  /** After every change: re-checks the conditions waited on, and wakes the close waiters if the run is not running. */
  notify(runRunning: () => boolean): void {
    if (this.changed.length > 0) {
      const w = this.changed;
      this.changed = [];
      for (const fn of w) fn();
    }
    if (this.closed.length > 0 && !runRunning()) {
      const w = this.closed;
      this.closed = [];
      for (const fn of w) fn();
    }
  }
}
