/** 32-bit FNV-1a followed by murmur3's finaliser: fast, stable across runtimes, well mixed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Deterministic jitter for a fire, in ms: a hash of (schedule id, nominal time) scaled into
 * [0, jitterMs), and always strictly less than the gap to the following nominal time, so jitter
 * never reorders or merges fires. Never `Math.random`: a replayed plan gets the same instants.
 */
export function jitterOffset(scheduleId: string, nominal: number, jitterMs: number, following: number | null): number {
  if (jitterMs <= 0) return 0;
  const bound = following === null ? jitterMs : Math.min(jitterMs, following - nominal);
  if (bound <= 1) return 0;
  return Math.floor((hash32(`${scheduleId}|${nominal}`) / 0x1_0000_0000) * bound);
}
