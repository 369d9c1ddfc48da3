import { z } from "zod";

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Days in a month (1-12) of the proleptic Gregorian calendar, for any year. Arithmetic, not
 * Date.UTC: that reads years 0-99 as 1900-1999, and 1900 has no 29 February where 0000 does.
 * The cron matcher (src/core/cron.ts) uses it too.
 */
export function daysInMonth(year: number, month1: number): number {
  if (month1 === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month1 === 4 || month1 === 6 || month1 === 9 || month1 === 11 ? 30 : 31;
}

/** Date.parse rolls 2026-02-30 over to 2 March; a wire time must name a real date and clock time. */
function realCalendarTime(v: string): boolean {
  const [y, mo, d, h, mi, s] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10), v.slice(11, 13), v.slice(14, 16), v.slice(17, 19)].map(Number) as [number, number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 59;
}

/**
 * The instants RFC 3339 can write in UTC (four-digit years): 0000-01-01T00:00:00Z through
 * 9999-12-31T23:59:59.999Z. Outside them `toISOString` writes `+010000-…`, so Sundial accepts no
 * time outside them and computes no fire time past the last.
 */
export const MIN_TIMESTAMP_MS = Date.parse("0000-01-01T00:00:00.000Z");
export const MAX_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** An RFC 3339 timestamp with an explicit offset, parsed to epoch milliseconds. */
export const Timestamp = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const ms = RFC3339_RE.test(v) && realCalendarTime(v) ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: `invalid timestamp ${JSON.stringify(v)}: use RFC 3339 with an offset, e.g. 2026-11-22T09:00:00Z` });
      return z.NEVER;
    }
    // "9999-12-31T23:00:00-05:00" is a valid string whose instant is in year 10000.
    if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
      ctx.addIssue({ code: "custom", message: `timestamp ${JSON.stringify(v)} is out of range: it must fall between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z` });
      return z.NEVER;
    }
    return ms;
  });

/** Formats epoch milliseconds as RFC 3339 UTC with milliseconds, the only time format Sundial writes. */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Zones already accepted. Constructing the Intl.DateTimeFormat is the whole cost of a check (~0.25 ms
 * in workerd, about 2 % of a schedule create), and every request naming a zone checks it. Only
 * valid names are kept (a bounded set: the tz database's names and aliases); the cap guards anyway.
 */
const knownZones = new Set<string>();
const KNOWN_ZONES_MAX = 4096;

/** True when `zone` is an IANA time zone name this runtime knows (`UTC` included). */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  if (knownZones.size < KNOWN_ZONES_MAX) knownZones.add(zone);
  return true;
}

/** An IANA time zone name, validated against the runtime's tz database. */
export const TimeZone = z
  .string()
  .max(64)
  .superRefine((v, ctx) => {
    if (!isValidTimeZone(v)) ctx.addIssue({ code: "custom", message: `unknown time zone ${JSON.stringify(v)}: use an IANA name such as America/New_York` });
  });
