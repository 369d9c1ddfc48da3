/**
 * A Worker isolate's memory of D1 rows that change rarely and are read on hot paths (API keys,
 * workflow registrations), so most requests skip the read: a round trip to the database's primary
 * when deployed. An entry lives `ttlMs`; the isolate that changes a row forgets it at once
 * ({@link IsolateCache.forget}), other isolates see the change at most `ttlMs` later. Only rows
 * that exist are kept: something created elsewhere is seen on the next request.
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Bumped by every forget: a read that saw a change start after it began is not remembered. */
  private changes = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(ttlMs: number, maxEntries: number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  /** The value remembered less than the TTL ago, else undefined. */
  get(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    // An entry from "the future" (a test moved the clock back) is not trusted either.
    if (now < hit.until && now >= hit.until - this.ttlMs) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Taken before the row is read; {@link set} needs it to tell whether a change came in between. */
  mark(): number {
    return this.changes;
  }

  /**
   * Remembers a row read since `mark`, unless a row was changed in this isolate meanwhile (it may be
   * older than that change). The value is frozen (shallowly): requests share it.
   */
  set(key: string, value: V, now: number, mark: number): void {
    if (mark !== this.changes) return;
    this.entries.delete(key);
    this.entries.set(key, { value: Object.freeze(value), until: now + this.ttlMs });
    // Beyond the bound, the entry remembered longest ago goes first.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The row changed in this isolate: the next request reads it again. */
  forget(key: string): void {
    this.changes++;
    this.entries.delete(key);
  }
}
