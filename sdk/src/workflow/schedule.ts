import type { Duration } from "./duration.ts";

/** What to do when a run is due while the previous one still runs (Temporal's names). */
export type OverlapPolicy = "SKIP" | "BUFFER_ONE" | "BUFFER_ALL" | "CANCEL_OTHER" | "TERMINATE_OTHER" | "ALLOW_ALL";
/** The Mistral seed's name for {@link OverlapPolicy}. */
export type ScheduleOverlapPolicy = OverlapPolicy;
/** The policies by name, as the Mistral seed writes them: `overlap: ScheduleOverlapPolicy.SKIP`. */
export const ScheduleOverlapPolicy = {
  SKIP: "SKIP",
  BUFFER_ONE: "BUFFER_ONE",
  BUFFER_ALL: "BUFFER_ALL",
  CANCEL_OTHER: "CANCEL_OTHER",
  TERMINATE_OTHER: "TERMINATE_OTHER",
  ALLOW_ALL: "ALLOW_ALL",
} as const satisfies Record<OverlapPolicy, OverlapPolicy>;

/**
 * Catch-up, overlap and failure handling of a schedule.
 * @example
 * const policy: SchedulePolicy = { catchupWindow: "7d", overlap: "SKIP", retryMax: 2, onFailure: "pause" };
 */
export interface SchedulePolicy {
  /** Missed fires younger than this are run when the platform catches up (default 1 day). */
  catchupWindow?: Duration;
  /** The seeds' name for {@link catchupWindow} (`catchup_window_seconds`): one or the other. */
  catchupWindowSeconds?: Duration;
  /** Default `SKIP`. */
  overlap?: OverlapPolicy;
  /** Re-fires of a failed run for the same nominal time (default 0). */
  retryMax?: number;
  /** First re-fire delay, doubling each time (default: the interval, or 60 s for cron specs; `null` restores the default, as describe shows it). */
  retryDelay?: Duration | null;
  /** The wire's name for {@link retryDelay} (`retry_delay_seconds`): one or the other. */
  retryDelaySeconds?: Duration | null;
  /** What happens once a run has failed after its retries (default `continue`). */
  onFailure?: "continue" | "pause" | "dead";
}

/** A point in time: a `Date` or an RFC 3339 string with an offset. */
export type Instant = Date | string;

/**
 * The shorthands the seeds use, accepted next to the canonical fields wherever a schedule is
 * written (`client.schedules.create`, `update`, `preview`, and schedules declared in code).
 * @example const spec: ScheduleSpecShorthands = { cron: "0 8 * * *" };
 */
export interface ScheduleSpecShorthands {
  /** One cron expression (Polos' `cron`); joins `cronExpressions`. */
  cron?: string;
  /** Fire every this long, from `startAt` or creation (Pipelit's `interval_seconds`); joins `intervals`. */
  intervalSeconds?: Duration;
}

/**
 * A schedule declared in code next to its workflow; workers upsert it when they start (the Mistral
 * seed's `ScheduleDefinition`). Fire times are the union of every cron expression, interval and
 * `at` time.
 * @example
 * const nightly: ScheduleDefinition<{ retentionDays: number }> = {
 *   cronExpressions: ["0 3 * * 6"],
 *   timezone: "Europe/Paris",
 *   input: { retentionDays: 30 },
 *   policy: { catchupWindow: "7d", overlap: "SKIP" },
 * };
 */
export interface ScheduleDefinition<I = unknown> extends ScheduleSpecShorthands {
  /** (workflow, key) identifies the schedule. Default: `code-<position in the list>`, set by the platform. */
  key?: string;
  /** Free text shown with the schedule. */
  note?: string;
  /** Pause it: a new schedule starts paused, an active one is paused (`false` resumes nothing: a resume does). */
  paused?: boolean;
  /** 5-field (or 6 with seconds) cron expressions, `@daily` and friends, `L`, `W`, `#`. */
  cronExpressions?: string[];
  /** Fire every `every`, shifted by `offset`, anchored at `startAt` (default: creation time). */
  intervals?: { every: Duration; offset?: Duration }[];
  /** One-shot fire times. */
  at?: Instant | Instant[];
  startAt?: Instant;
  endAt?: Instant;
  /** Most scheduled runs the schedule starts (fires skipped by overlap, catch-up or a pause use none; 0 = unlimited). */
  repeatCount?: number;
  /** Cron expressions whose matches are skipped. */
  exclude?: string[];
  /** Deterministic random delay added to each fire, at most this long. */
  jitter?: Duration;
  /** The wire's name for {@link jitter} (`jitter_seconds`, what describe's `spec.jitterSeconds` reads back): one or the other. */
  jitterSeconds?: Duration;
  /** IANA time zone the cron expressions are read in (default `UTC`). */
  timezone?: string;
  /** Input of each scheduled run (validated against the workflow's input schema by the platform). */
  input?: I;
  policy?: SchedulePolicy;
}
