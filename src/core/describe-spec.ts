import type { ScheduleSpec } from "@sundial/sdk/protocol";
import { durationMs } from "./spec.ts";

const DOW = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
/** No prototype: a lookup of "constructor" or "toString" finds nothing. */
const ALIASES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  "@yearly": "once a year at 00:00 on 1 January",
  "@annually": "once a year at 00:00 on 1 January",
  "@monthly": "at 00:00 on day 1 of every month",
  "@weekly": "at 00:00 every Sunday",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "at minute 0 of every hour",
});

/** A spec duration in words, as it fires (whole milliseconds). */
function seconds(spec: number): string {
  const n = durationMs(spec) / 1000;
  if (n % 86_400 === 0) return n === 86_400 ? "day" : `${n / 86_400} days`;
  if (n % 3600 === 0) return n === 3600 ? "hour" : `${n / 3600} hours`;
  if (n % 60 === 0) return n === 60 ? "minute" : `${n / 60} minutes`;
  return n === 1 ? "second" : `${n} seconds`;
}

const pad = (s: string) => s.padStart(2, "0");
const isNum = (s: string) => /^\d+$/.test(s);

function dowText(f: string): string {
  if (/^\d-\d$/.test(f)) {
    const [a, b] = f.split("-").map(Number) as [number, number];
    return `${DOW[a % 7]} through ${DOW[b % 7]}`;
  }
  if (/^[\d,]+$/.test(f)) return f.split(",").map((d) => DOW[Number(d) % 7]).join(", ");
  return `day-of-week ${f}`;
}

/** 2 -> "2nd", 5 -> "5th", 11 -> "11th", 21 -> "21st". */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/**
 * The times of day of an expression whose seconds field is `*`: every second of the minutes and
 * hours it names (common shapes; null for others, which are quoted). Read as if the seconds were
 * 0, `* 0 9 * * *` said "at 09:00": one fire, where it has sixty.
 */
function everySecondOf(min: string, hour: string): string | null {
  if (min === "*" && hour === "*") return "every second";
  if (isNum(min) && isNum(hour)) return `every second from ${pad(hour)}:${pad(min)}:00 to ${pad(hour)}:${pad(min)}:59`;
  if (min === "*" && isNum(hour)) return `every second from ${pad(hour)}:00:00 to ${pad(hour)}:59:59`;
  if (isNum(min) && hour === "*") return `every second of minute ${min} of every hour`;
  if (/^\*\/\d+$/.test(min) && hour === "*") {
    const n = Number(min.slice(2));
    return n === 1 ? "every second" : `every second of every ${ordinal(n)} minute`;
  }
  return null;
}

/**
 * A `*\/N` minute or hour field as the text can say it: a step restarts each hour (each day for
 * hours), so `*\/25` fires at :00, :25 and :50 (ten minutes from :50 to :00) and is no period;
 * only a step that divides the range is one. A step past the range names its one value, 0; a step of 1 is `*`.
 * Null: a step the text cannot say exactly (the expression is quoted).
 */
function stepField(field: string, range: number): string | null {
  const m = /^\*\/(\d+)$/.exec(field);
  if (!m) return field;
  const n = Number(m[1]);
  if (n >= range) return "0";
  if (n === 1) return "*";
  return n > 0 && range % n === 0 ? field : null;
}

/** A readable English rendering of one cron expression (common shapes; anything else is quoted). */
export function describeCron(expr: string): string {
  const alias = ALIASES[expr.trim().toLowerCase()];
  if (alias) return alias;
  const parts = expr.trim().split(/\s+/);
  const [sec, rawMin, rawHour, dom, mon, dow] = parts.length === 6 ? parts : ["0", ...parts];
  if (sec === undefined || rawMin === undefined || rawHour === undefined || dom === undefined || mon === undefined || dow === undefined) return `cron "${expr}"`;
  const min = stepField(rawMin, 60);
  const hour = stepField(rawHour, 24);
  if (min === null || hour === null) return `cron "${expr}"`;
  let time: string;
  if (sec === "*") {
    const every = everySecondOf(min, hour);
    if (every === null) return `cron "${expr}"`;
    time = every;
  } else if (sec !== "0") time = `cron "${expr}"`;
  else if (isNum(min) && isNum(hour)) time = `at ${pad(hour)}:${pad(min)}`;
  else if (isNum(min) && hour === "*") time = `at minute ${min} of every hour`;
  else if (isNum(min) && /^\*\/\d+$/.test(hour)) time = `at minute ${min} every ${hour.slice(2)} hours`;
  else if (/^\*\/\d+$/.test(min) && hour === "*") time = `every ${min.slice(2)} minutes`;
  else if (min === "*" && hour === "*") time = "every minute";
  else return `cron "${expr}"`;
  const days: string[] = [];
  const domPart = dom !== "*" && dom !== "?" ? (dom === "L" ? "on the last day of the month" : `on day-of-month ${dom}`) : null;
  const dowPart = dow !== "*" && dow !== "?" ? `on ${dowText(dow)}` : null;
  // Vixie's rule (cron.ts): two restricted day fields match either; one starting with `*` (`*/2`) ANDs.
  if (domPart !== null && dowPart !== null && !/^[*?]/.test(dom) && !/^[*?]/.test(dow)) days.push(`${domPart} or ${dowPart}`);
  else days.push(...[domPart, dowPart].filter((d): d is string => d !== null));
  if (mon !== "*") days.push(`in month ${mon}`);
  if (days.length === 0 && time.startsWith("at ") && /^at \d/.test(time)) return `every day ${time}`;
  if (days.length === 0 && time.startsWith("every second from")) return `${time}, every day`;
  return [time, ...days].join(", ");
}

/** A readable summary of a whole spec, e.g. "at 09:00, on Monday through Friday (America/New_York)". */
export function describeSpec(spec: ScheduleSpec): string {
  const parts: string[] = [];
  for (const c of spec.cron_expressions) parts.push(describeCron(c));
  for (const i of spec.intervals) parts.push(`every ${seconds(i.every)}${durationMs(i.offset) > 0 ? ` (offset ${seconds(i.offset)})` : ""}`);
  if (spec.at.length > 0) parts.push(spec.at.length === 1 ? `once at ${new Date(spec.at[0]!).toISOString()}` : `at ${spec.at.length} set times`);
  let text = parts.join("; ");
  if (spec.exclude.length > 0) text += `, except ${spec.exclude.map(describeCron).join(" or ")}`;
  if (spec.repeat_count > 0) text += `, ${spec.repeat_count} time${spec.repeat_count === 1 ? "" : "s"} at most`;
  if (durationMs(spec.jitter_seconds) > 0) text += `, with up to ${seconds(spec.jitter_seconds)} of jitter`;
  return `${text} (${spec.timezone})`;
}
