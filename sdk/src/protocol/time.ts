import { z } from "zod";
import { ZONE_ALIASES } from "./zone-names.ts";

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
 * Zones already checked, by the name as typed, with its IANA spelling. Constructing the
 * Intl.DateTimeFormat is the whole cost of a check (~0.25 ms in workerd, about 2 % of a schedule
 * create), and every request naming a zone checks it. Only valid names are kept (a bounded set:
 * the tz database's names and aliases, in the cases people type them); the cap guards anyway.
 */
const knownZones = new Map<string, string>();
const KNOWN_ZONES_MAX = 4096;

/** A UTC offset ("+05:00", "-0500", "+05"), which workerd's Intl takes for a zone and Node's does not. */
const OFFSET_RE = /^[+\u2212-]\d/;

/**
 * The IANA spelling of a time zone name this runtime knows, in whatever case it was typed
 * (`america/new_york` -> `America/New_York`, `utc` -> `UTC`, `etc/utc` -> `Etc/UTC`), or null
 * for an unknown name or a UTC offset. Never another name for the same zone: Intl's
 * `resolvedOptions()` renames links (`Asia/Kolkata` -> `Asia/Calcutta`), so its answer is used only
 * when it is the typed name up to case, and links are spelt from {@link ZONE_ALIASES}.
 * @example canonicalTimeZone("europe/paris") // "Europe/Paris"
 */
export function canonicalTimeZone(zone: string): string | null {
  if (zone.length === 0 || zone.length > 64 || OFFSET_RE.test(zone)) return null;
  const hit = knownZones.get(zone);
  if (hit !== undefined) return hit;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  const lower = zone.toLowerCase();
  const name = ZONE_ALIASES.get(lower) ?? (resolved.toLowerCase() === lower ? resolved : zone);
  if (knownZones.size < KNOWN_ZONES_MAX) knownZones.set(zone, name);
  return name;
}

/** True when `zone` is an IANA time zone name this runtime knows (`UTC` included), in any case. */
export function isValidTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) !== null;
}

/** Why a zone name was refused; an offset gets the fixed-offset zone to use, when IANA has one. */
function zoneProblem(zone: string): string {
  if (!OFFSET_RE.test(zone)) return `unknown time zone ${JSON.stringify(zone)}: use an IANA name such as America/New_York`;
  const m = /^([+\u2212-])(\d{2})(?::?(\d{2}))?$/.exec(zone);
  const text = `${JSON.stringify(zone)} is a UTC offset, not a time zone: use an IANA name such as America/New_York`;
  if (!m || (m[3] ?? "00") !== "00") return text;
  const east = m[1] === "+";
  const hours = Number(m[2]);
  if (hours > (east ? 14 : 12)) return text;
  // Etc/GMT signs are POSIX's: Etc/GMT-5 is five hours east of UTC.
  const etc = hours === 0 ? "UTC" : `Etc/GMT${east ? "-" : "+"}${hours}`;
  return `${text} (a fixed UTC${east ? "+" : "-"}${m[2]}:00 is ${etc})`;
}

/**
 * An IANA time zone name, validated against the runtime's tz database and read in its IANA
 * spelling (see {@link canonicalTimeZone}), which is what is stored, echoed and given to runs.
 */
export const TimeZone = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const name = canonicalTimeZone(v);
    if (name === null) {
      ctx.addIssue({ code: "custom", message: zoneProblem(v) });
      return z.NEVER;
    }
    return name;
  });
