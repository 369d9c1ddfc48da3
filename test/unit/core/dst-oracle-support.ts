/**
 * The brute-force DST oracle of dst-oracle.test.ts: offsets from Intl.DateTimeFormat ("longOffset")
 * as piecewise-constant segments between binary-searched changes, a small cron matcher on naive
 * wall times, and the fires by DESIGN.md's DST rules, one candidate instant at a time. It shares no
 * code with src/core/zone.ts or src/core/cron.ts.
 */

export const SEC = 1000;
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

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

export interface Change {
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

export class OracleZone {
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

export interface OracleCron {
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

export function oracleCron(text: string): OracleCron {
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
export function oracleSweep(zone: OracleZone, cron: OracleCron, from: number, until: number, horizon: number): number[] {
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
export function firstAfter(fires: readonly number[], after: number): number | null {
  let lo = 0;
  let hi = fires.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fires[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo < fires.length ? fires[lo]! : null;
}
