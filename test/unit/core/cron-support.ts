import type { CronMatcher } from "../../../src/core/cron.ts";

// parseCron works on *naive* wall-clock times: epoch ms read as if UTC. These helpers keep the
// tables readable: "2026-01-05T09:00:00" is a local wall time with no zone attached.
export const naive = (wall: string): number => Date.parse(`${wall}Z`);
export const wall = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** The next `count` wall times the matcher gives after `after` (exclusive), stopping at the first null. */
export function nextN(m: CronMatcher, after: string, count: number): (string | null)[] {
  const out: (string | null)[] = [];
  let t = naive(after);
  for (let i = 0; i < count; i++) {
    const n = m.nextLocal(t);
    out.push(n === null ? null : wall(n));
    if (n === null) break;
    t = n;
  }
  return out;
}
