import type { SchedulePolicy, ScheduleStatus } from "@sundial/sdk/protocol";
import type { OverlapPolicy } from "../overlap.ts";
import { scheduleRunId } from "../run-id.ts";
import type { CompiledSpec } from "../spec.ts";
import type { PreparedRun } from "./prepare.ts";
import type { PendingRetry } from "./retry-queue.ts";

// A schedule's state and the shapes of its transitions, as plain data: what the machine
// (machine.ts) reads and returns, and what the ScheduleObject persists and applies.

/** A fire waiting to start or running: where it came from and, for triggers, its input override. */
export interface PendingFire {
  nominal: number;
  actual: number;
  kind: "scheduled" | "retry" | "trigger" | "backfill";
  retry?: number;
  requestId?: string;
  /**
   * A trigger named by its time too (`{schedule_id}:{nominal}:trigger:{request_id}`): every trigger
   * since 2026-12-07. One stored before (buffered then) keeps the id its answer gave,
   * `{schedule_id}:trigger:{request_id}`.
   */
  timed?: true;
  input?: unknown;
  /**
   * The payload's `last_timestamp`, when the fire carries its own: a retry keeps its original's
   * (the same window of time to process again), a backfilled fire has the backfill's fire before
   * it that was not skipped (chainBackfills). Unset, it is the schedule's last started fire when
   * this one starts.
   */
  last?: number | null;
  /** A scheduled fire of the spec before the last spec change: it still runs, and uses none of this spec's repeat_count. */
  prior?: true;
  /** A fire of the spec before a change (delayed over it, waiting or open then): that spec's zone, its payload's (and its retries'). */
  timezone?: string;
  /**
   * The payload's `upcoming`, when the fire carries its own: a run open or a retry waiting at a
   * spec change keeps its payload's, the old spec's (see replanned), and so do its retries. Unset,
   * the spec's next fire after this one's nominal time, or null for the last run.
   */
  upcoming?: number | null;
  /**
   * The fire's own overlap policy (a trigger's or backfill's `overlap`); without it the
   * schedule's policy at each decision. It decides only this fire's fate (see decideOverlap).
   */
  overlap?: OverlapPolicy;
  /** A backfilled fire's job (the schedule's backfill request it came from): its run id names it. */
  backfillId?: number;
}

export interface RunningRun {
  runId: string;
  fire: PendingFire;
  /** The payload's `last_timestamp` (absent in states written before it was kept). */
  last?: number | null;
  /** An adopted prepared run: `lastNominal` before it, restored if the run turns out skipped (SKIPPED_CATCHUP). */
  lastNominalBefore?: number | null;
  /** CANCEL_OTHER asked it to cancel: later decisions do not ask again. */
  cancelRequested?: true;
}

/** A schedule's mutable state, as plain data (the ScheduleObject persists it). */
export interface ScheduleState {
  status: ScheduleStatus;
  note: string;
  /** Nominal time of the last fire handled by the planner (started, buffered or skipped). */
  lastProcessed: number;
  /** Nominal time of the last fire that started (the payload's last_timestamp). */
  lastNominal: number | null;
  running: RunningRun[];
  buffer: PendingFire[];
  /** The retry due first, of a failed fire (see retry-queue.ts). */
  retry: PendingRetry | null;
  /** When a paused schedule paused, so a resume knows which retries came due while paused (resumeRetries); absent in states paused before it was kept. */
  pausedAt?: number;
  /** Other failed fires' retries, due after `retry` (absent when there are none). */
  retries?: PendingRetry[];
  counters: { fired: number; skipped_overlap: number; skipped_catchup: number; failed: number };
  /**
   * Scheduled fires started since the spec's origin (creation or last spec change): what
   * repeat_count limits (DESIGN: max runs). Triggers, backfills and retries do not count, nor do
   * fires skipped by overlap, catch-up or a pause. Absent in states written before it: see {@link repeatRuns}.
   */
  repeatRuns?: number;
  currentRetry: number;
  /** The next fire's run, created ahead of its time (see prepare.ts); absent in states written before it existed. */
  prepared?: PreparedRun | null;
  /**
   * Fires of a spec before a spec change whose nominal time had come and whose actual (jittered)
   * time had not: each still starts, once, at its actual time (see respec-delayed.ts). Absent when none.
   */
  delayed?: PendingFire[];
}

export interface Outcome {
  kind: "skipped_overlap" | "skipped_catchup" | "buffered" | "started" | "cancel_requested" | "terminated" | "retry_scheduled";
  fire?: PendingFire;
  runId?: string;
  /** How many fires a skipped_catchup outcome counts (one without it is its `fire`'s: a retry, judgeDueRetries). */
  count?: number;
  /** A skipped_catchup count that stopped at LIMITS.catchupSkipCountCap: at least this many. */
  atLeast?: boolean;
}

/** What the object must do after a transition. */
export interface Transition {
  state: ScheduleState;
  start: { runId: string; fire: PendingFire; last: number | null }[];
  cancel: string[];
  terminate: string[];
  outcomes: Outcome[];
  /** When to wake next (null: nothing scheduled). */
  nextAlarm: number | null;
}

export interface MachineContext {
  spec: CompiledSpec;
  scheduleId: string;
  policy: SchedulePolicy;
  now: number;
}

export function runIdFor(scheduleId: string, f: PendingFire): string {
  switch (f.kind) {
    case "scheduled":
      return scheduleRunId(scheduleId, f.nominal);
    case "retry":
      return scheduleRunId(scheduleId, f.nominal, { kind: "retry", retry: f.retry ?? 1 });
    case "trigger":
      return scheduleRunId(scheduleId, f.nominal, { kind: "trigger", requestId: f.requestId ?? String(f.nominal), untimed: !f.timed });
    case "backfill":
      return scheduleRunId(scheduleId, f.nominal, { kind: "backfill", ...(f.backfillId !== undefined ? { job: f.backfillId } : {}) });
  }
}

/** A new schedule's state: nothing fired yet, planning from `now`. */
export function initialState(now: number, paused: boolean, note: string): ScheduleState {
  return {
    status: paused ? "paused" : "active",
    note,
    lastProcessed: now,
    lastNominal: null,
    running: [],
    buffer: [],
    retry: null,
    counters: { fired: 0, skipped_overlap: 0, skipped_catchup: 0, failed: 0 },
    repeatRuns: 0,
    currentRetry: 0,
  };
}
