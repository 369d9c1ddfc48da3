import { IANAZone } from "luxon";

const DAY_MS = 86_400_000;

/** How a naive local wall-clock time maps to real instants in a zone. */
export type LocalResolution =
  | { kind: "unique"; instant: number }
  /** The local time does not exist (spring-forward gap): `instant` is it shifted forward by the gap. */
  | { kind: "gap"; instant: number; gapMs: number }
  /** The local time happens twice (fall-back): both instants, earlier first. */
  | { kind: "ambiguous"; first: number; second: number };

/** A time zone's offsets, as the runtime's tz database has them. */
export interface Zone {
  readonly name: string;
  /** True for zones that never change offset (UTC): a fast path with no lookups. */
  readonly fixed: boolean;
  /** Offset from UTC in ms at an instant (local = instant + offset). */
  offsetAt(instant: number): number;
  /** Maps a naive local time (ms, wall clock read as if UTC) to instants. */
  resolve(naive: number): LocalResolution;
  /**
   * The instant the offset changes in (lo, hi], given that it differs at the two ends and the span
   * is at most a couple of days (tz rules put changes further apart, so there is exactly one).
   */
  changeIn(lo: number, hi: number): number;
}

const cache = new Map<string, Zone>();
const BUCKET_MS = 6 * 3_600_000;
const MIXED = Number.NaN;
/**
 * Zones whose offset never changes; they skip every lookup. Any case: names are stored in their IANA
 * spelling, but a schedule stored before that was done may hold `utc`.
 */
const FIXED_ZONE_RE = /^(UTC|Etc\/UTC|Etc\/GMT|Etc\/GMT[+-]\d{1,2}|GMT|UCT|Etc\/UCT|Zulu|Etc\/Zulu|Universal|Etc\/Universal)$/i;

/** Returns the zone for an IANA name (validated by the protocol schema before it gets here). */
export function zoneFor(name: string): Zone {
  const hit = cache.get(name);
  if (hit) return hit;
  const iana = IANAZone.create(name);
  if (!iana.isValid) throw new RangeError(`unknown time zone ${name}`);
  const fixed = FIXED_ZONE_RE.test(name);
  const fixedOffset = fixed ? iana.offset(0) * 60_000 : 0;
  const exact = (instant: number) => iana.offset(instant) * 60_000;
  // Intl lookups cost microseconds each; DST maths asks for many near the same instants. Cache the
  // offset per 6-hour bucket, but only for buckets whose two ends agree (no transition inside);
  // a bucket holding a transition is always asked exactly.
  const buckets = new Map<number, number>();
  const offsetAt = fixed
    ? () => fixedOffset
    : (instant: number) => {
        const b = Math.floor(instant / BUCKET_MS);
        const hit = buckets.get(b);
        if (hit !== undefined) return Number.isNaN(hit) ? exact(instant) : hit;
        const start = exact(b * BUCKET_MS);
        const end = exact((b + 1) * BUCKET_MS - 1);
        if (buckets.size > 20_000) buckets.clear();
        buckets.set(b, start === end ? start : MIXED);
        return start === end ? start : exact(instant);
      };
  const resolve = (naive: number): LocalResolution => {
    if (fixed) return { kind: "unique", instant: naive - fixedOffset };
    // Offsets a day either side bracket at most one transition (tz rules never put two within a day).
    const early = offsetAt(naive - DAY_MS);
    const late = offsetAt(naive + DAY_MS);
    if (early === late) {
      const c = naive - early;
      if (offsetAt(c) === early) return { kind: "unique", instant: c };
    }
    const c1 = naive - early;
    const c2 = naive - late;
    const v1 = offsetAt(c1) === early;
    const v2 = offsetAt(c2) === late;
    if (v1 && v2 && c1 !== c2) return { kind: "ambiguous", first: Math.min(c1, c2), second: Math.max(c1, c2) };
    if (v1) return { kind: "unique", instant: c1 };
    if (v2) return { kind: "unique", instant: c2 };
    // Neither offset yields this wall time: it falls in a gap. Reading it with the offset in force
    // before the transition shifts it forward by exactly the gap (02:30 -> 03:30 in New York).
    return { kind: "gap", instant: naive - Math.min(early, late), gapMs: Math.abs(late - early) };
  };
  // Changes found so far: DST maths near a change asks for the same one many times, and each
  // search is ~27 lookups inside the one bucket the offset cache cannot hold.
  const changes: number[] = [];
  const changeIn = (lo: number, hi: number): number => {
    const known = changes.find((t) => t > lo && t <= hi);
    if (known !== undefined) return known;
    const target = offsetAt(hi);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(mid) === target) hi = mid;
      else lo = mid;
    }
    if (changes.length >= 64) changes.shift();
    changes.push(hi);
    return hi;
  };
  const zone: Zone = { name, fixed, offsetAt, resolve, changeIn };
  cache.set(name, zone);
  return zone;
}
