import type { Sql } from "./sql-migrations.ts";

/**
 * A Durable Object's outbox: side effects on other systems (the D1 index, another object) written
 * in the same transaction as the state change that caused them, then delivered and retried with
 * backoff until they land. Keys are chosen so a newer entry replaces an older one of the same kind.
 */
export const OUTBOX_TABLE_SQL = "CREATE TABLE outbox (key TEXT PRIMARY KEY, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL);";

export interface OutboxEntry {
  key: string;
  payload: string;
  attempts: number;
  next_at: number;
}

/** How long an outbox entry waits for the delivery already under way before the alarm sends it again. */
export const OUTBOX_BACKSTOP_MS = 5_000;

/**
 * Every entry is sent right after the change that wrote it; the owner's alarm only backs that
 * delivery up. So while a delivery is under way (`delivering`) the entries count as due no
 * earlier than the backstop: an alarm armed at "now" would race the delivery (and wake the object
 * once more, with a storage commit, for nothing).
 */
export class Outbox {
  private deliveries = 0;
  private backstopAt = 0;
  /** One set per flush under way: the keys dropped since it read its entries, which it must not send. */
  private readonly droppedDuring = new Set<Set<string>>();
  /**
   * The entries as last read, in due order (undefined: read again). The owner asks for the earliest
   * on every re-arm and flushes after every change, while most changes write no entry: a write
   * forgets the copy, the next read refills it.
   */
  private copy: readonly Readonly<OutboxEntry>[] | undefined;
  /**
   * Delivered entries whose DELETE waits for the owner's next write ({@link sweep}), by key: their
   * payload. A delete of its own would be a storage commit (a sync on disk) of its own, one or two
   * per run for the index row and close notice alone. Until swept they are not entries: not sent,
   * not due. If the object is evicted first they are read back as undelivered and sent once more,
   * which only an idempotent delivery may be: `settlesLazily` names those keys.
   */
  private readonly settled = new Map<string, string>();

  private readonly sql: Sql;
  private readonly settlesLazily: (key: string) => boolean;

  constructor(sql: Sql, settlesLazily: (key: string) => boolean = () => false) {
    this.sql = sql;
    this.settlesLazily = settlesLazily;
  }

  /** A delivery starts at `now`: until the returned function is called, nextAt() is no earlier than now + the backstop. */
  delivering(now: number): () => void {
    this.deliveries++;
    this.backstopAt = Math.max(this.backstopAt, now + OUTBOX_BACKSTOP_MS);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.deliveries--;
    };
  }

  put(key: string, payload: unknown, nextAt: number): void {
    this.sql.exec("INSERT OR REPLACE INTO outbox (key, payload, attempts, next_at) VALUES (?, ?, 0, ?)", key, JSON.stringify(payload), nextAt);
    this.copy = undefined;
    // The row is replaced: a settled payload of this key is gone with it, and the new one must go out.
    this.settled.delete(key);
  }

  /** Due order; entries due together go out in the order they were written (a withdraw before a restart). */
  entries(): readonly Readonly<OutboxEntry>[] {
    this.copy ??= (this.sql.exec<Record<string, SqlStorageValue>>("SELECT key, payload, attempts, next_at FROM outbox ORDER BY next_at, rowid").toArray() as unknown as OutboxEntry[])
      .filter((e) => this.settled.get(e.key) !== e.payload)
      .map((e) => Object.freeze(e));
    return this.copy;
  }

  /** Seeds the copy for a database created a moment ago: nothing to read. */
  startsEmpty(): void {
    this.copy = [];
  }

  nextAt(): number | null {
    const first = this.entries()[0];
    const at = first === undefined ? null : first.next_at;
    return at !== null && this.deliveries > 0 ? Math.max(at, this.backstopAt) : at;
  }

  /**
   * Deletes the entry unless it was replaced meanwhile (a newer payload must still go out); for a
   * key that settles lazily, at the owner's next write. A delete made now takes the settled ones along.
   */
  done(key: string, payload: string): void {
    if (this.settlesLazily(key)) {
      this.settled.set(key, payload);
      this.copy = this.copy?.filter((e) => e.key !== key || e.payload !== payload);
      return;
    }
    this.sql.exec("DELETE FROM outbox WHERE key = ? AND payload = ?", key, payload);
    this.copy = undefined;
    this.sweep();
  }

  /**
   * Deletes the delivered entries {@link done} left for later. The owner calls it right after a
   * change, in the same synchronous turn, so the deletes are committed with that change's writes.
   */
  sweep(): void {
    for (const [key, payload] of this.settled) this.sql.exec("DELETE FROM outbox WHERE key = ? AND payload = ?", key, payload);
    this.settled.clear();
  }

  /** Whether an entry with this key is waiting (a delivery under way works from the entries it read at its start). */
  has(key: string): boolean {
    return this.entries().some((e) => e.key === key);
  }

  /** Deletes the entry whatever it holds: what it would deliver no longer applies, and a flush under way does not send it. */
  drop(key: string): void {
    this.sql.exec("DELETE FROM outbox WHERE key = ?", key);
    this.copy = undefined;
    this.settled.delete(key);
    for (const dropped of this.droppedDuring) dropped.add(key);
  }

  /** Backs the entry off, unless it was replaced meanwhile (the newer payload is due as written, not after this failure's backoff). */
  retry(key: string, payload: string, attempts: number, nextAt: number): void {
    this.sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE key = ? AND payload = ?", attempts, nextAt, key, payload);
    this.copy = undefined;
  }

  /**
   * Delivers every entry due at `now` through `deliver`; failures back off (1 s doubling, 5 min cap).
   * Returns true if anything changed (so the caller re-arms its alarm).
   */
  async flush(now: number, deliver: (key: string, payload: unknown) => Promise<void>): Promise<boolean> {
    let changed = false;
    const dropped = new Set<string>();
    this.droppedDuring.add(dropped);
    try {
      for (const e of this.entries()) {
        if (e.next_at > now || dropped.has(e.key)) continue;
        try {
          await deliver(e.key, JSON.parse(e.payload));
          this.done(e.key, e.payload);
        } catch (err) {
          console.warn(`outbox ${e.key} failed (attempt ${e.attempts + 1}); will retry`, err);
          this.retry(e.key, e.payload, e.attempts + 1, now + Math.min(2 ** e.attempts * 1000, 300_000));
        }
        changed = true;
      }
    } finally {
      this.droppedDuring.delete(dropped);
    }
    return changed;
  }
}

/**
 * Runs an object's outbox deliveries one at a time: a flush requested while one runs starts right
 * after it, never alongside (one entry is never delivered twice at once, and a withdraw never
 * overtakes the start it withdraws), and one that failed as a whole does not fail those queued
 * behind it. From the request on, the outbox counts as due only at the backstop (see
 * {@link Outbox.delivering}), so the alarm its owner arms next backs the delivery up instead of
 * racing it.
 */
export class FlushQueue {
  private flushing: Promise<boolean> | null = null;
  private readonly outbox: Pick<Outbox, "delivering">;
  private readonly now: () => number;

  constructor(outbox: Pick<Outbox, "delivering">, now: () => number) {
    this.outbox = outbox;
    this.now = now;
  }

  /** Queues `flushOnce` (resolves true when the outbox changed: the owner re-arms its alarm). */
  run(flushOnce: () => Promise<boolean>): Promise<boolean> {
    const ended = this.outbox.delivering(this.now());
    const run = (this.flushing ?? Promise.resolve(false))
      .catch(() => false)
      .then(flushOnce)
      .finally(ended);
    const settled = run.catch(() => false);
    this.flushing = settled;
    void settled.then(() => {
      if (this.flushing === settled) this.flushing = null;
    });
    return run;
  }
}
