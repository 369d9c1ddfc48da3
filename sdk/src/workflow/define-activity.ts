import type { z } from "zod";
import { isName } from "../protocol/execution.ts";
import { optionNames, rejectUnknownOptions } from "../client/options.ts";
import { rejectUnknownActivityOptions, type ActivityCallOptions } from "./activity-options.ts";

/** What an activity attempt knows about itself. */
export interface ActivityInfo {
  /** Workflow type of the execution that scheduled the activity. */
  workflow: string;
  executionId: string;
  runId: string;
  activityType: string;
  /** Command number of this activity within the run. */
  seq: number;
  /** Attempt number, from 1; retries are scheduled by the platform per the retry policy. */
  attempt: number;
  /** Seconds, or null when the activity has no heartbeat timeout. */
  heartbeatTimeout: number | null;
  /** Seconds one attempt may run. */
  startToCloseTimeout: number;
  /** The details of the last heartbeat of a previous attempt (resume from there), if any. */
  heartbeatDetails: unknown;
  taskQueue: string;
}

/**
 * The second argument of an activity's `run`.
 * @example
 * const upload = defineActivity({
 *   name: "upload",
 *   run: async (file: string, ctx) => {
 *     for (const chunk of chunks(file)) {
 *       if (ctx.signal.aborted) throw ctx.signal.reason;
 *       await put(chunk, { signal: ctx.signal });
 *       ctx.heartbeat({ uploaded: chunk.index });
 *     }
 *   },
 * });
 */
export interface ActivityContext {
  /** Attempt number, from 1. */
  readonly attempt: number;
  readonly executionId: string;
  readonly activityType: string;
  readonly info: ActivityInfo;
  /**
   * Aborted when the platform reports the activity cancelled (seen on a heartbeat), when the
   * start-to-close timeout passes, or when the worker shuts down; `reason` says which.
   */
  readonly signal: AbortSignal;
  /**
   * Records progress; sent to the platform throttled, together with the worker's own keep-alives.
   * Details the platform would refuse (more than 256 KiB of JSON, or not JSON) throw a
   * non-retryable `PayloadTooLarge` / `PayloadNotJson` ApplicationFailure here.
   */
  heartbeat(details?: unknown): void;
}

/** An activity: a named async function that does the side effects a workflow may not. */
export interface ActivityDefinition<I = unknown, O = unknown> {
  readonly kind: "activity";
  readonly name: string;
  /** Zod schema the worker parses the input with before calling `run`, if given. */
  readonly input: z.ZodType<I> | undefined;
  /** Default options of every call (per-call options override them). */
  readonly options: ActivityCallOptions | undefined;
  readonly run: (input: I, ctx: ActivityContext) => Promise<O>;
}

/**
 * Any activity definition, whatever its input and output types (what a worker's `activities` list
 * holds). `any` because `run` is contravariant in its input: `ActivityDefinition<string>` is not an
 * `ActivityDefinition<unknown>`, and the worker only ever passes it JSON it validated or the
 * workflow sent.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActivityDefinition = ActivityDefinition<any, any>;

/** What {@link defineActivity} takes. */
export interface ActivityDefinitionOptions<I, O> {
  name: string;
  input?: z.ZodType<I>;
  options?: ActivityCallOptions;
  run: (input: I, ctx: ActivityContext) => Promise<O>;
}

const DEFINITION_OPTIONS = optionNames({ name: true, input: true, options: true, run: true } satisfies Record<keyof ActivityDefinitionOptions<unknown, unknown>, true>);

/**
 * Defines an activity. Workflows call it with `ctx.executeActivity(def, input)`; workers run it
 * when they list it in `activities`. An unknown option, at the top (`startToCloseTimeout` belongs
 * in `options`), in `options` or in `options.retry`, is a `TypeError` naming it.
 * @example
 * export const greet = defineActivity({
 *   name: "greet",
 *   options: { startToCloseTimeout: "10s" },
 *   run: async (name: string) => `Hello, ${name}!`,
 * });
 */
export function defineActivity<I, O>(definition: ActivityDefinitionOptions<I, O>): ActivityDefinition<I, O> {
  if (!isName(definition.name)) {
    throw new TypeError(`activity name ${JSON.stringify(definition.name)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
  }
  const where = `defineActivity(${JSON.stringify(definition.name)})`;
  rejectUnknownOptions(definition, DEFINITION_OPTIONS, where);
  if (definition.options !== undefined) rejectUnknownActivityOptions(definition.options, `${where}.options`);
  if (typeof definition.run !== "function") throw new TypeError(`activity "${definition.name}": run must be an async function`);
  return Object.freeze({ kind: "activity", name: definition.name, input: definition.input, options: definition.options, run: definition.run });
}
