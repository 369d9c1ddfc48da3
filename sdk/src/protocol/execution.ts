import { z } from "zod";
import { Duration } from "./duration.ts";
import { FailureAnswer } from "./failure.ts";
import { HistoryEvent, SchedulePayload } from "./history.ts";
import { Identifier, Name } from "./names.ts";

export { IdReference, Identifier, MAX_ID_LENGTH, Name } from "./names.ts";

/** The largest payload (an input, result, step value, failure, heartbeat details: its JSON, in UTF-8 bytes) the platform accepts; larger is a 413. */
export const MAX_PAYLOAD_BYTES = 262_144;

const utf8 = new TextEncoder();
let scratch: Uint8Array | undefined; // allocated on first use: a client that never counts never pays for it

/**
 * UTF-8 bytes of a JSON text, exact up to {@link MAX_PAYLOAD_BYTES}; any larger text counts as
 * `MAX_PAYLOAD_BYTES + 1`. Copies nothing (it encodes into one kept buffer), since every completion
 * counts each payload it carries. The one payload measure of the platform and the SDK.
 */
export function payloadBytes(json: string): number {
  if (json.length > MAX_PAYLOAD_BYTES) return MAX_PAYLOAD_BYTES + 1;
  scratch ??= new Uint8Array(MAX_PAYLOAD_BYTES + 1);
  const { read, written } = utf8.encodeInto(json, scratch);
  return read < json.length ? MAX_PAYLOAD_BYTES + 1 : written;
}

/**
 * The exact UTF-8 bytes of a string however long, without encoding it (how SQLite stores it):
 * for a run's history size, and for messages about a payload over the limit. JSON text has no lone
 * surrogates, so each half of a pair counts 2 of its 4 bytes.
 * @example
 * utf8Length("añ€😀") // 1 + 2 + 3 + 4 = 10
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** The task queue of a worker that names none, and of a start or schedule that names none of a workflow no worker registered. */
export const DEFAULT_TASK_QUEUE = "default";

/** The {@link Name} rule as a check, for the SDK's synchronous validation of definitions and calls. */
export function isName(v: unknown): v is string {
  return Name.safeParse(v).success;
}

export const EXECUTION_STATUSES = ["running", "completed", "failed", "timed_out", "cancelled", "terminated"] as const;
export const ExecutionStatus = z.enum(EXECUTION_STATUSES);
export type ExecutionStatus = z.output<typeof ExecutionStatus>;

/**
 * What happens when a start names an execution id that exists: `use_existing` (default: the call
 * is idempotent and returns the existing execution), `reject_duplicate` (409), `allow_duplicate`
 * (a new run once the old one closed; 409 while it runs), `allow_duplicate_failed_only` (a new run
 * only if the old one failed, timed out, was cancelled or terminated).
 */
export const IdReusePolicy = z.enum(["use_existing", "reject_duplicate", "allow_duplicate", "allow_duplicate_failed_only"]);
export type IdReusePolicy = z.output<typeof IdReusePolicy>;

/** POST /v1/workflows/executions */
/** What a start names: the fields signal-with-start shares. */
const StartFields = z.strictObject({
  workflow: Name,
  input: z.unknown().optional(),
  execution_id: Identifier.optional(),
  /** Default: the task queue the workflow was last registered on by a worker, else `default`. */
  task_queue: Name.optional(),
  execution_timeout: Duration.refine((s) => s >= 1 && s <= 86_400 * 365, { message: "must be between 1 second and 1 year" }).optional(),
  id_reuse_policy: IdReusePolicy.default("use_existing"),
});

export const StartExecutionRequest = StartFields.safeExtend({
  /** Hold the answer up to this many seconds for the run to close (start and wait in one call); 0: answer at once. */
  wait_seconds: z.number().min(0).max(60).default(0),
});
export type StartExecutionRequest = z.input<typeof StartExecutionRequest>;

export const PendingActivity = z.object({
  seq: z.number(),
  activity_type: z.string(),
  state: z.enum(["scheduled", "started", "backing_off", "cancel_requested"]),
  attempt: z.number(),
  last_failure: FailureAnswer.nullable(),
  last_heartbeat_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
});

/** An execution as described by GET /v1/workflows/executions/{id}. */
export const Execution = z.object({
  execution_id: z.string(),
  run_id: z.string(),
  workflow: z.string(),
  status: ExecutionStatus,
  task_queue: z.string(),
  input: z.unknown(),
  result: z.unknown().optional(),
  failure: FailureAnswer.nullable(),
  started_at: z.string(),
  closed_at: z.string().nullable(),
  execution_timeout: z.number(),
  history_length: z.number(),
  /** UTF-8 bytes of the history's events (the run fails at 50 MiB; continue-as-new is suggested from 10 MiB). */
  history_size_bytes: z.number(),
  cancel_requested: z.boolean(),
  pending_activities: z.array(PendingActivity),
  schedule: SchedulePayload.nullable(),
  /**
   * 1 for the first run; +1 after each continue-as-new or reset, and for a new execution a start
   * begins under the id once its last run closed (its `previous_run_id` is null: it continues nothing).
   */
  run_number: z.number().int().positive(),
  // Always sent; a platform from before 2026-12-04 left these out, read as null (`.default`), so
  // an SDK upgraded before its platform still reads its answers.
  /** The run this one continued from (continue-as-new, reset), else null. */
  previous_run_id: z.string().nullable().default(null),
  /** The parent execution when this is a child workflow, else null. */
  parent_execution_id: z.string().nullable().default(null),
  /** The parent's run that started this child (null if not a child, or not recorded). */
  parent_run_id: z.string().nullable().default(null),
});
export type Execution = z.output<typeof Execution>;

export const StartExecutionResponse = Execution.extend({ started: z.boolean() });
export type StartExecutionResponse = z.output<typeof StartExecutionResponse>;

export const ExecutionSummary = z.object({
  execution_id: z.string(),
  run_id: z.string(),
  workflow: z.string(),
  status: ExecutionStatus,
  task_queue: z.string(),
  started_at: z.string(),
  closed_at: z.string().nullable(),
  schedule_id: z.string().nullable(),
});
export type ExecutionSummary = z.output<typeof ExecutionSummary>;

export const ListExecutionsResponse = z.object({ executions: z.array(ExecutionSummary), next_page_token: z.string().nullable() });
export type ListExecutionsResponse = z.output<typeof ListExecutionsResponse>;

export const HistoryPage = z.object({ events: z.array(HistoryEvent), next_page_token: z.string().nullable() });
export type HistoryPage = z.output<typeof HistoryPage>;

export const CancelRequest = z.strictObject({ reason: z.string().max(1000).default("") });
export const TerminateRequest = z.strictObject({ reason: z.string().max(1000).default("") });

/** GET /v1/workflows/executions/{id}/result: a closed execution's outcome. */
export const ExecutionResult = z.object({
  execution_id: z.string(),
  status: ExecutionStatus,
  result: z.unknown().optional(),
  failure: FailureAnswer.nullable(),
});
export type ExecutionResult = z.output<typeof ExecutionResult>;

/** POST /v1/workflows/executions/{id}/signals/{name} */
export const SignalRequest = z.strictObject({
  input: z.unknown().optional(),
  /** De-duplicates retried sends: a second signal with the same request_id is not recorded again. */
  request_id: Identifier.optional(),
});
/** Its 202: whether this call recorded the signal (false: its `request_id` was recorded before, so this retry recorded nothing). */
export const SignalResult = z.object({ recorded: z.boolean() });
export type SignalResult = z.output<typeof SignalResult>;

/**
 * POST /v1/workflows/executions/signal-with-start: start the execution if needed, then signal it,
 * atomically. A running execution is signalled; a closed one is started again only if
 * `id_reuse_policy` allows it (default `allow_duplicate`, Temporal's: a new run).
 */
export const SignalWithStartRequest = StartFields.safeExtend({
  execution_id: Identifier,
  id_reuse_policy: IdReusePolicy.default("allow_duplicate"),
  signal_name: Name,
  signal_input: z.unknown().optional(),
  request_id: Identifier.optional(),
});

/** POST /v1/workflows/executions/{id}/queries/{name} */
export const QueryRequest = z.strictObject({ input: z.unknown().optional(), timeout_seconds: z.number().min(1).max(60).default(10) });
export const QueryResult = z.object({ query_id: z.string(), result: z.unknown().optional() });

/** POST /v1/workflows/executions/{id}/updates/{name}: waits for the handler's result. */
export const UpdateRequest = z.strictObject({
  input: z.unknown().optional(),
  /** Retrying with the same update_id returns the recorded result instead of running it again. */
  update_id: Identifier.optional(),
  wait_seconds: z.number().min(1).max(60).default(30),
});
export const UpdateResult = z.object({ update_id: z.string(), status: z.enum(["completed", "pending"]), result: z.unknown().optional(), failure: FailureAnswer.nullable() });

/** POST /v1/workflows/executions/{id}/reset (the Mistral seed's reset_workflow). */
export const ResetRequest = z.strictObject({
  /** A workflow_task_completed event id of the current run. */
  event_id: z.number().int().positive(),
  reason: z.string().min(1).max(1000),
  exclude_signals: z.boolean().default(false),
  exclude_updates: z.boolean().default(false),
});
