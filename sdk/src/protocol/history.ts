import { z } from "zod";
import { FailureAnswer, RetryPolicy } from "./failure.ts";

/** Options of one activity call, as recorded in history (all durations in seconds). */
export const ActivityOptions = z.strictObject({
  /** As recorded (histories from before 2026-12-03 may hold any name); a new command's follows Name: {@link ScheduleActivityOptions}. */
  task_queue: z.string().max(200).optional(),
  start_to_close_timeout: z.number().positive().max(86_400 * 365).optional(),
  schedule_to_close_timeout: z.number().positive().max(86_400 * 365).optional(),
  heartbeat_timeout: z.number().positive().max(86_400).optional(),
  retry: RetryPolicy.partial().optional(),
});
export type ActivityOptions = z.output<typeof ActivityOptions>;

/**
 * {@link ActivityOptions} as a history answer carries them: an option this reader does not know
 * (a newer platform's) is dropped, not refused, as everywhere the client reads an answer.
 */
const ActivityOptionsAnswer = ActivityOptions.extend({ retry: RetryPolicy.partial().strip().optional() }).strip();

/** What a scheduled run receives on top of its input (Polos' `SchedulePayload`). */
export const SchedulePayload = z.object({
  timestamp: z.string(),
  actual_timestamp: z.string(),
  last_timestamp: z.string().nullable(),
  timezone: z.string(),
  schedule_id: z.string(),
  key: z.string(),
  upcoming: z.string().nullable(),
});
export type SchedulePayload = z.output<typeof SchedulePayload>;

const e = <T extends string, S extends z.ZodRawShape>(type: T, attrs: S) =>
  z.object({ id: z.number().int().positive(), type: z.literal(type), ts: z.string(), ...attrs });

/**
 * Every history event, a discriminated union on `type`, as answers carry them (the SDK's client
 * reads them with it): fields an event, its failures or its activity options do not declare are dropped. Ids are monotonic from 1 within a run.
 * `seq` numbers commands per kind (activity 1, 2, …; timer 1, 2, …) so replay can match them.
 */
export const HistoryEvent = z.discriminatedUnion("type", [
  e("execution_started", {
    execution_id: z.string().optional(),
    /** Set on a run started by continue-as-new. */
    continued_from_run_id: z.string().optional(),
    /** Set on a child workflow's run. */
    parent_execution_id: z.string().optional(),
    workflow: z.string(),
    input: z.unknown(),
    task_queue: z.string(),
    execution_timeout: z.number(),
    run_id: z.string(),
    attempt: z.number().int().default(1),
    schedule: SchedulePayload.nullable().default(null),
  }),
  e("workflow_task_scheduled", {
    attempt: z.number().int(),
    /** Set on the first task of a scheduled run prepared ahead: not handed to a worker before this instant. */
    visible_at: z.string().optional(),
  }),
  e("workflow_task_started", {
    scheduled_event_id: z.number().int(),
    identity: z.string(),
    /** Whether continue-as-new was suggested to this task; recorded so replays see the same value. */
    suggest_continue_as_new: z.boolean().optional(),
  }),
  e("workflow_task_completed", { scheduled_event_id: z.number().int(), identity: z.string() }),
  e("workflow_task_failed", {
    scheduled_event_id: z.number().int(),
    failure: FailureAnswer,
    /**
     * Set when the platform failed the task rather than the worker: `UnhandledCommand` (Temporal's
     * name) when the task would have closed the run while new events waited for the workflow. A
     * string, not an enum, so a history with a cause added later still parses.
     */
    cause: z.string().optional(),
  }),
  e("workflow_task_timed_out", { scheduled_event_id: z.number().int() }),
  e("activity_scheduled", { seq: z.number().int(), activity_type: z.string(), input: z.unknown(), options: ActivityOptionsAnswer }),
  e("activity_started", { scheduled_event_id: z.number().int(), attempt: z.number().int(), identity: z.string() }),
  e("activity_completed", { scheduled_event_id: z.number().int(), seq: z.number().int(), result: z.unknown(), attempt: z.number().int() }),
  e("activity_failed", { scheduled_event_id: z.number().int(), seq: z.number().int(), failure: FailureAnswer, attempt: z.number().int() }),
  e("activity_timed_out", {
    scheduled_event_id: z.number().int(),
    seq: z.number().int(),
    timeout_type: z.enum(["start_to_close", "schedule_to_close", "heartbeat"]),
    attempt: z.number().int(),
  }),
  e("activity_cancel_requested", { scheduled_event_id: z.number().int(), seq: z.number().int() }),
  e("activity_cancelled", { scheduled_event_id: z.number().int(), seq: z.number().int() }),
  e("timer_started", { seq: z.number().int(), fire_at: z.string(), duration: z.number() }),
  e("timer_fired", { started_event_id: z.number().int(), seq: z.number().int() }),
  e("timer_cancelled", { started_event_id: z.number().int(), seq: z.number().int() }),
  e("execution_cancel_requested", { reason: z.string() }),
  /** A signal, recorded before the sender got its 202; delivered to the handler in history order. */
  e("signal_received", { name: z.string(), input: z.unknown(), request_id: z.string().nullable().default(null) }),
  /** An update the workflow's validator accepted: its handler runs from this point in history. */
  e("update_accepted", { update_id: z.string(), name: z.string(), input: z.unknown() }),
  e("child_workflow_initiated", {
    seq: z.number().int(),
    workflow: z.string(),
    execution_id: z.string(),
    input: z.unknown(),
    parent_close_policy: z.enum(["ABANDON", "REQUEST_CANCEL", "TERMINATE"]),
  }),
  e("child_workflow_started", { seq: z.number().int(), execution_id: z.string(), run_id: z.string() }),
  /** The child could not start (its id is taken by another workflow): a resolution, like a failure. */
  e("child_workflow_start_failed", { seq: z.number().int(), execution_id: z.string(), failure: FailureAnswer }),
  e("child_workflow_completed", { seq: z.number().int(), execution_id: z.string(), result: z.unknown() }),
  /** The child ended without a result: failed, timed out, cancelled or terminated (`status`). */
  e("child_workflow_failed", { seq: z.number().int(), execution_id: z.string(), status: z.string(), failure: FailureAnswer }),
  /** A step's outcome (`ctx.step.run`): replays return it instead of running the step again. */
  e("step_recorded", { seq: z.number().int(), name: z.string(), result: z.unknown().optional(), failure: FailureAnswer.optional() }),
  /**
   * A patch marker (set_patch_marker): the run took the patched branch of `ctx.patched(patch_id)`.
   * `deprecated` when `ctx.deprecatePatch` wrote it: a replay whose code no longer asks for the
   * patch skips it; a replay that does not ask for a marker that is not deprecated is non-deterministic.
   */
  e("marker_recorded", { patch_id: z.string(), deprecated: z.boolean().default(false) }),
  /** The handler's outcome, returned to every caller waiting on (or retrying) this update id. */
  e("update_completed", { update_id: z.string(), result: z.unknown().optional(), failure: FailureAnswer.optional() }),
  e("execution_completed", { result: z.unknown() }),
  e("execution_failed", { failure: FailureAnswer }),
  e("execution_timed_out", {}),
  e("execution_cancelled", { details: z.unknown().optional() }),
  e("execution_terminated", { reason: z.string() }),
]);
export type HistoryEvent = z.output<typeof HistoryEvent>;
export type HistoryEventType = HistoryEvent["type"];
export type EventOf<T extends HistoryEventType> = Extract<HistoryEvent, { type: T }>;

/** Events that close a run. */
export const CLOSE_EVENTS = ["execution_completed", "execution_failed", "execution_timed_out", "execution_cancelled", "execution_terminated"] as const;
