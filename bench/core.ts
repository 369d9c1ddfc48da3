/**
 * `npm run bench -- core`: next-fire computations per second of the pure core (src/core/), beside
 * cron-parser's own `next()` on the same expressions, zones and span, in the same process.
 *
 * Each case walks a fixed span of real time by chaining `t = next(spec, t)` (Sundial) or calling
 * `.next()` on one iterator (cron-parser); both do exactly the same number of steps, the number of
 * fire times in the span. Spans cross DST transitions in both directions in each DST zone.
 */
import type { CronDate } from "cron-parser";
import { CronExpressionParser } from "cron-parser";
import { ScheduleSpecInput } from "../sdk/src/protocol/schedule-spec.ts";
import { next, nextFire } from "../src/core/fire-times.ts";
import { compileSpec } from "../src/core/spec.ts";
import type { CompiledSpec } from "../src/core/spec.ts";
import { isFailure, measure } from "./lib/measure.ts";
import type { MeasureOptions, Workload } from "./lib/measure.ts";
import { formatInt, formatUs, packageVersion, printContext, printTable } from "./lib/report.ts";

const OPTIONS: MeasureOptions = { warmupMs: 250, minRepMs: 150, reps: 5 };
const JITTER_SECONDS = 30;
const SCHEDULE_ID = "bench-schedule";

interface Case {
  /** What fires: a cron expression, or an interval label. */
  what: string;
  zone: string;
  /** Wire-format spec input (normalised by the SDK's schema, as the API does). */
  input: Record<string, unknown>;
  /** The span walked: fire times in (from, to]. */
  from: string;
  to: string;
  /** Whether cron-parser can compute the same thing (crons only). */
  cronParser: boolean;
}

const ZONES = ["UTC", "America/New_York", "Australia/Lord_Howe"] as const;
/**
 * The weekday-business-hours expression fires 28k times a year; cron-parser needs ~80 µs per step
 * in a DST zone, so it gets a one-year span (still one spring-forward and one fall-back per zone) to
 * keep the suite near a minute. The daily expression gets four years.
 */
const CRONS = [
  { expr: "*/5 9-17 * * 1-5", from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" },
  { expr: "0 9 * * *", from: "2026-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" },
] as const;

const CASES: Case[] = [
  ...ZONES.flatMap((zone) =>
    CRONS.map((c) => ({ what: c.expr, zone, input: { cron: c.expr, timezone: zone }, from: c.from, to: c.to, cronParser: true })),
  ),
  // Intervals are elapsed time (DST cannot move them); one year is 350k steps, plenty to time.
  { what: "every 90s", zone: "UTC", input: { intervals: [{ every: "90s" }] }, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", cronParser: false },
];

function compile(c: Case, extra: Record<string, unknown> = {}): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse({ ...c.input, ...extra }), { createdAt: Date.parse(c.from) });
}

/** Every nominal fire in (from, to], computed once untimed: it fixes the ops per pass. */
function firesInSpan(spec: CompiledSpec, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t: number | null = next(spec, from); t !== null && t <= to; t = next(spec, t)) out.push(t);
  return out;
}

function sundialNext(spec: CompiledSpec, start: number, n: number): Workload {
  let t = start;
  let i = 0;
  return {
    opsPerPass: n,
    run(ops) {
      for (let k = 0; k < ops; k++) {
        const x = next(spec, t);
        if (x === null) throw new Error(`next() returned null after ${new Date(t).toISOString()}`);
        t = x;
        if (++i === n) { t = start; i = 0; }
      }
      return t;
    },
    timedPass(lat, res) {
      let u = start;
      for (let k = 0; k < n; k++) {
        const a = performance.now();
        const x = next(spec, u);
        const b = performance.now();
        lat[k] = b - a;
        u = res[k] = x ?? Number.NaN;
      }
    },
  };
}

function sundialNextFire(spec: CompiledSpec, start: number, n: number): Workload {
  let t = start;
  let i = 0;
  return {
    opsPerPass: n,
    run(ops) {
      let sum = 0;
      for (let k = 0; k < ops; k++) {
        const f = nextFire(spec, SCHEDULE_ID, t);
        if (f === null) throw new Error(`nextFire() returned null after ${new Date(t).toISOString()}`);
        t = f.nominal;
        sum += f.actual - f.nominal;
        if (++i === n) { t = start; i = 0; }
      }
      return t + sum;
    },
    timedPass(lat, res) {
      let u = start;
      for (let k = 0; k < n; k++) {
        const a = performance.now();
        const f = nextFire(spec, SCHEDULE_ID, u);
        const b = performance.now();
        lat[k] = b - a;
        u = res[k] = f?.nominal ?? Number.NaN;
      }
    },
  };
}

function localTime(ms: number, zone: string): string {
  return `${new Date(ms).toLocaleString("sv-SE", { timeZone: zone })} ${zone}`;
}

/** cron-parser's raw iterator: parse once, then `.next()` repeatedly; `reset` at the span start. */
function cronParserNext(expr: string, zone: string, start: number, n: number): Workload {
  const iter = CronExpressionParser.parse(expr, { tz: zone, currentDate: new Date(start) });
  let i = 0;
  let last: CronDate | undefined;
  const fail = (err: unknown, index: number): Error => {
    const at = last ? `; last fire returned ${new Date(last.getTime()).toISOString()} = ${localTime(last.getTime(), zone)}` : "";
    return new Error(`${(err as Error).message ?? String(err)} on call #${index + 1} of the pass${at}`);
  };
  return {
    opsPerPass: n,
    run(ops) {
      try {
        for (let k = 0; k < ops; k++) {
          last = iter.next();
          if (++i === n) { iter.reset(new Date(start)); i = 0; }
        }
      } catch (err) {
        throw fail(err, i);
      }
      return last ? last.getTime() : 0;
    },
    timedPass(lat, res) {
      iter.reset(new Date(start));
      i = 0;
      try {
        for (let k = 0; k < n; k++) {
          const a = performance.now();
          const d = iter.next();
          const b = performance.now();
          lat[k] = b - a;
          res[k] = d.getTime();
          last = d;
          i++;
        }
      } catch (err) {
        throw fail(err, i);
      }
    },
  };
}

/** How many of `got` differ from `want` (fires in one list but not the other), and the first such. */
function compareFires(want: readonly number[], got: Float64Array): { differ: number; first: string | null } {
  const a = new Set(want);
  const b = new Set(got);
  const onlyWant = want.filter((t) => !b.has(t));
  const onlyGot = [...got].filter((t) => !a.has(t));
  const firstMissing = onlyWant[0];
  const firstExtra = onlyGot[0];
  let first: string | null = null;
  if (firstMissing !== undefined && (firstExtra === undefined || firstMissing <= firstExtra)) first = `missing ${new Date(firstMissing).toISOString()}`;
  else if (firstExtra !== undefined) first = `extra ${Number.isNaN(firstExtra) ? "null" : new Date(firstExtra).toISOString()}`;
  return { differ: onlyWant.length + onlyGot.length, first };
}

function spanLabel(c: Case): string {
  const years = (Date.parse(c.to) - Date.parse(c.from)) / (365.25 * 86_400_000);
  return `${c.from.slice(0, 4)}+${Math.round(years)}y`;
}

/** Runs the core suite and prints its table. */
export async function run(args: string[]): Promise<void> {
  if (args.length > 0) throw new Error(`the core suite takes no arguments (got ${args.join(" ")})`);
  printContext("core", [
    ["libraries", `cron-parser ${packageVersion("cron-parser")}, luxon ${packageVersion("luxon")}`],
    ["method", `per workload: ${OPTIONS.warmupMs} ms warm-up; ${OPTIONS.reps} timed repetitions of whole passes over the span (each >= ${OPTIONS.minRepMs} ms), median ops/s; then one pass timing every op (p50/p99, timer overhead subtracted)`],
  ]);

  const columns = [
    { header: "expression" },
    { header: "zone" },
    { header: "span" },
    { header: "fires", right: true },
    { header: "implementation" },
    { header: "ops/s (median of 5)", right: true },
    { header: "spread", right: true },
    { header: "p50 µs/op", right: true },
    { header: "p99 µs/op", right: true },
    { header: "Sundial/cron-parser", right: true },
    { header: "same fires" },
  ];
  const rows: (string[] | null)[] = [];
  const notes: string[] = [];
  let checksum = 0;
  const started = performance.now();

  for (const c of CASES) {
    const from = Date.parse(c.from);
    const to = Date.parse(c.to);
    const spec = compile(c);
    const want = firesInSpan(spec, from, to);
    const n = want.length;
    const workloads: [string, () => Workload][] = [
      ["sundial next", () => sundialNext(spec, from, n)],
      [`sundial nextFire (+${JITTER_SECONDS}s jitter)`, () => sundialNextFire(compile(c, { jitter_seconds: JITTER_SECONDS }), from, n)],
    ];
    if (c.cronParser) workloads.push(["cron-parser next()", () => cronParserNext(c.what, c.zone, from, n)]);

    const results = workloads.map(([label, make]) => ({ label, m: measure(make(), OPTIONS) }));
    const ref = results.find((r) => r.label === "cron-parser next()")?.m;
    const refRate = ref && !isFailure(ref) ? ref.opsPerSec : null;

    for (const { label, m } of results) {
      const head = [c.what, c.zone, spanLabel(c), formatInt(n), label];
      if (isFailure(m)) {
        notes.push(`${c.what} in ${c.zone}, ${label}: FAILED: ${m.error.message}`);
        rows.push([...head, `FAILED [${notes.length}]`, "", "", "", "", ""]);
        continue;
      }
      checksum += m.checksum;
      const spread = Math.max(m.maxOpsPerSec - m.opsPerSec, m.opsPerSec - m.minOpsPerSec) / m.opsPerSec;
      const isSundial = label.startsWith("sundial");
      const ratio = isSundial && refRate !== null ? `${(m.opsPerSec / refRate).toFixed(2)}` : isSundial && c.cronParser ? "n/a" : "";
      const cmp = compareFires(want, m.results);
      let same = label === "sundial next" ? "(reference)" : cmp.differ === 0 ? "yes" : `NO, ${cmp.differ} differ`;
      if (cmp.differ > 0) {
        notes.push(`${c.what} in ${c.zone}, ${label}: ${cmp.differ} fire times differ from Sundial's next(); first: ${cmp.first}`);
        same += ` [${notes.length}]`;
      }
      rows.push([...head, formatInt(m.opsPerSec), `±${(spread * 100).toFixed(0)}%`, formatUs(m.p50Us), formatUs(m.p99Us), ratio, same]);
    }
    rows.push(null);
  }
  rows.pop();

  printTable(columns, rows);
  console.log("");
  console.log("Sundial/cron-parser = Sundial ops/s divided by cron-parser ops/s on the same row group (> 1: Sundial is faster).");
  console.log("nextFire = nominal + jitter: it also computes the following nominal time (jitter must stay below it), through the fires() generator.");
  console.log("same fires = the fire times in the span equal those of Sundial's next() (the reference row), compared as sets.");
  for (const [i, note] of notes.entries()) console.log(`[${i + 1}] ${note}`);
  console.log(`\nsuite time ${((performance.now() - started) / 1000).toFixed(1)} s (checksum ${checksum.toExponential(3)})`);
}
