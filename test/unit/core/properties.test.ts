import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { between, next } from "../../../src/core/fire-times.ts";
import { parseCron, type CronMatcher } from "../../../src/core/cron.ts";
import { jitterOffset } from "../../../src/core/jitter.ts";
import { decideOverlap, type OverlapPolicy } from "../../../src/core/overlap.ts";

const HOUR = 3_600_000;
/** Each property runs in well under this on a slow machine; the default 5 s is too tight for CI. */
const PROPERTY_TIMEOUT = { timeout: 30_000 };
const DAY = 86_400_000;
const CREATED = Date.UTC(2000, 0, 1);

/*
 * An independent view of the tz database: the runtime's Intl (zone.ts uses luxon's IANAZone), read
 * one wall-clock instant at a time with no caching of offsets, so the oracle below shares no code
 * and no shortcut with the implementation.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function wallNaive(zone: string, instant: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== "literal") p[part.type] = Number(part.value);
  const secondFloor = Math.floor(instant / 1000) * 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant - secondFloor);
}
const offsetOf = (zone: string, instant: number): number => wallNaive(zone, instant) - instant;
const iso = (t: number): string => new Date(t).toISOString();

/** ~40 real zones, the odd ones included (30- and 45-minute offsets, 30-minute and 2-hour DST, gaps at midnight, abolished DST). */
const ZONES = [
  "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
  "America/Anchorage", "Pacific/Honolulu", "America/Havana", "America/Santiago", "America/Asuncion", "America/Sao_Paulo",
  "America/St_Johns", "America/Nuuk", "America/Scoresbysund", "America/Mexico_City", "Atlantic/Azores", "Europe/London",
  "Europe/Dublin", "Europe/Paris", "Europe/Moscow", "Europe/Istanbul", "Africa/Casablanca", "Africa/Cairo",
  "Asia/Gaza", "Asia/Beirut", "Asia/Jerusalem", "Asia/Tehran", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Almaty",
  "Asia/Tokyo", "Etc/GMT+5", "Etc/GMT-14", "Australia/Adelaide", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Sydney", "Pacific/Norfolk",
  "Pacific/Chatham", "Pacific/Auckland", "Pacific/Apia", "Pacific/Kiritimati", "Pacific/Marquesas", "Antarctica/Troll",
];

// ---- generators -------------------------------------------------------------------------------

const int = (min: number, max: number) => fc.integer({ min, max });
const range = (min: number, max: number) => fc.tuple(int(min, max), int(min, max)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
const list = (min: number, max: number) => fc.uniqueArray(int(min, max), { minLength: 2, maxLength: 4 }).map((xs) => xs.join(","));

const minuteField = fc.oneof(
  fc.constant("*"),
  int(0, 59).map(String),
  fc.constantFrom("0", "15", "30", "45"),
  list(0, 59),
  range(0, 59),
  int(2, 30).map((n) => `*/${n}`),
  fc.tuple(range(0, 59), int(2, 20)).map(([r, n]) => `${r}/${n}`),
);
// DST transitions happen around midnight and 01:00-03:00 local: weight those hours.
const hourField = fc.oneof(
  { arbitrary: fc.constant("*"), weight: 3 },
  { arbitrary: int(0, 3).map(String), weight: 3 },
  { arbitrary: fc.constantFrom("22", "23"), weight: 1 },
  { arbitrary: int(0, 23).map(String), weight: 2 },
  { arbitrary: list(0, 23), weight: 2 },
  { arbitrary: range(0, 23), weight: 2 },
  { arbitrary: int(2, 12).map((n) => `*/${n}`), weight: 1 },
);
const domField = fc.oneof(
  { arbitrary: fc.constant("*"), weight: 8 },
  { arbitrary: int(1, 28).map(String), weight: 1 },
  { arbitrary: range(1, 28), weight: 1 },
  { arbitrary: fc.constantFrom("L", "LW", "1W", "15W", "1,15"), weight: 1 },
);
const monthField = fc.oneof({ arbitrary: fc.constant("*"), weight: 6 }, { arbitrary: list(1, 12), weight: 1 }, { arbitrary: range(1, 12), weight: 1 });
const dowField = fc.oneof(
  { arbitrary: fc.constant("*"), weight: 8 },
  { arbitrary: int(0, 6).map(String), weight: 1 },
  { arbitrary: range(0, 6), weight: 1 },
  { arbitrary: fc.constantFrom("1-5", "SAT,SUN", "5L", "0#1", "1#2"), weight: 1 },
);
const secondField = fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constantFrom("0", "30", "0,30", "*/20"), weight: 1 });
const cronArb = fc
  .tuple(secondField, minuteField, hourField, domField, monthField, dowField)
  .map(([s, ...rest]) => (s === null ? rest.join(" ") : [s, ...rest].join(" ")));

const T2020 = Date.UTC(2020, 0, 1);
const T2035 = Date.UTC(2035, 11, 31);
// Half the starts land in the months where most zones change their clocks.
const startArb = fc.oneof(
  int(T2020, T2035),
  fc
    .tuple(int(2020, 2035), fc.constantFrom(2, 3, 4, 9, 10, 11), int(1, 28), int(0, 23), int(0, 59))
    .map(([y, m, d, h, mi]) => Date.UTC(y, m, d, h, mi)),
);

function compileCron(cron: string, zone: string): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse({ cron, timezone: zone }), { createdAt: CREATED });
}

function firesFrom(spec: CompiledSpec, start: number, count: number): number[] {
  const out: number[] = [];
  let t = start;
  for (let i = 0; i < count; i++) {
    const n = next(spec, t);
    if (n === null) break;
    out.push(n);
    t = n;
  }
  return out;
}

/**
 * The oracle: every instant a cron must fire at in (from, to], from DESIGN.md's rules applied to
 * each matching wall time W one at a time: W's real occurrences (all of them when the hour field
 * is `*`, else the first), or, when W does not exist, W read with the offset in force before the
 * transition (shifted forward by the gap). Duplicates collapse.
 */
function oracle(m: CronMatcher, zone: string, from: number, to: number): number[] {
  const out = new Set<number>();
  let w = m.nextLocal(wallNaive(zone, from) - 4 * HOUR);
  const stop = wallNaive(zone, to) + 4 * HOUR;
  while (w !== null && w <= stop) {
    const before = offsetOf(zone, w - DAY);
    const after = offsetOf(zone, w + DAY);
    const real = [...new Set([w - before, w - after])].filter((c) => wallNaive(zone, c) === w).sort((a, b) => a - b);
    const chosen = real.length === 0 ? [w - before] : m.everyHour ? real : [real[0]!];
    for (const c of chosen) if (c > from && c <= to) out.add(c);
    w = m.nextLocal(w);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Whether an exclusion removes the cron's fire at instant f (README "DST, spring forward"): by f's
 * local minute, and, for a fire shifted forward out of a spring-forward gap, also by the wall time
 * it was shifted from (read with the offset in force before the change), unless the cron really
 * asks for f's own wall time.
 */
function excludedByOracle(cron: CronMatcher, excludes: readonly string[], zone: string, f: number): boolean {
  const xs = excludes.map((e) => parseCron(e, "x"));
  const byMinute = (wall: number) => xs.some((x) => x.matchesLocal(Math.floor(wall / 60_000) * 60_000));
  const wall = wallNaive(zone, f);
  if (byMinute(wall)) return true;
  const from = f + offsetOf(zone, f - DAY);
  const exists = [f, from - offsetOf(zone, f + DAY)].some((c) => wallNaive(zone, c) === from);
  return from !== wall && !exists && cron.matchesLocal(from) && !cron.matchesLocal(wall) && byMinute(from);
}

describe("properties", () => {
  it("cron fire times strictly increase, and next() from between two fires gives the later one", PROPERTY_TIMEOUT, () => {
    fc.assert(
      fc.property(cronArb, fc.constantFrom(...ZONES), startArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), (cron, zone, start, probes) => {
        const spec = compileCron(cron, zone);
        const fires = firesFrom(spec, start, 25);
        expect(fires.length).toBeGreaterThan(0);
        expect(fires[0]!).toBeGreaterThan(start);
        for (let i = 1; i < fires.length; i++) {
          expect(fires[i]!, `${cron} in ${zone}: ${iso(fires[i - 1]!)} then ${iso(fires[i]!)}`).toBeGreaterThan(fires[i - 1]!);
          for (const p of probes) {
            const t = fires[i - 1]! + Math.floor(p * (fires[i]! - fires[i - 1]!));
            if (t < fires[i]!) expect(next(spec, t), `${cron} in ${zone} from ${iso(t)}`).toBe(fires[i]!);
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  it("every cron fire matches in local wall time, or is a gap shift of a wall time that does not exist", PROPERTY_TIMEOUT, () => {
    fc.assert(
      fc.property(cronArb, fc.constantFrom(...ZONES), startArb, (cron, zone, start) => {
        const spec = compileCron(cron, zone);
        const m = spec.crons[0]!;
        for (const f of firesFrom(spec, start, 25)) {
          const local = wallNaive(zone, f);
          const earlier = offsetOf(zone, f - 6 * HOUR);
          const now = offsetOf(zone, f);
          const why = `${cron} in ${zone}: fire ${iso(f)} (local ${iso(local)})`;
          if (m.matchesLocal(local)) {
            // A fixed-hour expression fires at the first occurrence of a repeated wall time only.
            const back = earlier - now;
            const isSecondOccurrence = back > 0 && wallNaive(zone, f - back) === local;
            if (isSecondOccurrence) expect(m.everyHour, `${why} is a second occurrence`).toBe(true);
          } else {
            const gap = now - earlier;
            expect(gap, `${why} neither matches nor follows a gap`).toBeGreaterThan(0);
            const nominal = local - gap;
            expect(m.matchesLocal(nominal), `${why}: ${iso(nominal)} is not a match`).toBe(true);
            // The nominal wall time exists under neither offset.
            expect(wallNaive(zone, nominal - earlier), why).not.toBe(nominal);
            expect(wallNaive(zone, nominal - now), why).not.toBe(nominal);
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  it("cron fires are exactly the oracle's: none lost, none doubled", PROPERTY_TIMEOUT, () => {
    fc.assert(
      fc.property(cronArb, fc.constantFrom(...ZONES), startArb, (cron, zone, start) => {
        const spec = compileCron(cron, zone);
        const fires = firesFrom(spec, start, 25);
        const end = fires[fires.length - 1]!;
        expect(fires.map(iso), `${cron} in ${zone}`).toEqual(oracle(spec.crons[0]!, zone, start, end).map(iso));
      }),
      { numRuns: 200 },
    );
  });

  it("a daily fixed time fires once per local calendar day, in every zone the runtime knows", PROPERTY_TIMEOUT, () => {
    const allZones = Intl.supportedValuesOf("timeZone");
    const hourArb = fc.oneof(int(0, 3), fc.constantFrom(22, 23), int(0, 23));
    const minuteArb = fc.oneof(fc.constantFrom(0, 15, 30, 45), int(0, 59));
    fc.assert(
      fc.property(fc.constantFrom(...allZones), hourArb, minuteArb, int(2020, 2035), int(0, 364), fc.boolean(), (zone, hh, mm, year, dayOfYear, nearTransition) => {
        // Pick the window: a random day, or the day before this zone's next offset change.
        let t = Date.UTC(year, 0, 1) + dayOfYear * DAY;
        if (nearTransition) {
          const o0 = offsetOf(zone, t);
          for (let k = 1; k <= 370; k++) {
            if (offsetOf(zone, t + k * DAY) !== o0) {
              t += (k - 1) * DAY;
              break;
            }
          }
        }
        const day0 = Math.floor(wallNaive(zone, t) / DAY) * DAY; // naive local midnight
        const spec = compileCron(`${mm} ${hh} * * *`, zone);
        const fires = between(spec, day0 - 2 * DAY, day0 + 5 * DAY);
        const perDay = new Map<number, number>();
        for (const f of fires) {
          const local = wallNaive(zone, f);
          let nominal = local;
          if (local - Math.floor(local / DAY) * DAY !== (hh * 60 + mm) * 60_000) {
            // Not at hh:mm: must be hh:mm shifted forward by a gap (which may cross midnight).
            const gap = offsetOf(zone, f) - offsetOf(zone, f - 6 * HOUR);
            nominal = local - gap;
            expect(gap, `${zone} ${hh}:${mm} fired at local ${iso(local)}`).toBeGreaterThan(0);
            expect(nominal - Math.floor(nominal / DAY) * DAY).toBe((hh * 60 + mm) * 60_000);
          }
          const day = Math.floor(nominal / DAY) * DAY;
          perDay.set(day, (perDay.get(day) ?? 0) + 1);
        }
        for (const day of [day0, day0 + DAY, day0 + 2 * DAY]) {
          expect(perDay.get(day) ?? 0, `${zone} ${hh}:${mm} on ${iso(day).slice(0, 10)}: ${fires.map(iso).join(", ")}`).toBe(1);
        }
      }),
      { numRuns: 600 },
    );
  });

  // Its oracle walks every minute of up to 60,000 fires per case: 18 s alone on a slow day, 50 s beside the rest of the suite.
  it("an exclusion removes exactly the fires whose local minute it matches, and no other", { timeout: 120_000 }, () => {
    // 5-field exclusions; whole-day ones (weekdays, days of the month) exercise the day skip.
    const excludeArb = fc.oneof(
      fc.constantFrom("* * * * 1-5", "* * * * 0,6", "* * * * 0-5", "* * 1-10 * *", "* * 2,4,6 * *", "* * * * 1#2", "* * L * *"),
      fc.tuple(minuteField, hourField, domField, dowField).map(([mi, h, dom, dow]) => `${mi} ${h} ${dom} * ${dow}`),
    );
    fc.assert(
      fc.property(cronArb, fc.array(excludeArb, { minLength: 1, maxLength: 2 }), fc.constantFrom(...ZONES), startArb, (cron, excludes, zone, start) => {
        const plain = compileCron(cron, zone);
        const excluded = compileSpec(ScheduleSpecInput.parse({ cron, exclude: excludes, timezone: zone }), { createdAt: CREATED });
        const got = firesFrom(excluded, start, 15);
        const end = got.length > 0 ? got[got.length - 1]! : start + 30 * DAY;
        const all = between(plain, start, end, 60_000);
        fc.pre(all.length < 60_000);
        const want = all.filter((f) => !excludedByOracle(parseCron(cron, "x"), excludes, zone, f));
        expect(got.map(iso), `${cron} minus ${excludes.join(" | ")} in ${zone}`).toEqual(want.slice(0, 15).map(iso));
      }),
      // Found by a random seed (2023606526) after the oracle forgot shifted fires: Asuncion's
      // midnight gap of 2020-10-04 shifts hour 0's fires to 01:xx, and `* 2,0` excludes them by 00:xx.
      { numRuns: 150, examples: [["0 * 0 * * *", ["* 2,0 * * *"], "America/Asuncion", 1599192000000]] },
    );
  });

  it("jitter is deterministic and 0 <= jitter < min(jitter, gap to the next nominal)", PROPERTY_TIMEOUT, () => {
    fc.assert(
      fc.property(fc.string(), int(0, 4_000_000_000_000), int(-10, 1_000_000_000), fc.option(int(1, 1_000_000_000)), (id, nominal, jitterMs, gap) => {
        const following = gap === null ? null : nominal + gap;
        const j = jitterOffset(id, nominal, jitterMs, following);
        expect(jitterOffset(id, nominal, jitterMs, following)).toBe(j);
        expect(Number.isInteger(j)).toBe(true);
        const bound = Math.min(jitterMs, gap ?? Number.POSITIVE_INFINITY);
        if (bound <= 1) expect(j).toBe(0);
        else {
          expect(j).toBeGreaterThanOrEqual(0);
          expect(j).toBeLessThan(bound);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  describe("overlap, simulated over random due/close sequences", () => {
    type Event = { kind: "due"; count: number } | { kind: "close" };
    const eventsArb = fc.array(
      fc.oneof(int(1, 4).map((count): Event => ({ kind: "due", count })), fc.constant<Event>({ kind: "close" })),
      { minLength: 1, maxLength: 60 },
    );

    /** Plays events against decideOverlap the way the schedule object does; checks invariants after each step. */
    function simulate(policy: OverlapPolicy, events: Event[], bufferCap: number, check: (s: { running: string[]; buffer: number[]; started: number[]; skipped: number[]; issued: number; skippedNow: number }) => void): void {
      let running: string[] = [];
      let buffer: number[] = [];
      const started: number[] = [];
      const skipped: number[] = [];
      let issued = 0;
      let cancelRequested = new Set<string>();
      const apply = (due: number[]) => {
        const d = decideOverlap({ policy, running, buffer, due, bufferCap });
        running = running.filter((r) => !d.terminate.includes(r));
        for (const c of d.cancel) cancelRequested.add(c);
        for (const s of d.start) {
          started.push(s);
          running = [...running, `run-${s}`];
        }
        buffer = d.buffer;
        skipped.push(...d.skipped);
        check({ running, buffer, started, skipped, issued, skippedNow: d.skipped.length });
      };
      for (const e of events) {
        if (e.kind === "due") {
          const due = Array.from({ length: e.count }, () => issued++);
          apply(due);
        } else if (running.length > 0) {
          // A cancelled run closes first; otherwise the oldest.
          const victim = running.find((r) => cancelRequested.has(r)) ?? running[0]!;
          running = running.filter((r) => r !== victim);
          cancelRequested = new Set([...cancelRequested].filter((r) => r !== victim));
          apply([]);
        }
      }
    }

    it.each<[OverlapPolicy, number]>([
      ["SKIP", 1_000],
      ["BUFFER_ONE", 1_000],
      ["BUFFER_ALL", 1_000],
      ["BUFFER_ALL", 3],
      ["CANCEL_OTHER", 1_000],
      ["TERMINATE_OTHER", 1_000],
    ])("%s (cap %s): never two runs at once, buffer within its cap, every fire accounted for once", PROPERTY_TIMEOUT, (policy, cap) => {
      fc.assert(
        fc.property(eventsArb, (events) => {
          let lastStarted = -1;
          simulate(policy, events, cap, ({ running, buffer, started, skipped, issued, skippedNow }) => {
            expect(running.length).toBeLessThanOrEqual(1);
            expect(buffer.length).toBeLessThanOrEqual(cap);
            if (policy === "SKIP" || policy === "TERMINATE_OTHER") expect(buffer).toEqual([]);
            if (policy === "BUFFER_ONE" || policy === "CANCEL_OTHER") expect(buffer.length).toBeLessThanOrEqual(1);
            // Conservation: each fire is started, waiting or skipped, exactly once.
            const seen = [...started, ...buffer, ...skipped].sort((a, b) => a - b);
            expect(seen).toEqual(Array.from({ length: issued }, (_, i) => i));
            // Runs start in nominal order.
            const last = started[started.length - 1];
            if (last !== undefined) {
              expect(last).toBeGreaterThanOrEqual(lastStarted);
              lastStarted = last;
            }
            // A buffering policy never skips while the buffer has room.
            if (policy === "BUFFER_ALL" && skippedNow > 0) expect(buffer.length).toBe(cap);
          });
        }),
        { numRuns: 300 },
      );
    });

    it("ALLOW_ALL starts everything at once, buffers and skips nothing", PROPERTY_TIMEOUT, () => {
      fc.assert(
        fc.property(eventsArb, (events) => {
          simulate("ALLOW_ALL", events, 1_000, ({ buffer, started, skipped, issued }) => {
            expect(buffer).toEqual([]);
            expect(skipped).toEqual([]);
            expect(started).toEqual(Array.from({ length: issued }, (_, i) => i));
          });
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe("property helpers agree with known facts (so the oracle itself is trustworthy)", () => {
  it("reads New York's offsets and wall times", () => {
    expect(offsetOf("America/New_York", Date.parse("2026-01-15T12:00:00Z"))).toBe(-5 * HOUR);
    expect(offsetOf("America/New_York", Date.parse("2026-07-15T12:00:00Z"))).toBe(-4 * HOUR);
    expect(iso(wallNaive("Pacific/Chatham", Date.parse("2026-09-26T14:00:00Z")))).toBe("2026-09-27T03:45:00.000Z");
  });

  it("oracle reproduces the hand-computed New York spring-forward day", () => {
    const m = parseCron("0,30 2,3 * * *", "f");
    expect(oracle(m, "America/New_York", Date.parse("2026-03-08T05:00:00Z"), Date.parse("2026-03-09T04:00:00Z")).map(iso)).toEqual(["2026-03-08T07:00:00.000Z", "2026-03-08T07:30:00.000Z"]);
  });
});
