import { MAX_TIMESTAMP_MS } from "@sundial/sdk/protocol";
import { coversTimesOf, coversWholeDay, type CronMatcher } from "./cron.ts";
import type { CompiledSpec } from "./spec.ts";
import { jitterOffset } from "./jitter.ts";
import type { Zone } from "./zone.ts";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * DAY_MS;
/** Upper bound on candidates examined by one `next` call (exclusions can reject many in a row). */
const MAX_CANDIDATES = 500_000;
/**
 * How far past its starting point one `next` call follows excluded candidates before concluding
 * there are no more fires. Whole excluded days are skipped in one step, so without this bound an
 * exclusion that rejects everything would walk MAX_CANDIDATES days (over a thousand years) of
 * offset look-ups. Dense candidates stop here, once SPARSE_CANDIDATES have been examined.
 */
const EXCLUDED_HORIZON_MS = 12 * 366 * DAY_MS;
/**
 * Sparse candidates are followed over the calendar's whole 400-year cycle (as cron.ts searches),
 * up to this many: exclusions can leave a fire decades away (leap days, `0 0 29 2 *`, that are
 * Mondays: 2044, then 2072), and 12 years of every-4-years candidates read as "no more fires".
 * Monthly candidates over 401 years fit (4,812); a daily one excluded for good stops after ~14 years.
 */
const CYCLE_HORIZON_MS = 401 * 366 * DAY_MS;
const SPARSE_CANDIDATES = 5_000;

/**
 * Next fire of one cron expression in a zone, strictly after `after`, with DESIGN.md's DST rules:
 * a wall time in a spring-forward gap fires once, shifted forward by the gap; a wall time that
 * happens twice fires at both instants only when the hour field covers every hour, otherwise once,
 * at the first occurrence. A shifted fire that lands on a real match is one fire, not two.
 *
 * The work does not grow with the size of an offset change: walls after `after`'s own wall time
 * are walked from it (the first that maps past `after` is the earliest of them), and the two ways a
 * wall at or before it can still map past `after` are looked up directly: the second pass of a
 * fall-back just ahead, and the gap of a spring-forward just behind. Walking from `after` + the
 * smallest nearby offset instead cost one step per wasted candidate: an every-second cron near a
 * 3-hour change (Antarctica/Casey) ran out of steps and read as "no more fires".
 */
export function nextCronFire(cron: CronMatcher, zone: Zone, after: number): number | null {
  const offset = zone.offsetAt(after);
  if (zone.fixed) {
    const local = cron.nextLocal(after + offset);
    return local === null ? null : local - offset;
  }
  const wall = after + offset;
  let best: number | null = null;
  const consider = (instant: number) => {
    if (instant > after && (best === null || instant < best)) best = instant;
  };
  let cursor = wall;
  for (let guard = 0; guard < 10_000; guard++) {
    const local = cron.nextLocal(cursor);
    if (local === null) break;
    const r = zone.resolve(local);
    // The first wall past `wall` that maps past `after` gives the earliest of these walls' instants.
    if (r.kind !== "ambiguous") {
      if (r.instant > after) {
        consider(r.instant);
        // Except a gap wall's: it is shifted by the gap, and a real wall just after the gap can come
        // first when the gap is not a whole clock hour (Lord Howe: 02:35 +11 before 02:15 -> 02:45).
        if (r.kind === "gap") {
          const change = zone.changeIn(r.instant - r.gapMs, r.instant);
          const late = zone.offsetAt(change);
          const real = cron.nextLocal(change + late - 1);
          if (real !== null && real < local + r.gapMs) consider(real - late);
        }
        break;
      }
      cursor = local;
      continue;
    }
    if (r.first > after) {
      consider(r.first);
      break;
    }
    if (cron.everyHour && r.second > after) {
      consider(r.second);
      break;
    }
    if (r.second <= after) {
      cursor = local;
      continue;
    }
    // `after` is in a fall-back's second pass and only first passes fire: skip the repeated walls
    // whose first pass is over (not past the repeat's end: the walls after it happen once, later).
    const early = local - r.first;
    cursor = Math.max(local, Math.min(after + early, zone.changeIn(r.first, r.second) + early - 1));
  }
  const behind = zone.offsetAt(after - DAY_MS);
  const ahead = zone.offsetAt(after + DAY_MS);
  // Each lookup below costs a search for the change, so it runs only when the change is close
  // enough to matter (within its own size of `after`), which one offset lookup tells.
  if (cron.everyHour && ahead < offset && zone.offsetAt(after + (offset - ahead)) !== offset) {
    // A fall-back just ahead: the walls of its second pass up to `wall` happen again after `after`.
    const change = zone.changeIn(after, after + DAY_MS);
    const local = cron.nextLocal(change + ahead - 1);
    if (local !== null && local <= wall) consider(local - ahead);
  }
  if (behind < offset && zone.offsetAt(after - (offset - behind)) !== offset) {
    // A spring-forward just behind: its gap's walls (not reached while walking) are shifted forward by the gap.
    const change = zone.changeIn(after - DAY_MS, after);
    const local = cron.nextLocal(after + behind);
    if (local !== null && local < change + offset) consider(local - behind);
  }
  return best;
}

/** The interval's next fire after `after`: from `first` on, or anywhere on its grid with `wholeGrid`. */
function nextIntervalFire(first: number, every: number, after: number, wholeGrid = false): number {
  if (after < first && !wholeGrid) return first;
  return first + (Math.floor((after - first) / every) + 1) * every;
}

function nextAt(at: readonly number[], after: number): number | null {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo < at.length ? at[lo]! : null;
}

/** Whether an exclusion names the minute (5 fields) or second (6 fields) that holds a wall time. */
function excludedWall(spec: CompiledSpec, wall: number): boolean {
  // Interval fires anchored at the creation time carry milliseconds and arbitrary seconds, and an
  // exact match would never exclude them ("* 0-6 * * *" must keep an every-10-minutes interval quiet at night).
  return spec.excludes.some((x) => x.matchesLocal(Math.floor(wall / x.granularityMs) * x.granularityMs));
}

/**
 * Whether a fire is excluded. A fire whose local time is excluded is (it would run then). So is a
 * cron fire shifted out of a spring-forward gap whose wall time before the shift is excluded:
 * `30 2 * * *` fires at 03:30 EDT on New York's spring-forward day, and `exclude: ["30 2 * * 0"]`
 * must remove it, as it would on any other Sunday; unless that instant is also a real match (of a
 * cron, an interval or an `at` time): one fire, still wanted for the other reason.
 */
function isExcluded(spec: CompiledSpec, instant: number): boolean {
  if (spec.excludes.length === 0) return false;
  const offset = spec.zone.offsetAt(instant);
  const local = instant + offset;
  if (excludedWall(spec, local)) return true;
  if (spec.zone.fixed || spec.crons.length === 0) return false;
  // The wall time read with the offset of a day earlier: a gap time the zone shifted forward to here.
  const before = spec.zone.offsetAt(instant - DAY_MS);
  if (before >= offset) return false;
  const wall = instant + before;
  if (!excludedWall(spec, wall)) return false;
  const r = spec.zone.resolve(wall);
  if (r.kind !== "gap" || r.instant !== instant || !spec.crons.some((c) => c.matchesLocal(wall))) return false;
  const alsoReal =
    spec.crons.some((c) => c.matchesLocal(local)) ||
    spec.intervals.some(([first, every]) => instant >= first && (instant - first) % every === 0) ||
    spec.at.includes(instant);
  return !alsoReal;
}

/**
 * Where to resume after an excluded candidate. When an exclusion covers the candidate's whole local
 * day, jump to that day's last instant, else when one covers its whole local hour, to that hour's:
 * walking them candidate by candidate (an every-second cron excluded six days a week, or all hours
 * but one by two exclusions together) used up MAX_CANDIDATES and read as "no more fires",
 * completing a schedule that still had fires. Only when no offset change lies ahead within the
 * span, so every skipped instant is in that same local day or hour.
 */
function resumeAfterExcluded(spec: CompiledSpec, instant: number): number {
  const offset = spec.zone.offsetAt(instant);
  const local = instant + offset;
  const month = resumeAfterExcludedMonth(spec, instant, local, offset);
  if (month !== null) return month;
  // The whole local day, or else the whole local hour, when one exclusion covers it and the offset holds across it.
  for (const [covers, span] of [["coversDay", DAY_MS], ["coversHour", HOUR_MS]] as const) {
    if (!spec.excludes.some((x) => x[covers](local))) continue;
    if (spec.zone.offsetAt(instant + span) !== offset) return instant;
    const nextBoundary = Math.floor(local / span) * span + span;
    return Math.max(instant, nextBoundary - offset - 1);
  }
  return instant;
}

/**
 * The exclusions that exclude every fire on a day they cover (memoised per compiled spec): those
 * matching every time of day, and, when the spec has no intervals (which fire at any time of day),
 * those matching every time of day its crons fire at (`0 0 * 1,3-12 *` for `0 0 * * *`).
 */
function monthExcludes(spec: CompiledSpec): readonly CronMatcher[] {
  if (spec.monthExcludes !== undefined) return spec.monthExcludes;
  const found = spec.excludes.filter(
    (x) => coversWholeDay(x) || (spec.intervals.length === 0 && spec.crons.length > 0 && spec.crons.every((c) => coversTimesOf(x, c))),
  );
  spec.monthExcludes = found;
  return found;
}

/**
 * Where to resume after an excluded candidate whose whole local month one exclusion covers (every
 * day, at every time the spec fires): just before the next local month, or null. A daily cron
 * excluded to leap-day Mondays has one candidate a day, and 5,000 of them (14 years) read as "no
 * more fires" before 2044's. Only as far as the offset holds, as for a day or an hour; and never
 * past an `at` time, which an exclusion of the crons' times need not cover.
 */
function resumeAfterExcludedMonth(spec: CompiledSpec, instant: number, local: number, offset: number): number | null {
  const excludes = monthExcludes(spec);
  if (excludes.length === 0 || !excludes.some((x) => x.coversMonthDays(local))) return null;
  const d = new Date(local);
  const nextMonth = new Date(0);
  // setUTCFullYear, not Date.UTC: years 0-99 stay those years; month 12 rolls into the next year.
  nextMonth.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  let until = nextMonth.getTime() - offset - 1;
  if (!spec.zone.fixed) {
    // The offset at the month's end must be this one, or the local month end is not `until`. It is
    // also sampled weekly (each sample a fresh offset look-up, the search's main cost), catching a
    // DST suspension of a few weeks inside the month (Gaza, August 2011); fires inside a shorter one
    // would still be excluded (their wall times are the crons', on days of this month). A month with
    // a change is skipped up to the last sample before it; the candidates around it are walked.
    const last = until;
    for (let t = instant; ; t = Math.min(t + WEEK_MS, last)) {
      if (spec.zone.offsetAt(t) !== offset) {
        until = t - WEEK_MS;
        break;
      }
      if (t === last) break;
    }
  }
  const at = nextAt(spec.at, instant);
  if (at !== null && at <= until) until = at - 1;
  return until > instant ? until : null;
}

/** Next nominal time ignoring repeat_count: union of components, bounds and exclusions applied. */
function nextUnbounded(spec: CompiledSpec, after: number): number | null {
  const none = noFiresAfter.get(spec);
  if (none !== undefined && after >= none) return null;
  const found = searchNext(spec, after);
  if (found.at === null && !found.exhausted) noFiresAfter.set(spec, Math.min(after, none ?? after));
  return found.at;
}

/**
 * Per compiled spec, an instant after which a search found no fire: none is after any later
 * instant either. A spec whose exclusions leave no fire costs a search of the whole 400-year
 * horizon (about half a second in a zone with DST), and describe, the index and every alarm ask
 * for the fire after the last one again. A WeakMap, not a field: copies of a spec (a backfill's
 * wider grid, catch-up's capped end) may have fires the original has not.
 */
const noFiresAfter = new WeakMap<CompiledSpec, number>();

/**
 * Whether finding the fire after `after` takes more candidates than the search may look at: the
 * exclusions leave fire times so sparse, at so fine a grain, that the answer ("none") would be a
 * guess. A create, update or preview refuses such a spec rather than complete a schedule early.
 */
export function searchGivesUp(spec: CompiledSpec, after: number): boolean {
  return searchNext(spec, after).exhausted;
}

function searchNext(spec: CompiledSpec, after: number): { at: number | null; exhausted: boolean } {
  const none = { at: null, exhausted: false };
  let t = Math.max(after, spec.origin);
  const giveUpAfter = t + EXCLUDED_HORIZON_MS;
  const cycleEnd = t + CYCLE_HORIZON_MS;
  // Each cron's last answer, reused while it is still after `t` (which only grows): asking again
  // on every excluded candidate made a cron that never fires (null: skipped from then on) cost a
  // 400-year search per candidate, and every other cron a search per candidate it did not win.
  const cronNext: (number | null | undefined)[] = new Array(spec.crons.length);
  for (let i = 0; i < MAX_CANDIDATES; i++) {
    let best: number | null = null;
    for (let k = 0; k < spec.crons.length; k++) {
      let n = cronNext[k];
      if (n === null) continue;
      if (n === undefined || n <= t) cronNext[k] = n = nextCronFire(spec.crons[k]!, spec.zone, t);
      if (n !== null && (best === null || n < best)) best = n;
    }
    for (const [first, every] of spec.intervals) {
      const n = nextIntervalFire(first, every, t, spec.intervalGridBeforeFirst);
      if (best === null || n < best) best = n;
    }
    const a = nextAt(spec.at, t);
    if (a !== null && (best === null || a < best)) best = a;
    if (best === null) return none;
    // Past 9999-12-31T23:59:59.999Z a time has no RFC 3339 form: the spec simply has no more fires.
    if (best > MAX_TIMESTAMP_MS) return none;
    if (spec.endAt !== null && best > spec.endAt) return none;
    if (!isExcluded(spec, best)) return { at: best, exhausted: false };
    if (best > cycleEnd || (best > giveUpAfter && i >= SPARSE_CANDIDATES)) return none;
    t = resumeAfterExcluded(spec, best);
  }
  return { at: null, exhausted: true };
}

/**
 * The spec without repeat_count's bound on its fire times: what a schedule plans with, since
 * repeat_count limits the runs it starts (core/schedule/repeat-runs.ts `runsLeft`), and fires skipped
 * by overlap, catch-up or a pause use none of them. Preview (no runs yet) keeps the bound: the
 * first repeat_count fires. Memoised per spec, so the copy keeps its own memos.
 */
export function withoutRepeatBound(spec: CompiledSpec): CompiledSpec {
  if (spec.spec.repeat_count === 0 || spec.lastAllowed === null) return spec;
  let copy = unbounded.get(spec);
  if (!copy) {
    copy = { ...spec, lastAllowed: null };
    unbounded.set(spec, copy);
  }
  return copy;
}
const unbounded = new WeakMap<CompiledSpec, CompiledSpec>();

/** The last nominal time repeat_count allows (computed once per compiled spec), or null for no limit. */
function lastAllowed(spec: CompiledSpec): number | null {
  if (spec.lastAllowed !== undefined) return spec.lastAllowed;
  let result: number | null = null;
  const count = spec.spec.repeat_count;
  if (count > 0) {
    let t: number | null = spec.origin;
    for (let i = 0; i < count && t !== null; i++) {
      const n: number | null = nextUnbounded(spec, t);
      if (n === null) break;
      t = n;
    }
    result = t ?? spec.origin;
  }
  spec.lastAllowed = result;
  return result;
}

/**
 * The next nominal fire time strictly after `after` (epoch ms), or null when the spec has no more:
 * the de-duplicated, strictly increasing union of its crons, intervals and `at` times, within
 * start/end bounds, minus exclusions, and no more than `repeat_count` fires from the start. None
 * is later than MAX_TIMESTAMP_MS (9999-12-31T23:59:59.999Z), the last instant RFC 3339 can write.
 * @example next(compileSpec(spec, { createdAt }), Date.now())
 */
export function next(spec: CompiledSpec, after: number): number | null {
  const n = nextUnbounded(spec, after);
  if (n === null) return null;
  const last = lastAllowed(spec);
  if (last !== null && n > last) return null;
  return n;
}

/** Nominal fire times in (from, to], at most `limit` of them. */
export function between(spec: CompiledSpec, from: number, to: number, limit = Number.POSITIVE_INFINITY): number[] {
  const out: number[] = [];
  let t = from;
  while (out.length < limit) {
    const n = next(spec, t);
    if (n === null || n > to) break;
    out.push(n);
    t = n;
  }
  return out;
}

/** A fire: its nominal time and its actual (jittered) time. */
export interface Fire {
  nominal: number;
  actual: number;
}

/**
 * Fires after `after`, each with its actual time: nominal + a deterministic jitter that never
 * reaches the following nominal time.
 */
export function* fires(spec: CompiledSpec, scheduleId: string, after: number): Generator<Fire, void, undefined> {
  let n = next(spec, after);
  while (n !== null) {
    const following = next(spec, n);
    // repeat_count bounds runs, not fire times: the last allowed fire's jitter stops short of the
    // spec's next fire time, as the planner's (which plans without the bound) does, so a preview
    // shows the instant the run starts at. The very last fire's stops short of the end of the RFC 3339 range.
    const spacing = following ?? (spec.jitterMs > 0 ? next(withoutRepeatBound(spec), n) : null);
    yield { nominal: n, actual: n + jitterOffset(scheduleId, n, spec.jitterMs, spacing ?? MAX_TIMESTAMP_MS + 1) };
    n = following;
  }
}

/** The first fire after `after`, or null. */
export function nextFire(spec: CompiledSpec, scheduleId: string, after: number): Fire | null {
  const it = fires(spec, scheduleId, after).next();
  return it.done ? null : it.value;
}

/** The next `count` fires after `after` (for describe and preview). */
export function upcoming(spec: CompiledSpec, scheduleId: string, after: number, count: number): Fire[] {
  const out: Fire[] = [];
  // The loop below pushes before it checks the count: without this, asking for 0 returned 1.
  if (count <= 0) return out;
  for (const f of fires(spec, scheduleId, after)) {
    out.push(f);
    if (out.length >= count) break;
  }
  return out;
}
