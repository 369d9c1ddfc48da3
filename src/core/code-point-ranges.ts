/**
 * Sets of Unicode code points as sorted, disjoint ranges: the character classes the regex safety
 * check (regex-safety.ts) parses patterns into and compares for overlap.
 */

/** Sorted, disjoint, inclusive code point ranges. */
export type Ranges = [number, number][];

/** The highest Unicode code point. */
export const MAX_CP = 0x10ffff;

function normalize(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The set of every code point in any of `rs`. */
export const union = (...rs: Ranges[]): Ranges => normalize(rs.flat().map(([a, b]) => [a, b] as [number, number]));

/** Every code point (up to U+10FFFF) not in `r`. */
export function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** Whether two normalized sets share a code point. */
export function intersects(a: Ranges, b: Ranges): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}
