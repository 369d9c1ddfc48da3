import { HOUR, MIN, SEC, type Change, type OracleZone } from "./dst-oracle-support.ts";

/**
 * The cases of dst-oracle.test.ts: the cron expressions, the zones and years with real offset
 * changes (and how many the tz data must have there), the `after` values around each change, and
 * how a disagreement is printed.
 */

export const CRONS = [
  "* * * * * *",
  "*/7 * * * * *",
  "15 */10 0-3,23 * * *",
  "* * * * *",
  "*/25 * * * *",
  "15,35 2 * * *",
  "0 2,3 * * *",
  "* 1 * * *",
  "30 1-23/2 * * *",
  "0,30 1,2 * * *",
  "30 0-23 * * *",
  "0 12 * * *",
  "0 0 * * *",
  "1,31 0 * * *",
  "45 2,3 * * *",
  "*/10 0,23 * * *",
  "0 1-5 * * *",
];

export interface ZoneCase {
  zone: string;
  /** Where to look for offset changes (UTC dates), and how many the tz data must have there. */
  from: string;
  to: string;
  changes: number;
}

export const ZONES: ZoneCase[] = [
  { zone: "America/New_York", from: "2026-01-01", to: "2026-12-31", changes: 2 },
  { zone: "Australia/Lord_Howe", from: "2025-07-01", to: "2026-06-30", changes: 2 }, // +10:30 <-> +11
  { zone: "Antarctica/Troll", from: "2026-01-01", to: "2026-12-31", changes: 2 }, // +00 <-> +02
  { zone: "Antarctica/Casey", from: "2009-09-01", to: "2009-12-31", changes: 1 }, // +08 -> +11
  { zone: "America/Caracas", from: "2016-04-01", to: "2016-06-30", changes: 1 }, // -04:30 -> -04
  { zone: "America/St_Johns", from: "2006-01-01", to: "2006-12-31", changes: 2 }, // changes at 00:01 local
  { zone: "Pacific/Chatham", from: "2026-01-01", to: "2026-12-31", changes: 2 }, // +12:45 <-> +13:45
  { zone: "Europe/London", from: "2026-01-01", to: "2026-12-31", changes: 2 },
  { zone: "Pacific/Apia", from: "2011-12-15", to: "2012-01-15", changes: 1 }, // -10 -> +14: no Dec 30
  { zone: "Pacific/Kwajalein", from: "1969-01-01", to: "1969-12-31", changes: 1 }, // +11 -> -12: 23 h twice
];

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** `after` values around one change: edges, inside the gap / repeated walls, hours either side, and seeded samples. */
export function aftersAround(c: Change, seed: number): number[] {
  const T = c.at;
  const d = Math.abs(c.after - c.before);
  const set = new Set<number>();
  for (const base of [T, T - d, T + d]) {
    for (const delta of [0, 1, -1, SEC, -SEC, MIN, -MIN, MIN + 1, -MIN - 1]) set.add(base + delta);
  }
  for (const x of [d / 2, d / 4, (3 * d) / 4, d - MIN, d - SEC]) {
    set.add(T + x);
    set.add(T - x);
  }
  for (const h of [0.5, 1, 2, 3, 5, 8, 12]) {
    set.add(T - d - h * HOUR);
    set.add(T + d + h * HOUR);
    set.add(T - h * HOUR);
    set.add(T + h * HOUR);
  }
  const r = rng(seed);
  const lo = T - d - 6 * HOUR;
  const span = 2 * d + 12 * HOUR;
  for (let i = 0; i < 16; i++) set.add(lo + Math.floor(r() * span)); // any millisecond
  for (let i = 0; i < 8; i++) set.add(lo + Math.floor((r() * span) / MIN) * MIN); // on a minute
  for (let i = 0; i < 8; i++) set.add(lo + Math.floor((r() * span) / SEC) * SEC); // on a second
  return [...set].sort((a, b) => a - b);
}

export function iso(ms: number): string {
  const d = new Date(0);
  d.setTime(ms);
  return d.toISOString();
}

export function describeInstant(zone: OracleZone, t: number | null): string {
  if (t === null) return "null";
  const off = zone.offsetAt(t);
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off) / MIN;
  const hh = String(Math.floor(a / 60)).padStart(2, "0");
  const mm = String(a % 60).padStart(2, "0");
  return `${iso(t)} (wall ${iso(t + off).slice(0, 23)}${sign}${hh}:${mm})`;
}
