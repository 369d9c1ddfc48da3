/**
 * A small least-recently-used map: workflow states cached per run between workflow tasks. Bounded,
 * because every cached run holds its workflow's closures and pending promises in memory.
 * @example
 * const cache = new LruCache<string, number>(2);
 * cache.set("a", 1); cache.set("b", 2); cache.set("c", 3); // "a" is evicted
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  /** Removes and returns the entry: a state is owned by one task at a time. */
  take(key: K): V | undefined {
    const value = this.map.get(key);
    this.map.delete(key);
    return value;
  }

  /** Inserts as most recently used, evicting the least recently used entries past capacity. */
  set(key: K, value: V): void {
    this.map.delete(key);
    if (this.capacity === 0) return;
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }
}
