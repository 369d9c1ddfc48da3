import { SPEC_LIMITS } from "@sundial/sdk/protocol";

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
  /** BUFFER_ALL cap. */
  bufferCap: 1_000,
  /** Recent actions kept per schedule. */
  recentActions: 20,
  /** Upcoming fire times shown by describe / preview. */
  upcomingDefault: 10,
  upcomingMax: 1_000,
  /** Schedule-run retry backoff cap, as a multiple of the first delay. */
  retryBackoffCapFactor: 10,
  retryMaxMax: 100,
  /** Request body, bytes. */
  maxBodyBytes: 1_048_576,
  /** A workflow/schedule input or a result, bytes of JSON. */
  maxPayloadBytes: 262_144,
  /** History events per run (the seeds mention 50K). */
  maxHistoryEvents: 50_000,
  /** Past this many events the workflow is told continue-as-new is suggested. */
  continueAsNewSuggestedEvents: 10_000,
  maxSignalsPerRun: 10_000,
  pageSizeDefault: 50,
  pageSizeMax: 500,
  schedulesPerNamespace: 1_000_000,
  /** Default workflow execution timeout, seconds (the seeds' 1 hour). */
  executionTimeoutDefault: 3_600,
  /** How long a task poll is held before 204, ms. */
  pollHoldMs: 30_000,
  /** Default workflow task timeout, seconds. */
  workflowTaskTimeout: 10,
} as const;
