import { z } from "zod";
import { Identifier, Name } from "./execution.ts";
import { Failure, resultOrFailure } from "./failure.ts";
import { ActivityOptions } from "./history.ts";

/** A workflow's decision, sent when it completes a workflow task; validated against the state machine. */
/** The longest timer (`ctx.sleep`) a workflow may start: 10 years. */
export const MAX_TIMER_SECONDS = 86_400 * 365 * 10;

/** Options of a new schedule_activity command: as recorded, with a task queue a poll can name. */
export const ScheduleActivityOptions = ActivityOptions.extend({ task_queue: Name.optional() });

/**
 * A payload a command may leave out: null when it does. SDKs before 2026-12-06 sent a workflow
 * that returns nothing, or an activity called without input, with no `result` / `input` at all
 * (`undefined` vanishes from JSON), and a refused completion is retried for ever.
 */
const Payload = z.unknown().default(null);

/** The longest patch id (`ctx.patched(id)`, `ctx.deprecatePatch(id)`): as long as an update id or a step name. */
export const MAX_PATCH_ID_LENGTH = 200;

/** A patch id: any non-empty string of at most {@link MAX_PATCH_ID_LENGTH} characters. */
export const PatchId = z.string().min(1).max(MAX_PATCH_ID_LENGTH);

export const Command = z.discriminatedUnion("type", [
  /** `activity_type` follows the names a worker registers its activities under ({@link Name}): anything else no worker could run. */
  z.strictObject({ type: z.literal("schedule_activity"), seq: z.number().int().positive(), activity_type: Name, input: Payload, options: ScheduleActivityOptions.default({}) }),
  z.strictObject({ type: z.literal("request_cancel_activity"), seq: z.number().int().positive() }),
  z.strictObject({ type: z.literal("start_timer"), seq: z.number().int().positive(), duration: z.number().min(0).max(MAX_TIMER_SECONDS) }),
  z.strictObject({ type: z.literal("cancel_timer"), seq: z.number().int().positive() }),
  z.strictObject({ type: z.literal("complete_workflow"), result: Payload }),
  z.strictObject({ type: z.literal("fail_workflow"), failure: Failure }),
  z.strictObject({ type: z.literal("cancel_workflow"), details: z.unknown().optional() }),
  /** The update's validator passed (or there is none): the platform records update_accepted. */
  z.strictObject({ type: z.literal("accept_update"), update_id: z.string().min(1).max(200) }),
  /** The validator rejected the update: nothing is written to history; the caller gets the failure. */
  z.strictObject({ type: z.literal("reject_update"), update_id: z.string().min(1).max(200), failure: Failure }),
  /**
   * Starts a child workflow (id default: {@link defaultChildExecutionId}); numbered per kind like activities.
   * Its names follow the REST start request's rules, so every child can be reached by REST and polled.
   */
  z.strictObject({
    type: z.literal("start_child_workflow"),
    seq: z.number().int().positive(),
    workflow: Name,
    input: Payload,
    execution_id: Identifier.optional(),
    /** Default: the queue the child workflow is registered on, else the parent run's. */
    task_queue: Name.optional(),
    /** Default: the child workflow's registered execution timeout, else 1 hour. */
    execution_timeout: z.number().min(1).max(86_400 * 365).optional(),
    parent_close_policy: z.enum(["ABANDON", "REQUEST_CANCEL", "TERMINATE"]).default("TERMINATE"),
  }),
  /** Ends this run and starts a fresh one (empty history, new input) under the same execution id. */
  z.strictObject({ type: z.literal("continue_as_new"), input: Payload, execution_timeout: z.number().min(1).max(86_400 * 365).optional() }),
  /** The update handler finished: recorded as update_completed and returned to the caller. */
  z.strictObject({ type: z.literal("complete_update"), update_id: z.string().min(1).max(200), result: z.unknown().optional(), failure: Failure.optional() }).superRefine(resultOrFailure),
  /**
   * The outcome of a step the workflow ran inline (`ctx.step.run`, Polos' steps): recorded as
   * step_recorded, so a replay returns it instead of running the step again. Numbered per kind.
   */
  z.strictObject({ type: z.literal("record_step"), seq: z.number().int().positive(), name: z.string().min(1).max(200), result: z.unknown().optional(), failure: Failure.optional() }),
  /**
   * A patch marker (`ctx.patched(id)` / `ctx.deprecatePatch(id)`, Temporal's `SetPatchMarker`):
   * recorded as marker_recorded, so a replay knows the run took the patched branch. Sent at most
   * once per patch id and run, by code running past the end of history.
   */
  z.strictObject({ type: z.literal("set_patch_marker"), patch_id: PatchId, deprecated: z.boolean().default(false) }),
]);
export type Command = z.output<typeof Command>;
export type CommandInput = z.input<typeof Command>;

/**
 * The id of a child started without `execution_id`: `{parent}:child-{seq}` in run 1, and
 * `{parent}:run-{n}:child-{seq}` in run n ≥ 2 (after a continue-as-new or a reset), since seqs
 * restart with each run and a later run must not find an earlier run's child. The platform names
 * the child with it, and the SDK reports it on the child's handle: one function, so both agree.
 */
export function defaultChildExecutionId(parentExecutionId: string, runNumber: number, seq: number): string {
  return `${parentExecutionId}:${runNumber > 1 ? `run-${runNumber}:` : ""}child-${seq}`;
}
