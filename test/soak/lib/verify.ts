/**
 * The soak invariants, checked against the platform's own API:
 *  - scheduled starts: every fire of a schedule between its creation and its pause ran exactly once
 *    (run id `{schedule_id}:{nominal RFC 3339}`), nothing outside that range ran, none skipped;
 *  - every run completed;
 *  - history: at most one `activity_completed` per activity seq, exactly one per scheduled seq of a
 *    completed run, one `execution_started`, one close event;
 *  - the activity log (what worker processes really ran) against the histories (what was recorded).
 * The expected fire times come from an independent oracle (interval arithmetic), not from src/core.
 */
import { existsSync, readFileSync } from "node:fs";
import { api, pool, sleep } from "./platform.ts";

/** One soak schedule: `intervals: [{every, offset}]` anchored at `start_at` (first fire at start_at + offset). */
export interface SoakSchedule {
  id: string;
  /** created_at as the platform reported it (fires at or before it are never planned). */
  createdAt: number;
  /** First nominal fire of the spec (start_at + offset), ms. */
  first: number;
  everyMs: number;
  /** When the pause request was sent and when its answer came (filled in by the soak). */
  pauseSentAt?: number;
  pausedAt?: number;
  /** The pause answer's counters.fired / skipped_catchup. */
  fired?: number;
  skippedCatchup?: number;
}

/** The oracle: nominal fire times of `s` in (createdAt, until]. */
export function expectedFires(s: SoakSchedule, until: number, from = s.createdAt): number[] {
  const out: number[] = [];
  const lo = Math.max(from, s.createdAt);
  let k = s.first > lo ? 0 : Math.floor((lo - s.first) / s.everyMs) + 1;
  for (let t = s.first + k * s.everyMs; t <= until; k++, t = s.first + k * s.everyMs) if (t > lo) out.push(t);
  return out;
}

export interface RunSummary {
  execution_id: string;
  status: string;
  started_at: string;
  closed_at: string | null;
  schedule_id: string | null;
}

/** Every execution of a schedule, from the D1 index (GET /v1/workflows/executions?schedule_id=…, paged). */
export async function listRuns(url: string, scheduleId: string): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  let token: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const q: string = `/v1/workflows/executions?schedule_id=${encodeURIComponent(scheduleId)}&page_size=500${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
    const r = await api(url, "GET", q);
    if (r.status !== 200) throw new Error(`list ${scheduleId}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    out.push(...(r.body.executions as RunSummary[]));
    token = r.body.next_page_token;
    if (!token) break;
  }
  return out;
}

export interface ScheduleCheck {
  schedules: number;
  expectedFires: number;
  /** Fires due in the last `graceMs` before the pause: allowed but not required (the alarm may be late). */
  optionalFires: number;
  runs: number;
  completedRuns: number;
  missing: string[];
  duplicates: string[];
  unexpected: string[];
  notCompleted: string[];
  counterMismatch: string[];
  skippedCatchup: number;
  /** started_at − nominal, ms, over every scheduled run (a prepared run's started_at is its fire time: see beginLagMs). */
  fireLagMs: number[];
  runIds: string[];
}

/**
 * Checks every schedule after its pause; waits (up to `waitMs` in all) for the index to list
 * every run the schedule counted and for every run to close.
 */
export async function checkSchedules(url: string, schedules: SoakSchedule[], opts: { graceMs: number; waitMs: number; concurrency?: number; progress?: (done: number) => void }): Promise<ScheduleCheck> {
  const c: ScheduleCheck = { schedules: schedules.length, expectedFires: 0, optionalFires: 0, runs: 0, completedRuns: 0, missing: [], duplicates: [], unexpected: [], notCompleted: [], counterMismatch: [], skippedCatchup: 0, fireLagMs: [], runIds: [] };
  const deadline = Date.now() + opts.waitMs;
  let done = 0;
  await pool(schedules.length, opts.concurrency ?? 4, async (i) => {
    const s = schedules[i]!;
    if (s.pauseSentAt === undefined || s.pausedAt === undefined) throw new Error(`schedule ${s.id} was not paused`);
    const required = expectedFires(s, s.pauseSentAt - opts.graceMs);
    const allowed = new Set(expectedFires(s, s.pausedAt));
    c.expectedFires += required.length;
    c.optionalFires += allowed.size - required.length;
    c.skippedCatchup += s.skippedCatchup ?? 0;
    // The index is written through an outbox: wait until it lists what the schedule counted, all closed.
    let runs: RunSummary[] = [];
    for (;;) {
      runs = await listRuns(url, s.id);
      const settled = runs.length >= (s.fired ?? 0) && runs.every((r) => r.status !== "running");
      if (settled || Date.now() > deadline) break;
      await sleep(1_000);
    }
    const prefix = `${s.id}:`;
    const seen = new Map<number, number>();
    for (const r of runs) {
      c.runs++;
      c.runIds.push(r.execution_id);
      const rest = r.execution_id.startsWith(prefix) ? r.execution_id.slice(prefix.length) : "";
      const nominal = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(rest) ? Date.parse(rest) : NaN;
      if (Number.isNaN(nominal) || !allowed.has(nominal)) c.unexpected.push(r.execution_id);
      else {
        seen.set(nominal, (seen.get(nominal) ?? 0) + 1);
        c.fireLagMs.push(Date.parse(r.started_at) - nominal);
      }
      if (r.status === "completed") c.completedRuns++;
      else c.notCompleted.push(`${r.execution_id}=${r.status}`);
    }
    for (const [n, k] of seen) if (k > 1) c.duplicates.push(`${s.id}@${new Date(n).toISOString()}×${k}`);
    for (const n of required) if (!seen.has(n)) c.missing.push(`${s.id}:${new Date(n).toISOString()}`);
    if (s.fired !== undefined && s.fired !== runs.length) c.counterMismatch.push(`${s.id}: counters.fired=${s.fired} listed=${runs.length}`);
    opts.progress?.(++done);
  });
  return c;
}

export interface HistoryCheck {
  checked: number;
  unreadable: string[];
  /** activity seqs with more than one activity_completed. */
  doubleCompleted: string[];
  /** completed runs whose scheduled activity has no activity_completed. */
  missingCompletion: string[];
  /** runs with ≠ 1 execution_started or ≠ 1 close event. */
  badShape: string[];
  activityCompleted: number;
  /** activity_completed events recorded for an attempt > 1 (an earlier attempt failed, timed out, or was lost). */
  completedOnLaterAttempt: number;
  activityTimedOut: number;
  workflowTaskTimedOut: number;
  /** Per execution: the attempt each seq was completed with. */
  completedAttempts: Map<string, Map<number, number>>;
}

/** Reads every run's history and checks the recorded-once rules. */
export async function checkHistories(url: string, ids: string[], concurrency = 4): Promise<HistoryCheck> {
  const h: HistoryCheck = { checked: 0, unreadable: [], doubleCompleted: [], missingCompletion: [], badShape: [], activityCompleted: 0, completedOnLaterAttempt: 0, activityTimedOut: 0, workflowTaskTimedOut: 0, completedAttempts: new Map() };
  await pool(ids.length, concurrency, async (i) => {
    const id = ids[i]!;
    const events: { type: string; seq?: number; attempt?: number }[] = [];
    let token: string | null = null;
    for (let page = 0; page < 200; page++) {
      let r = await api(url, "GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history?page_size=500${token ? `&page_token=${token}` : ""}`);
      for (let retry = 0; r.status !== 200 && retry < 5; retry++) {
        await sleep(500);
        r = await api(url, "GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history?page_size=500${token ? `&page_token=${token}` : ""}`);
      }
      if (r.status !== 200) {
        h.unreadable.push(`${id}: ${r.status}`);
        return;
      }
      events.push(...r.body.events);
      token = r.body.next_page_token;
      if (!token) break;
    }
    h.checked++;
    const scheduled = new Set(events.filter((e) => e.type === "activity_scheduled").map((e) => e.seq!));
    const completed = new Map<number, number>();
    const attempts = new Map<number, number>();
    for (const e of events) {
      if (e.type === "activity_completed") {
        h.activityCompleted++;
        completed.set(e.seq!, (completed.get(e.seq!) ?? 0) + 1);
        attempts.set(e.seq!, e.attempt ?? 1);
        if ((e.attempt ?? 1) > 1) h.completedOnLaterAttempt++;
      }
      if (e.type === "activity_timed_out") h.activityTimedOut++;
      if (e.type === "workflow_task_timed_out") h.workflowTaskTimedOut++;
    }
    h.completedAttempts.set(id, attempts);
    for (const [seq, n] of completed) if (n > 1) h.doubleCompleted.push(`${id}#${seq}×${n}`);
    const starts = events.filter((e) => e.type === "execution_started").length;
    const closes = events.filter((e) => e.type.startsWith("execution_") && e.type !== "execution_started" && e.type !== "execution_cancel_requested").length;
    if (starts !== 1 || closes !== 1) h.badShape.push(`${id}: ${starts} started, ${closes} closed`);
    if (events.some((e) => e.type === "execution_completed")) for (const seq of scheduled) if (!completed.has(seq)) h.missingCompletion.push(`${id}#${seq}`);
  });
  return h;
}

/** One line of the fixture worker's activity log. */
export interface ActivityLine {
  pid: number;
  a: string;
  ex: string;
  att: number;
  ph: "start" | "done";
  t: number;
}

/** Incremental reader of the activity log (the soak polls it to find activities in flight). */
export class ActivityLog {
  private offset = 0;
  readonly lines: ActivityLine[] = [];
  /** `${pid}|${ex}|${a}|${att}` of attempts started and not (yet) done. */
  readonly inFlight = new Map<string, ActivityLine>();
  /** Per execution id: when a worker began its first activity attempt (worker clock, ms). */
  readonly firstStart = new Map<string, number>();
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  refresh(): void {
    if (!existsSync(this.file)) return;
    const buf = readFileSync(this.file);
    if (buf.length <= this.offset) return;
    const text = buf.subarray(this.offset).toString("utf8");
    const lastNl = text.lastIndexOf("\n");
    if (lastNl < 0) return;
    this.offset += Buffer.byteLength(text.slice(0, lastNl + 1));
    for (const raw of text.slice(0, lastNl).split("\n")) {
      if (!raw) continue;
      const l = JSON.parse(raw) as ActivityLine;
      this.lines.push(l);
      const k = `${l.pid}|${l.ex}|${l.a}|${l.att}`;
      if (l.ph === "start") {
        this.inFlight.set(k, l);
        const first = this.firstStart.get(l.ex);
        if (first === undefined || l.t < first) this.firstStart.set(l.ex, l.t);
      } else this.inFlight.delete(k);
    }
  }

  inFlightOf(pid: number | undefined, activity?: string): ActivityLine[] {
    return [...this.inFlight.values()].filter((l) => l.pid === pid && (activity === undefined || l.a === activity));
  }

  /**
   * What really ran: attempts started, attempts finished, attempts cut short (started, never done:
   * the worker was killed), and activities that ran more than once (at-least-once made visible).
   */
  accounting(): { started: number; finished: number; cutShort: number; ranTwice: number; ranTwiceExamples: string[] } {
    const starts = this.lines.filter((l) => l.ph === "start");
    const done = this.lines.filter((l) => l.ph === "done");
    const perActivity = new Map<string, number>();
    for (const l of starts) perActivity.set(`${l.ex}|${l.a}`, (perActivity.get(`${l.ex}|${l.a}`) ?? 0) + 1);
    const twice = [...perActivity.entries()].filter(([, n]) => n > 1);
    return { started: starts.length, finished: done.length, cutShort: this.inFlight.size, ranTwice: twice.length, ranTwiceExamples: twice.slice(0, 3).map(([k, n]) => `${k}×${n}`) };
  }
}

/** The nominal time of a scheduled run id `{schedule_id}:{nominal RFC 3339}`, or NaN. */
export function nominalOf(id: string): number {
  const m = /:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/.exec(id);
  return m ? Date.parse(m[1]!) : NaN;
}

/**
 * When each scheduled run really began: its first activity attempt's start (from the workers' log)
 * − its nominal time, ms, over the runs that ran an activity. Not `started_at`: a prepared run is
 * created up to a minute ahead and its `started_at` is its fire time (README "Time semantics"),
 * even when the platform was down then and the run began only after the restart.
 */
export function beginLagMs(log: ActivityLog, runIds: string[]): number[] {
  const out: number[] = [];
  for (const id of runIds) {
    const t = log.firstStart.get(id);
    const nominal = nominalOf(id);
    if (t !== undefined && !Number.isNaN(nominal)) out.push(t - nominal);
  }
  return out;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const list = (xs: string[], n = 3) => (xs.length === 0 ? "0" : `${xs.length} (${xs.slice(0, n).join(", ")}${xs.length > n ? ", …" : ""})`);
