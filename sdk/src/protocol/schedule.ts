import { z } from "zod";
import { Duration } from "./duration.ts";
import { Identifier, Name } from "./execution.ts";
import { normalizeSpec, ScheduleSpecFields, type ScheduleSpec } from "./schedule-spec.ts";
import { Timestamp } from "./time.ts";

export const OverlapPolicy = z.enum(["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER", "ALLOW_ALL"]);
export type OverlapPolicy = z.output<typeof OverlapPolicy>;
export const OnFailure = z.enum(["continue", "pause", "dead"]);
export const SCHEDULE_STATUSES = ["active", "paused", "completed", "dead"] as const;
export const ScheduleStatus = z.enum(SCHEDULE_STATUSES);
export type ScheduleStatus = z.output<typeof ScheduleStatus>;

/**
 * Longest retry_delay_seconds: 100 years, as the longest interval (whose length is the default
 * delay). The backoff's cap, 10× that, still lands on a date; an unbounded delay put a failed
 * one-shot's retry past the last JavaScript date, and its describe and the schedule list threw.
 */
export const MAX_RETRY_DELAY_SECONDS = 100 * 366 * 86_400;

/** Policy fields (Mistral's `SchedulePolicy` plus Pipelit's retries and Temporal's pause-on-failure). */
export const SchedulePolicyFields = {
  catchup_window_seconds: Duration.optional(),
  overlap: OverlapPolicy.optional(),
  retry_max: z.number().int().min(0).max(100).optional(),
  retry_delay_seconds: Duration.refine((s) => s >= 1, { message: "must be at least 1 second" })
    .refine((s) => s <= MAX_RETRY_DELAY_SECONDS, { message: `must be at most ${MAX_RETRY_DELAY_SECONDS} seconds (100 years)` })
    // null: the default (as describe shows it), so a policy read back can be sent again, and a PATCH can restore the default.
    .nullable()
    .optional(),
  on_failure: OnFailure.optional(),
  /** Temporal's name for on_failure: "pause". */
  pause_on_failure: z.boolean().optional(),
};
export const SchedulePolicyInput = z.strictObject(SchedulePolicyFields);

/** The canonical policy Sundial stores and returns. */
export interface SchedulePolicy {
  catchup_window_seconds: number;
  overlap: OverlapPolicy;
  retry_max: number;
  /** null = the default: the interval for interval specs, 60 s otherwise. */
  retry_delay_seconds: number | null;
  on_failure: z.output<typeof OnFailure>;
}

/** Policy fields as a request gives them, any of them left out (merged into a policy by {@link mergePolicy}). */
export type PolicyInput = z.output<typeof SchedulePolicyInput>;

/** Merges policy fields given at top level (Pipelit style) and under `policy` (Mistral style). */
export function mergePolicy(base: SchedulePolicy, ...parts: (PolicyInput | undefined)[]): SchedulePolicy {
  const out = { ...base };
  for (const p of parts) {
    if (!p) continue;
    if (p.catchup_window_seconds !== undefined) out.catchup_window_seconds = p.catchup_window_seconds;
    if (p.overlap !== undefined) out.overlap = p.overlap;
    if (p.retry_max !== undefined) out.retry_max = p.retry_max;
    if (p.retry_delay_seconds !== undefined) out.retry_delay_seconds = p.retry_delay_seconds;
    if (p.pause_on_failure !== undefined) out.on_failure = p.pause_on_failure ? "pause" : out.on_failure === "pause" ? "continue" : out.on_failure;
    if (p.on_failure !== undefined) out.on_failure = p.on_failure;
  }
  return out;
}

const POLICY_VALUE_KEYS = ["catchup_window_seconds", "overlap", "retry_max", "retry_delay_seconds"] as const;

/**
 * One request may give a policy field at top level (Pipelit's shape) and under `policy` (Mistral's),
 * and `on_failure: "pause"` as Temporal's `pause_on_failure: true`; given twice, both must say the
 * same. Two different values are refused (422 naming the second) rather than one of them dropped
 * without a word.
 */
export function checkPolicyAgreement(ctx: z.RefinementCtx, parts: { prefix: string[]; policy: PolicyInput | undefined }[]): void {
  const seen = new Map<string, { path: string; value: unknown }>();
  const reported = new Set<string>();
  const claim = (key: string, path: string[], value: unknown, shown: string) => {
    const first = seen.get(key);
    if (!first) return void seen.set(key, { path: shown, value });
    if (first.value !== value && !reported.has(path.join("."))) {
      reported.add(path.join("."));
      ctx.addIssue({ code: "custom", path, message: `${shown} contradicts ${first.path}: give the policy field once (at top level or under policy), or the same value in both` });
    }
  };
  for (const { prefix, policy } of parts) {
    if (!policy) continue;
    const name = (k: string) => [...prefix, k].join(".");
    for (const k of POLICY_VALUE_KEYS) if (policy[k] !== undefined) claim(k, [...prefix, k], policy[k], `${name(k)} ${JSON.stringify(policy[k])}`);
    if (policy.on_failure !== undefined) claim("on_failure", [...prefix, "on_failure"], policy.on_failure === "pause", `${name("on_failure")} "${policy.on_failure}"`);
    if (policy.pause_on_failure !== undefined) claim("on_failure", [...prefix, "pause_on_failure"], policy.pause_on_failure, `${name("pause_on_failure")} ${policy.pause_on_failure}`);
    if (policy.on_failure !== undefined) claim("on_failure_value", [...prefix, "on_failure"], policy.on_failure, `${name("on_failure")} "${policy.on_failure}"`);
  }
}

export const DEFAULT_SCHEDULE_POLICY: SchedulePolicy = {
  catchup_window_seconds: 86_400,
  overlap: "SKIP",
  retry_max: 0,
  retry_delay_seconds: null,
  on_failure: "continue",
};

const ScheduleCommon = {
  workflow: Name,
  key: Identifier.optional(),
  input: z.unknown().optional(),
  task_queue: Name.optional(),
  execution_timeout: Duration.refine((s) => s >= 1 && s <= 86_400 * 365, { message: "must be between 1 second and 1 year" }).optional(),
  policy: SchedulePolicyInput.optional(),
  note: z.string().max(1000).optional(),
  paused: z.boolean().optional(),
  ...SchedulePolicyFields,
};

/**
 * POST /v1/workflows/schedules. Spec fields and policy fields sit at top level (the seeds' shapes:
 * Mistral's `cron_expressions` + `policy`, Polos' `cron` + `timezone` + `key`, Pipelit's
 * `interval_seconds` + `repeat_count` + `retry_max`).
 */
export const CreateScheduleRequest = z
  .strictObject({ schedule_id: Identifier.optional(), ...ScheduleCommon, ...ScheduleSpecFields })
  .transform((v, ctx) => {
    const spec = normalizeSpec(v, ctx);
    const { policy, catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure } = v;
    const topPolicy = { catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure };
    checkPolicyAgreement(ctx, [{ prefix: [], policy: topPolicy }, { prefix: ["policy"], policy }]);
    return {
      schedule_id: v.schedule_id,
      workflow: v.workflow,
      key: v.key ?? "global",
      input: v.input,
      // Default: the task queue the workflow was registered on, else `default` (filled in by the platform).
      task_queue: v.task_queue,
      execution_timeout: v.execution_timeout,
      policy: mergePolicy(DEFAULT_SCHEDULE_POLICY, policy, topPolicy),
      note: v.note ?? "",
      paused: v.paused ?? false,
      spec,
    };
  });
export type CreateScheduleRequest = z.input<typeof CreateScheduleRequest>;
export type CreateScheduleCommand = z.output<typeof CreateScheduleRequest>;

/** PATCH /v1/workflows/schedules/{id}: any subset; `version` (or If-Match) makes it conditional. */
export const UpdateScheduleRequest = z.strictObject({
  version: z.number().int().min(1).optional(),
  input: z.unknown().optional(),
  task_queue: Name.optional(),
  execution_timeout: ScheduleCommon.execution_timeout,
  policy: SchedulePolicyInput.optional(),
  note: z.string().max(1000).optional(),
  ...SchedulePolicyFields,
  ...ScheduleSpecFields,
  /** null clears the bound. */
  start_at: Timestamp.nullable().optional(),
  end_at: Timestamp.nullable().optional(),
}).superRefine((v, ctx) => {
  const { policy, catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure } = v;
  checkPolicyAgreement(ctx, [{ prefix: [], policy: { catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure } }, { prefix: ["policy"], policy }]);
});
export type UpdateScheduleRequest = z.input<typeof UpdateScheduleRequest>;

export const PauseRequest = z.strictObject({ note: z.string().max(1000).default("") });
/** Resume: plans from now; `catch_up: true` also runs the fires (and failed fires' retries) that came due while paused, within the catch-up window. */
export const ResumeRequest = z.strictObject({ note: z.string().max(1000).default(""), catch_up: z.boolean().default(false) });
export const TriggerRequest = z.strictObject({
  input: z.unknown().optional(),
  overlap: OverlapPolicy.optional(),
  request_id: Identifier.optional(),
});
/**
 * Backfill: both ends included (start_at ≤ fire ≤ end_at), so start_at = end_at is the one
 * instant, a fire or none. The range itself (end_at not before start_at, at most 10 years) is
 * checked by the schedule after its request_id: a retry gets the first answer whatever range it names.
 */
export const BackfillRequest = z.strictObject({ start_at: Timestamp, end_at: Timestamp, overlap: OverlapPolicy.optional(), request_id: Identifier.optional() });
export const PreviewRequest = z
  .strictObject({ count: z.number().int().min(1).max(1000).default(10), after: Timestamp.optional(), schedule_id: Identifier.optional(), ...ScheduleSpecFields })
  .transform((v, ctx) => ({ count: v.count, after: v.after, schedule_id: v.schedule_id ?? "preview", spec: normalizeSpec(v, ctx) }));

/** A fire time as shown to users. */
export const FireTime = z.object({ nominal: z.string(), actual: z.string() });
export type FireTime = z.output<typeof FireTime>;

export const ScheduleAction = z.object({
  at: z.string(),
  nominal: z.string().nullable(),
  actual: z.string().nullable(),
  run_id: z.string().nullable(),
  /** `alarm`: the schedule's alarm failed (its outcome says why and when it runs again). */
  kind: z.enum(["scheduled", "retry", "trigger", "backfill", "alarm"]),
  outcome: z.string(),
});
export type ScheduleAction = z.output<typeof ScheduleAction>;

/** A spec rendered for the wire: times as RFC 3339. */
export interface ScheduleSpecView extends Omit<ScheduleSpec, "at" | "start_at" | "end_at"> {
  at: string[];
  start_at: string | null;
  end_at: string | null;
}

/** A backfill under way: its fires from `next_fire` through `end_at` are not decided yet, under `overlap` (null: the schedule's policy at each decision). */
export interface BackfillProgress {
  backfill_id: number;
  next_fire: string | null;
  end_at: string;
  overlap: OverlapPolicy | null;
}

/** GET /v1/workflows/schedules/{id}. */
export interface Schedule {
  schedule_id: string;
  workflow: string;
  key: string;
  source: "api" | "code";
  status: ScheduleStatus;
  note: string;
  version: number;
  spec: ScheduleSpecView;
  description: string;
  policy: SchedulePolicy;
  input: unknown;
  task_queue: string;
  execution_timeout: number | null;
  created_at: string;
  updated_at: string;
  next_fire_times: FireTime[];
  /** When the next run starts: the first of `next_fire_times` (jitter applied) or a failed fire's waiting retry, whichever is sooner; null unless the schedule is active. */
  next_run_at: string | null;
  last_fire_at: string | null;
  recent_actions: ScheduleAction[];
  running: string[];
  buffered: number;
  /** Backfills under way, oldest first: fires from `next_fire` through `end_at` not decided yet (a backfill leaves the list once its last fire is started, buffered or skipped). */
  backfills: BackfillProgress[];
  counters: { fired: number; skipped_overlap: number; skipped_catchup: number; failed: number };
  /** Pipelit's names: runs so far, retries of the current fire. */
  current_repeat: number;
  current_retry: number;
}

export interface ScheduleSummary {
  schedule_id: string;
  workflow: string;
  key: string;
  status: ScheduleStatus;
  source: "api" | "code";
  /** The next nominal fire time; null while the schedule is paused, completed or dead (it fires nothing then). */
  next_fire_at: string | null;
  /** When it will actually run (jitter applied, or a waiting retry when sooner): Pipelit's next run time; null while the schedule is paused, completed or dead. */
  next_run_at: string | null;
  last_fire_at: string | null;
  /** Pipelit's names: runs so far, retries of the current fire. */
  current_repeat: number;
  current_retry: number;
  created_at: string;
}
