import { describe, expect, it } from "vitest";
import { parseCron } from "../../../src/core/cron.ts";
import { nextCronFire } from "../../../src/core/fire-times.ts";
import { zoneFor } from "../../../src/core/zone.ts";

// Differential test: nextCronFire (src/core/fire-times.ts) against a brute-force oracle, around real
// offset changes, for DESIGN.md's DST rules:
//   - a wall time in a spring-forward gap fires once, shifted forward by the gap (wall W fires at the
//     instant W - offsetBeforeGap);
//   - a wall time that happens twice (fall-back) fires at both instants only when the hour field
//     covers all 24 hours, otherwise once, at its first occurrence;
//   - a shifted fire that lands on an instant that is also a real match is one fire.
// It guards 38f0981: a real wall just after a gap that is not a whole clock hour comes before a gap
// wall's shifted fire (Lord Howe `15,35 2 * * *`: 02:35 +11 before 02:15 -> 02:45; Troll, Caracas
// 2016, St John's 2006), which an implementation that stopped at the first shifted candidate lost.
//
// The oracle shares no code with src/core/zone.ts or src/core/cron.ts (only the two functions under
// test and their inputs are imported): offsets come from Intl.DateTimeFormat ("longOffset"), offset
// changes are found by binary search, cron fields are matched by a small matcher below (numbers,
// lists, ranges, steps, `*`; 5 and 6 fields), and the next fire after `after` is the first whole
// second (6 fields) or whole minute (5 fields) past it that is a fire by the rules above, checked one
// candidate at a time.
//
// Historical years (Kwajalein 1969, St John's 2006, Apia 2011, Casey 2009, Caracas 2016) need no
// start_at: nextCronFire is called directly, and the cron matcher works on any year.

const SEC = 1000;
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Oracle: offsets from Intl, as piecewise-constant segments between binary-searched changes.

function intlOffsetReader(zone: string): (t: number) => number {
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
  return (t: number) => {
    const name = fmt.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value ?? "";
    if (name === "GMT") return 0;
    const m = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
    if (!m) throw new Error(`unexpected offset name ${name} in ${zone}`);
    const ms = (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * SEC;
    return m[1] === "-" ? -ms : ms;
  };
}

interface Change {
  /** First instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

interface Segment {
  start: number;
  end: number; // exclusive
  offset: number;
}

class OracleZone {
  readonly changes: Change[] = [];
  readonly segments: Segment[] = [];

  readonly name: string;

  constructor(name: string, from: number, to: number) {
    this.name = name;
    const read = intlOffsetReader(name);
    const STEP = 6 * HOUR;
    let prevT = from;
    let prevOff = read(from);
    let segStart = from;
    for (let t = from + STEP; ; t = Math.min(t + STEP, to)) {
      const off = read(t);
      if (off !== prevOff) {
        let lo = prevT; // offset prevOff
        let hi = t; // offset off
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (read(mid) === off) hi = mid;
          else lo = mid;
        }
        this.changes.push({ at: hi, before: prevOff, after: off });
        this.segments.push({ start: segStart, end: hi, offset: prevOff });
        segStart = hi;
      }
      prevT = t;
      prevOff = off;
      if (t >= to) break;
    }
    this.segments.push({ start: segStart, end: to + 1, offset: prevOff });
    for (const s of this.segments) {
      // Whole-minute offsets make every gap shift target (W - offsetBefore) a whole minute/second
      // instant, so enumerating whole seconds/minutes also enumerates all shift targets.
      if (s.offset % MIN !== 0) throw new Error(`${name}: offset ${s.offset} is not whole minutes`);
    }
    // Two changes closer than the scan step would hide each other: check hourly near each one.
    for (const c of this.changes) {
      for (let t = Math.max(from, c.at - 5 * DAY); t <= Math.min(to, c.at + 5 * DAY); t += HOUR) {
        if (read(t) !== this.offsetAt(t)) throw new Error(`${name}: segment model wrong at ${new Date(t).toISOString()}`);
      }
    }
  }

  offsetAt(t: number): number {
    for (const s of this.segments) if (t >= s.start && t < s.end) return s.offset;
    throw new Error(`${this.name}: ${new Date(t).toISOString()} outside the oracle's window`);
  }

  /** Every instant whose wall time is `wall`, earliest first ([] in a gap, two in a repeat). */
  occurrences(wall: number): number[] {
    const out: number[] = [];
    for (const s of this.segments) {
      const t = wall - s.offset;
      if (t >= s.start && t < s.end) out.push(t);
    }
    return out.sort((a, b) => a - b);
  }
}

// ---------------------------------------------------------------------------------------------
// Oracle: a small cron matcher on naive wall times (ms read as UTC).

interface OracleCron {
  text: string;
  granule: number;
  everyHour: boolean;
  matches(wall: number): boolean;
}

function parseField(text: string, min: number, max: number): boolean[] {
  const set = new Array<boolean>(max + 1).fill(false);
  for (const term of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(term);
    if (!m) throw new Error(`oracle cannot parse ${term}`);
    let lo = min;
    let hi = max;
    if (m[1] !== "*") {
      lo = Number(m[2]);
      hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    }
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`oracle: bad term ${term}`);
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  return set;
}

function oracleCron(text: string): OracleCron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new Error(`oracle: ${text}`);
  const six = parts.length === 6 ? parts : ["0", ...parts];
  const sec = parseField(six[0]!, 0, 59);
  const min = parseField(six[1]!, 0, 59);
  const hour = parseField(six[2]!, 0, 23);
  const dom = parseField(six[3]!, 1, 31);
  const mon = parseField(six[4]!, 1, 12);
  const dowRaw = parseField(six[5]!, 0, 7);
  const dow = dowRaw.slice(0, 7);
  if (dowRaw[7]) dow[0] = true;
  const domStar = six[3] === "*";
  const dowStar = six[5] === "*";
  const anyDay = domStar && dowStar && six[4] === "*";
  return {
    text,
    granule: parts.length === 6 ? SEC : MIN,
    everyHour: hour.every(Boolean),
    matches(wall: number): boolean {
      const msOfDay = ((wall % DAY) + DAY) % DAY;
      if (msOfDay % SEC !== 0) return false;
      const s = msOfDay / SEC;
      if (!hour[Math.floor(s / 3600)] || !min[Math.floor(s / 60) % 60] || !sec[s % 60]) return false;
      if (anyDay) return true;
      const d = new Date(wall);
      if (!mon[d.getUTCMonth() + 1]) return false;
      const domOk = dom[d.getUTCDate()] === true;
      const dowOk = dow[d.getUTCDay()] === true;
      if (domStar) return dowOk;
      if (dowStar) return domOk;
      return domOk || dowOk; // Vixie: both restricted means either
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Oracle: fires, one candidate instant at a time.

function firesAt(zone: OracleZone, cron: OracleCron, t: number): boolean {
  const wall = t + zone.offsetAt(t);
  if (cron.matches(wall)) {
    const occ = zone.occurrences(wall);
    // Happens once, or twice and this is the first pass, or twice and every hour fires.
    if (occ.length === 1 || occ[0] === t || cron.everyHour) return true;
  }
  // A gap wall W (no occurrence) shifted forward by the gap fires at W - offsetBefore; for a
  // spring-forward at `at` those targets are the instants [at, at + gap).
  for (const c of zone.changes) {
    if (c.after > c.before && t >= c.at && t < c.at + (c.after - c.before)) {
      const w = t + c.before;
      if (cron.matches(w) && zone.occurrences(w).length === 0) return true;
    }
  }
  return false;
}

/**
 * Every fire from just after `from` until the first one past `until` (or `until` + `horizon`), in
 * order: each whole second (6 fields) or minute (5 fields) checked on its own.
 */
function oracleSweep(zone: OracleZone, cron: OracleCron, from: number, until: number, horizon: number): number[] {
  const out: number[] = [];
  const g = cron.granule;
  for (let t = Math.floor(from / g) * g + g; t <= until + horizon; t += g) {
    if (firesAt(zone, cron, t)) {
      out.push(t);
      if (t > until) break;
    }
  }
  return out;
}

/** The first fire in a sweep strictly after `after` (binary search), or null when the sweep has none. */
function firstAfter(fires: readonly number[], after: number): number | null {
  let lo = 0;
  let hi = fires.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fires[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo < fires.length ? fires[lo]! : null;
}

// ---------------------------------------------------------------------------------------------
// Cases.

const CRONS = [
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

interface ZoneCase {
  zone: string;
  /** Where to look for offset changes (UTC dates), and how many the tz data must have there. */
  from: string;
  to: string;
  changes: number;
}

const ZONES: ZoneCase[] = [
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

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** `after` values around one change: edges, inside the gap / repeated walls, hours either side, and seeded samples. */
function aftersAround(c: Change, seed: number): number[] {
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

function iso(ms: number): string {
  const d = new Date(0);
  d.setTime(ms);
  return d.toISOString();
}

function describeInstant(zone: OracleZone, t: number | null): string {
  if (t === null) return "null";
  const off = zone.offsetAt(t);
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off) / MIN;
  const hh = String(Math.floor(a / 60)).padStart(2, "0");
  const mm = String(a % 60).padStart(2, "0");
  return `${iso(t)} (wall ${iso(t + off).slice(0, 23)}${sign}${hh}:${mm})`;
}

const CHAIN_FIRES = 120;
let comparisons = 0;

describe("nextCronFire agrees with a brute-force DST oracle", () => {
  it.each(ZONES)("$zone", ({ zone: name, from, to, changes: expectedChanges }) => {
    const rangeFrom = Date.parse(`${from}T00:00:00Z`);
    const rangeTo = Date.parse(`${to}T00:00:00Z`);
    const oz = new OracleZone(name, rangeFrom - 12 * DAY, rangeTo + 12 * DAY);
    const changes = oz.changes.filter((c) => c.at >= rangeFrom && c.at <= rangeTo);
    expect(changes.length, `${name}: offset changes between ${from} and ${to}`).toBe(expectedChanges);
    const zone = zoneFor(name);
    const bad: string[] = [];
    let count = 0;
    const record = (cron: string, after: number, got: number | null, want: number | null, note = "") => {
      if (bad.length < 8) {
        bad.push(
          `${name} "${cron}"${note} after ${describeInstant(oz, after)}: got ${describeInstant(oz, got)}, want ${describeInstant(oz, want)}`,
        );
      } else bad.push("");
    };

    for (const c of changes) {
      const d = Math.abs(c.after - c.before);
      for (const text of CRONS) {
        const cron = parseCron(text, "test");
        const oc = oracleCron(text);
        const afters = aftersAround(c, seedOf(`${name} ${c.at} ${text}`));
        const lead = oc.granule === SEC ? 150 * SEC : 3 * HOUR;
        const starts = [...new Set([c.at - d - lead, c.at - lead, c.at + d - lead])];
        const end = c.at + d + lead;
        const from = Math.min(afters[0]!, ...starts);
        const until = Math.max(afters[afters.length - 1]!, end);
        // One sweep of the oracle serves every `after` and chain below.
        const fires = oracleSweep(oz, oc, from, until, 3 * DAY + d);
        expect(fires[fires.length - 1]! > until, `oracle: no fire within 3 days after ${iso(until)}: ${name} "${text}"`).toBe(true);

        // Single calls.
        for (const after of afters) {
          const want = firstAfter(fires, after);
          const got = nextCronFire(cron, zone, after);
          count++;
          if (got !== want) record(text, after, got, want);
        }

        // Chains: nextCronFire fed its own results, against the oracle's fires in order.
        for (const start of starts) {
          const want = fires.filter((t) => t > start && t <= end).slice(0, CHAIN_FIRES);
          const got: number[] = [];
          let t: number | null = start;
          while (got.length < CHAIN_FIRES) {
            t = nextCronFire(cron, zone, t);
            if (t === null || t > end) break;
            got.push(t);
          }
          count += Math.max(got.length, want.length);
          const i = got.findIndex((g, k) => g !== want[k]);
          const at = i >= 0 ? i : got.length !== want.length ? Math.min(got.length, want.length) : -1;
          if (at >= 0) {
            const prev = at === 0 ? start : want[at - 1]!;
            record(text, prev, got[at] ?? null, want[at] ?? null, ` chain from ${iso(start)}, fire #${at + 1}`);
          }
        }
      }
    }
    comparisons += count;
    const shown = bad.filter((b) => b !== "");
    expect(bad.length, `${bad.length} disagreement(s) out of ${count} comparisons; first ones:\n${shown.join("\n")}`).toBe(0);
  });

  it("made tens of thousands of comparisons", () => {
    expect(comparisons).toBeGreaterThan(10_000);
  });
});
