import { CronExpressionParser } from "cron-parser";
import { daysInMonth } from "@sundial/sdk/protocol";
import { InvalidCronError } from "./errors.ts";

/**
 * A parsed cron expression that matches *naive local wall-clock times* (epoch ms read as if UTC).
 * It knows nothing about time zones: `zone.ts` and `fire-times.ts` own the DST resolution, so no
 * library's DST quirk reaches users. cron-parser does the parsing (names, ranges, steps, `L`, `#`);
 * `W`/`LW` (nearest weekday), which cron-parser lacks, and the matching itself are ours.
 */
export interface CronMatcher {
  /** The expression as given. */
  readonly expression: string;
  /** Canonical 6-field form (seconds first). */
  readonly canonical: string;
  /** True when the hour field covers all 24 hours: fall-back then fires in every real hour. */
  readonly everyHour: boolean;
  /** The smallest matching naive time strictly after `afterNaive`, or null if none within the search horizon. */
  nextLocal(afterNaive: number): number | null;
  /** Whether a naive local time (second precision) matches. */
  matchesLocal(naive: number): boolean;
  /**
   * The span one match stands for when the expression is used as an exclusion: 60 s for 5 fields
   * and aliases (they name minutes), 1 s with a seconds field. Interval and `at` fires fall at any
   * second and millisecond, so they are tested against the minute or second that contains them.
   */
  readonly granularityMs: number;
  /** Whether every time on the local day of `naive` matches (at `granularityMs`): a whole day can be skipped. */
  coversDay(naive: number): boolean;
  /** Whether every time in the local hour of `naive` matches: a whole hour can be skipped. */
  coversHour(naive: number): boolean;
  /** Whether every day of the local month of `naive` matches the month and day fields (times of day aside). */
  coversMonthDays(naive: number): boolean;
  /** The second, minute and hour fields' values, ascending: the times of day it matches. */
  readonly times: { readonly seconds: readonly number[]; readonly minutes: readonly number[]; readonly hours: readonly number[] };
}

/** No prototype: a lookup of "constructor" or "toString" finds nothing. */
const ALIASES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
});
const NAMES_RE = /\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)\b/gi;
const W_TOKEN_RE = /^([1-9]|[12]\d|3[01])W$/i;
const DAY_MS = 86_400_000;
/**
 * How far ahead `nextLocal` searches, in months. The Gregorian calendar repeats every 400 years
 * (146,097 days, exactly 20,871 weeks), so a match that no 400-year span holds never comes: past
 * this horizon null is a fact, not a guess. Rare combinations really are decades apart (a leap-day
 * Monday, `0 0 * 2 1#5`: 2044, 2072, then 2112, as 2100 is no leap year); 12 years found none.
 */
const HORIZON_MONTHS = 401 * 12;

function sortedNumbers(values: readonly (number | string)[]): number[] {
  return [...new Set(values.filter((v): v is number => typeof v === "number"))].sort((a, b) => a - b);
}

/** Date.UTC for a day, except that years 0-99 stay years 0-99 (Date.UTC reads them as 1900-1999). */
function utcDay(year: number, month0: number, day: number): number {
  if (year >= 100) return Date.UTC(year, month0, day);
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  return d.getTime();
}

/** Quartz `nW`: the weekday nearest to day `n`, never leaving the month. */
function nearestWeekday(year: number, month1: number, day: number): number | null {
  const dim = daysInMonth(year, month1);
  if (day > dim) return null;
  const dow = new Date(utcDay(year, month1 - 1, day)).getUTCDay();
  if (dow === 6) return day === 1 ? 3 : day - 1;
  if (dow === 0) return day === dim ? day - 2 : day + 1;
  return day;
}

function lastWeekday(year: number, month1: number): number {
  const dim = daysInMonth(year, month1);
  const dow = new Date(utcDay(year, month1 - 1, dim)).getUTCDay();
  return dow === 6 ? dim - 1 : dow === 0 ? dim - 2 : dim;
}

/**
 * Parses a cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 with leading
 * seconds, or an `@alias`. Throws {@link InvalidCronError} naming `field` and the expression.
 * @example parseCron("0 9 * * 1-5", "cron_expressions.0").everyHour // false
 */
export function parseCron(expression: string, field: string): CronMatcher {
  const text = expression.trim();
  const expanded = ALIASES[text.toLowerCase()] ?? text;
  if (expanded.startsWith("@")) throw new InvalidCronError(field, expression, `unknown alias; use one of ${Object.keys(ALIASES).join(", ")}`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new InvalidCronError(field, expression, `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, got ${parts.length}`);
  }
  const six = parts.length === 6 ? parts : ["0", ...parts];
  for (const p of six) {
    // cron-parser reads `H` as a random hash: never deterministic, so never accepted.
    if (/H/i.test(p.replace(NAMES_RE, ""))) throw new InvalidCronError(field, expression, `'H' (hashed values) is not supported`);
  }
  const domText = six[3]!;
  const dowText = six[5]!;
  // Pull out W tokens (cron-parser does not know them); the rest goes to the library.
  const wDays: number[] = [];
  let lastWeekdayFlag = false;
  const domRest: string[] = [];
  for (const token of domText.split(",")) {
    const w = W_TOKEN_RE.exec(token);
    if (w) wDays.push(Number(w[1]));
    else if (token.toUpperCase() === "LW") lastWeekdayFlag = true;
    else domRest.push(token);
  }
  const hasW = wDays.length > 0 || lastWeekdayFlag;
  const libDom = domRest.length > 0 ? domRest.join(",") : "*";
  let parsed;
  try {
    parsed = CronExpressionParser.parse([six[0], six[1], six[2], libDom, six[4], six[5]].join(" "), { tz: "UTC", strict: false });
  } catch (err) {
    throw new InvalidCronError(field, expression, (err as Error).message);
  }
  const f = parsed.fields;
  const seconds = sortedNumbers(f.second.values);
  const minutes = sortedNumbers(f.minute.values);
  const hours = sortedNumbers(f.hour.values);
  const months = new Array<boolean>(13).fill(false);
  for (const m of f.month.values) months[m] = true;
  const domSet = new Array<boolean>(32).fill(false);
  let lastDay = false;
  if (domRest.length > 0) {
    for (const d of f.dayOfMonth.values) {
      if (d === "L") lastDay = true;
      else if (typeof d === "number") domSet[d] = true;
    }
  }
  const dowSet = new Array<boolean>(7).fill(false);
  const lastDow = new Array<boolean>(7).fill(false);
  for (const d of f.dayOfWeek.values) {
    if (typeof d === "number") dowSet[d % 7] = true;
    else {
      const m = /^(\d)L$/.exec(String(d));
      if (m) lastDow[Number(m[1]) % 7] = true;
    }
  }
  const nth = f.dayOfWeek.nthDay;
  const domWild = !hasW && (domText === "*" || domText === "?");
  const dowWild = dowText === "*" || dowText === "?";
  // Vixie cron's rule, by the field's text: when either day field starts with `*` (`*/2`, say) the
  // two must both match; only when both are restricted (neither starts with `*`) may either match.
  // cron-parser decides by the values instead, so it ORs `*/2 * 1` (odd days or Mondays): overridden.
  const dayFieldsAnded = /^[*?]/.test(domText) || /^[*?]/.test(dowText);

  /** Days of month `m` that `nW` and `LW` name (computed once per month searched, not once per day). */
  const wMatches = (y: number, m: number): number[] => {
    const out = wDays.map((w) => nearestWeekday(y, m, w)).filter((d): d is number => d !== null);
    if (lastWeekdayFlag) out.push(lastWeekday(y, m));
    return out;
  };
  const NO_DAYS: readonly number[] = [];

  /** Whether day `d` matches, given the month's day count, the weekday of its 1st and its W days. */
  const dayMatchesIn = (d: number, dim: number, dow1: number, wHits: readonly number[]): boolean => {
    if (domWild && dowWild) return true;
    const domMatch = domSet[d] === true || (lastDay && d === dim) || wHits.includes(d);
    const dow = (dow1 + d - 1) % 7;
    const dowMatch = (dowSet[dow] === true && (nth === 0 || Math.ceil(d / 7) === nth)) || (lastDow[dow] === true && d + 7 > dim);
    if (domWild) return dowMatch;
    if (dowWild) return domMatch;
    return dayFieldsAnded ? domMatch && dowMatch : domMatch || dowMatch;
  };

  const weekdayOfFirst = (y: number, m: number): number => new Date(utcDay(y, m - 1, 1)).getUTCDay();
  const dayMatches = (y: number, m: number, d: number): boolean =>
    months[m] === true && dayMatchesIn(d, daysInMonth(y, m), weekdayOfFirst(y, m), hasW ? wMatches(y, m) : NO_DAYS);

  /** First (h, m, s) on a day at or after the given time of day, as seconds since midnight. */
  const firstTimeAtOrAfter = (h0: number, m0: number, s0: number): number | null => {
    for (const h of hours) {
      if (h < h0) continue;
      for (const m of minutes) {
        if (h === h0 && m < m0) continue;
        const sFrom = h === h0 && m === m0 ? s0 : 0;
        for (const s of seconds) if (s >= sFrom) return h * 3600 + m * 60 + s;
      }
    }
    return null;
  };

  // Month by month: a month the month field excludes costs one step, and a month's days are
  // tested with arithmetic (the weekday of its 1st, its W days once), so even the full 400-year
  // horizon of an expression that never fires is a few thousand steps.
  const nextLocal = (afterNaive: number): number | null => {
    const d0 = new Date(Math.floor(afterNaive / 1000) * 1000 + 1000);
    let y = d0.getUTCFullYear();
    let mo = d0.getUTCMonth() + 1;
    let fromDay = d0.getUTCDate();
    // Only the first day searched starts part-way through; every later one at midnight.
    const firstTod = firstTimeAtOrAfter(d0.getUTCHours(), d0.getUTCMinutes(), d0.getUTCSeconds());
    const midnightTod = firstTimeAtOrAfter(0, 0, 0);
    for (let i = 0; i <= HORIZON_MONTHS; i++) {
      if (months[mo]) {
        const dim = daysInMonth(y, mo);
        const dow1 = weekdayOfFirst(y, mo);
        const wHits = hasW ? wMatches(y, mo) : NO_DAYS;
        for (let day = fromDay; day <= dim; day++) {
          if (!dayMatchesIn(day, dim, dow1, wHits)) continue;
          const tod = i === 0 && day === fromDay ? firstTod : midnightTod;
          if (tod !== null) return utcDay(y, mo - 1, day) + tod * 1000;
        }
      }
      mo += 1;
      if (mo > 12) { mo = 1; y += 1; }
      fromDay = 1;
    }
    return null;
  };

  const matchesLocal = (naive: number): boolean => {
    const d = new Date(naive);
    if (d.getUTCMilliseconds() !== 0) return false;
    return (
      dayMatches(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) &&
      hours.includes(d.getUTCHours()) &&
      minutes.includes(d.getUTCMinutes()) &&
      seconds.includes(d.getUTCSeconds())
    );
  };

  const canonical = [six[0], six[1], six[2], domText, six[4], dowText].join(" ");
  const granularityMs = parts.length === 6 ? 1000 : 60_000;
  const coversDay = (naive: number): boolean => {
    if (hours.length !== 24 || minutes.length !== 60 || (granularityMs === 1000 && seconds.length !== 60)) return false;
    const d = new Date(naive);
    return dayMatches(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  };
  const coversHour = (naive: number): boolean => {
    if (minutes.length !== 60 || (granularityMs === 1000 && seconds.length !== 60)) return false;
    const d = new Date(naive);
    return hours.includes(d.getUTCHours()) && dayMatches(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  };
  const coversMonthDays = (naive: number): boolean => {
    const d = new Date(naive);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    if (months[m] !== true) return false;
    const dim = daysInMonth(y, m);
    const dow1 = weekdayOfFirst(y, m);
    const wHits = hasW ? wMatches(y, m) : NO_DAYS;
    for (let day = 1; day <= dim; day++) if (!dayMatchesIn(day, dim, dow1, wHits)) return false;
    return true;
  };
  const times = { seconds, minutes, hours };
  return { expression, canonical, everyHour: hours.length === 24, nextLocal, matchesLocal, granularityMs, coversDay, coversHour, coversMonthDays, times };
}

/**
 * Whether exclusion `x` matches every time of day that `cron` fires at: its hours and minutes, and
 * its seconds when `x` names seconds (a 5-field exclusion names whole minutes). Together with
 * {@link CronMatcher.coversMonthDays} it tells that every fire of `cron` in a month is excluded.
 */
export function coversTimesOf(x: CronMatcher, cron: CronMatcher): boolean {
  const within = (mine: readonly number[], theirs: readonly number[]) => theirs.every((v) => mine.includes(v));
  return (
    within(x.times.hours, cron.times.hours) &&
    within(x.times.minutes, cron.times.minutes) &&
    (x.granularityMs !== 1000 || within(x.times.seconds, cron.times.seconds))
  );
}

/** Whether an exclusion matches every time of day (at its granularity): it excludes any fire on a day it covers. */
export function coversWholeDay(x: CronMatcher): boolean {
  return x.times.hours.length === 24 && x.times.minutes.length === 60 && (x.granularityMs !== 1000 || x.times.seconds.length === 60);
}

/**
 * Whether an expression matches no date at all: cron-parser refuses `0 0 30 2 *`, but not every
 * impossible combination (`31W` in 30-day months). One search of the whole 400-year cycle decides.
 */
export function neverFires(m: CronMatcher): boolean {
  return m.nextLocal(0) === null;
}

export { DAY_MS };
