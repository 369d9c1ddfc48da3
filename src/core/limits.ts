import { MAX_PAYLOAD_BYTES, payloadBytes, SPEC_LIMITS } from "@sundial/sdk/protocol";
import { MAX_CODE_SCHEDULES_PER_REGISTRATION } from "./code-schedule-limits.ts";

/**
 * Every bound Sundial enforces, in one place (Temporal's "tweakables"). Changing a number here
 * changes behaviour users can see: README "Limits" lists them.
 */
export const LIMITS = {
  ...SPEC_LIMITS,
  /** Catch-up window clamp and default, seconds. */
  catchupWindowMin: 10,
  catchupWindowMax: 366 * 86_400,
  catchupWindowDefault: 86_400,
  /** Fires started per alarm during catch-up; the rest wait for the next alarm. */
  catchupBatch: 100,
  /** Fires examined (started or skipped as too old) per alarm, so a long outage is worked off in bounded steps. */
  catchupScanPerAlarm: 10_000,
  /**
   * Fires too old for the catch-up window that one plan passes over are jumped over, not walked,
   * and counted up to this many: past it `skipped_catchup` grows by this much and is a minimum ("N+").
   */
  catchupSkipCountCap: 10_000,
  /** BUFFER_ALL cap. */
  bufferCap: 1_000,
  /**
   * Open runs one schedule tracks at once (ALLOW_ALL, backfills): a fire past it is skipped by
   * overlap, a backfill waits for runs to close, a due retry waits for a slot.
   */
  runningCap: 1_000,
  /** Failed fires' retries one schedule keeps waiting (its state is one row): past it, the one due last is not kept. */
  retriesCap: 1_000,
  /** Trigger input overrides waiting in one schedule's buffer, bytes of JSON (its state is one row). */
  bufferedInputBytes: 1_048_576,
  /** Fires one backfill may start (its range is checked before anything is written; split a longer one). */
  maxBackfillFires: 100_000,
  /** Longest backfill range, calendar years in UTC (core/schedule/backfill-fires.ts `checkBackfillRange`). */
  maxBackfillYears: 10,
  /** Backfills one schedule keeps under way at once (each a row its alarms read): past it a backfill is refused until one is done. */
  maxPendingBackfills: 100,
  /** Recent actions kept per schedule. */
  recentActions: 20,
  /** A trigger's (and a backfill's) request_id answers a retry with the first call's outcome for this long (and the most recent `triggerRequestsKept`). */
  triggerRequestSeconds: 86_400,
  triggerRequestsKept: 1_000,
  /** Upcoming fire times shown by describe / preview. */
  upcomingDefault: 10,
  upcomingMax: 1_000,
  /** Schedule-run retry backoff cap, as a multiple of the first delay. */
  retryBackoffCapFactor: 10,
  retryMaxMax: 100,
  /** Request body, bytes. */
  maxBodyBytes: 1_048_576,
  /** A workflow/schedule input, a result or a step value, bytes of JSON (the SDK checks steps against the same constant). */
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  /**
   * History a workflow or query task carries: its newest events up to this size (all of them when
   * the history is smaller); a worker reads older events with POST /v1/workflows/tasks/workflow/history.
   */
  taskHistoryBytes: 1_048_576,
  /** A page of history (GET …/history, the worker's history reads): at most this size, and at least one event. */
  historyPageBytes: 4_194_304,
  /** History events per run (the seeds mention 50K). */
  maxHistoryEvents: 50_000,
  /** Past this many events the workflow is told continue-as-new is suggested. */
  continueAsNewSuggestedEvents: 10_000,
  /** History size per run, UTF-8 bytes of its events (Temporal's and the seeds' 50 MB): the run fails past it. */
  maxHistoryBytes: 50 * 1_048_576,
  /** Past this size continue-as-new is suggested (where Temporal warns). */
  continueAsNewSuggestedBytes: 10 * 1_048_576,
  maxSignalsPerRun: 10_000,
  /**
   * Signal request ids an execution remembers across continue-as-new: the newest this many are
   * carried to the next run (as many as one run may record, so a retry of any signal the last run
   * recorded is recognised, while a long chain of runs keeps a bounded set).
   */
  signalRequestIdsKept: 10_000,
  /** Updates requested or accepted and not yet finished, per run (Temporal's 10): each rides on every workflow task until answered. */
  maxUpdatesInFlight: 10,
  /** Updates per run, finished or not, not counting those the validator rejected (Temporal's 2,000). */
  maxUpdatesPerRun: 2_000,
  /**
   * Completed updates whose outcome continue-as-new carries to the next run, so a retried
   * update_id answers with it instead of running again: the newest this many, and no more than
   * `updateOutcomesKeptBytes` of results and failures (the next run reads them in one go).
   */
  updateOutcomesKept: 2_000,
  updateOutcomesKeptBytes: 8 * 1_048_576,
  /** Activities pending (scheduled, started or backing off) in one run at once, as Temporal's 2,000. */
  maxPendingActivities: 2_000,
  /**
   * Describe shows pending activities' last failures whole up to this many bytes in all; past it
   * each is cut to message, type and retry flag (so describe always fits one answer).
   */
  describeFailureBytes: 8 * 1_048_576,
  /** Longest `pattern` an input JSON Schema may register, characters. */
  maxPatternLength: 1_000,
  /** Longest string tested against a schema `pattern` (no regex timeout exists): longer fails the check. */
  maxPatternInputLength: 10_000,
  pageSizeDefault: 50,
  pageSizeMax: 500,
  /** Schedules one worker registration may declare in code, over all its workflows. */
  codeSchedulesPerRegistration: MAX_CODE_SCHEDULES_PER_REGISTRATION,
  /** Default of schedules per namespace; a deployment sets its own with SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE. */
  schedulesPerNamespace: 1_000_000,
  /**
   * How far ahead a schedule prepares its next run, seconds (core/schedule/prepare.ts); the
   * SUNDIAL_PREPARE_AHEAD_SECONDS var overrides it per deployment (0 turns preparing off).
   */
  prepareAheadSeconds: 60,
  /** Default workflow execution timeout, seconds (the seeds' 1 hour). */
  executionTimeoutDefault: 3_600,
  /** How long a task poll is held before 204, ms. */
  pollHoldMs: 30_000,
  /** Default workflow task timeout, seconds. */
  workflowTaskTimeout: 10,
} as const;

const warnedValues = new Set<string>();

/**
 * The schedules-per-namespace limit a deployment configured (Worker var
 * `SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE`, a positive integer; digits only). Unset or empty means
 * LIMITS.schedulesPerNamespace; a malformed value falls back to it too, with one console.warn per
 * isolate and value, so a typo in a var never turns creates into 500s.
 *
 * @example
 * schedulesPerNamespaceLimit("5000") // 5000
 * schedulesPerNamespaceLimit(undefined) // 1_000_000
 * schedulesPerNamespaceLimit("10k") // 1_000_000, and a warning
 */
export function schedulesPerNamespaceLimit(raw: string | undefined): number {
  const text = raw?.trim() ?? "";
  if (text === "") return LIMITS.schedulesPerNamespace;
  const n = Number(text);
  if (/^\d+$/.test(text) && Number.isSafeInteger(n) && n >= 1) return n;
  if (!warnedValues.has(text)) {
    warnedValues.add(text);
    console.warn(`SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE=${JSON.stringify(raw)} is not a positive integer: using the default ${LIMITS.schedulesPerNamespace}`);
  }
  return LIMITS.schedulesPerNamespace;
}

/** Bytes of a value's JSON as UTF-8, by the protocol's one measure (undefined: 0). */
export function payloadJsonBytes(value: unknown): number {
  return value === undefined ? 0 : payloadBytes(JSON.stringify(value));
}

/** Whether a value's JSON is more than LIMITS.maxPayloadBytes of UTF-8 (undefined: never). */
export function exceedsPayloadLimit(value: unknown): boolean {
  return payloadJsonBytes(value) > MAX_PAYLOAD_BYTES;
}
