import type { z } from "zod";
import { optionNames, rejectUnknownOptions } from "../client/options.ts";
import { isName } from "../protocol/execution.ts";
import type { AnyActivityDefinition } from "./define-activity.ts";
import type { WorkflowContext } from "./context.ts";
import { toSeconds, type Duration } from "./duration.ts";
import { checkInputSchema, inputJsonSchema, parseInput } from "./input-schema.ts";
import type { ScheduleDefinition } from "./schedule.ts";

/** The seeds' default execution timeout: one hour. */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3_600;

/** Polos' one-schedule shorthand: a cron expression (UTC), or a cron expression and its time zone. */
export type ScheduleShorthand = string | { cron: string; timezone?: string };

/**
 * A workflow type. `I` is what callers send (the schema's input side), `O` what `run` returns.
 */
export interface WorkflowDefinition<I = unknown, O = unknown> {
  readonly kind: "workflow";
  readonly name: string;
  /** The zod input schema, if one was given. */
  readonly input: z.ZodType | undefined;
  /** JSON Schema of the input, registered with the platform (undefined without a schema). */
  readonly inputJsonSchema: Record<string, unknown> | undefined;
  /** Seconds; default 3600. */
  readonly executionTimeout: number;
  /** Default task queue for starts and schedules of this workflow. */
  readonly taskQueue: string | undefined;
  readonly schedules: readonly ScheduleDefinition<I>[];
  /** Activities this workflow calls, run by every worker that runs the workflow. */
  readonly activities: readonly AnyActivityDefinition[];
  /** Parses `rawInput` with the schema (if any) and runs the workflow. Used by the runtime. */
  readonly execute: (ctx: WorkflowContext, rawInput: unknown) => Promise<O>;
}

/** Options common to both forms of {@link defineWorkflow}. */
interface WorkflowOptionsBase {
  /** 1-200 letters, digits and `. _ : -`. */
  name: string;
  /** Total wall-clock limit of a run ("1h", "7d" or seconds). Default 1 hour. */
  executionTimeout?: Duration;
  taskQueue?: string;
  /**
   * One schedule declared in code, Polos' way: `"0 9 * * *"` (UTC) or
   * `{ cron: "0 17 * * *", timezone: "America/New_York" }`; the same as
   * `schedules: [{ cronExpressions: [cron], timezone, key: "global" }]`, the workflow's one
   * system-wide schedule. `true` ("can be scheduled via the API")
   * declares nothing: every workflow can be scheduled over the API. Not together with `schedules`.
   */
  schedule?: ScheduleShorthand | boolean;
  /**
   * Activities this workflow calls. A worker running the workflow registers and runs them too, so
   * `runWorker({ workflows: [w] })` is enough (the Mistral seed's `run_worker([MyWorkflow])`);
   * runWorker's own `activities` add to them.
   */
  activities?: AnyActivityDefinition[];
}

/** Every option {@link defineWorkflow} takes, in either form. */
type WorkflowDefinitionOptions = WorkflowOptionsBase & { input?: z.ZodType; schedules?: ScheduleDefinition[]; run: (ctx: WorkflowContext, input: unknown) => Promise<unknown> };

const DEFINITION_OPTIONS = optionNames({ name: true, executionTimeout: true, taskQueue: true, schedule: true, activities: true, input: true, schedules: true, run: true } satisfies Record<keyof WorkflowDefinitionOptions, true>);

/**
 * Defines a workflow. With an `input` zod schema the input is validated (by the platform at start
 * time, and again by the worker) and its JSON Schema is registered; unions must be unions of object
 * schemas (optionally with null), tried in order, the first match wins. An unknown option (a
 * misspelt `executionTimeout`, the wire's `execution_timeout`) is a `TypeError` naming it.
 * @example
 * export const hello = defineWorkflow({
 *   name: "hello",
 *   input: z.object({ name: z.string() }),
 *   schedules: [{ cronExpressions: ["0 9 * * *"], timezone: "Europe/Paris", input: { name: "world" } }],
 *   run: async (ctx, { name }) => {
 *     const greeting = await ctx.executeActivity(greet, name);
 *     await ctx.sleep("1s");
 *     return greeting;
 *   },
 * });
 */
export function defineWorkflow<S extends z.ZodType, O>(
  options: WorkflowOptionsBase & { input: S; schedules?: ScheduleDefinition<z.input<S>>[]; run: (ctx: WorkflowContext, input: z.output<S>) => Promise<O> },
): WorkflowDefinition<z.input<S>, O>;
export function defineWorkflow<I = unknown, O = unknown>(
  options: WorkflowOptionsBase & { input?: undefined; schedules?: ScheduleDefinition<I>[]; run: (ctx: WorkflowContext, input: I) => Promise<O> },
): WorkflowDefinition<I, O>;
export function defineWorkflow(options: WorkflowDefinitionOptions): WorkflowDefinition {
  const { name, input, run } = options;
  if (!isName(name)) {
    throw new TypeError(`workflow name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
  }
  rejectUnknownOptions(options, DEFINITION_OPTIONS, `defineWorkflow(${JSON.stringify(name)})`);
  checkActivities(name, options.activities);
  if (typeof run !== "function") throw new TypeError(`workflow "${name}": run must be an async function`);
  if (input !== undefined) checkInputSchema(name, input);
  const executionTimeout = toSeconds(options.executionTimeout ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS, `workflow "${name}" executionTimeout`);
  if (executionTimeout < 1) throw new TypeError(`workflow "${name}" executionTimeout: must be at least 1 second`);
  const shorthand = scheduleShorthand(name, options.schedule, options.schedules !== undefined && options.schedules.length > 0);
  for (const s of shorthand) SHORTHAND_SCHEDULES.add(s);
  const schedules = [...shorthand, ...(options.schedules ?? [])];
  checkScheduleKeys(name, schedules);
  return Object.freeze({
    kind: "workflow",
    name,
    input,
    inputJsonSchema: input === undefined ? undefined : inputJsonSchema(input),
    executionTimeout,
    taskQueue: options.taskQueue,
    schedules: Object.freeze([...schedules]),
    activities: Object.freeze([...(options.activities ?? [])]),
    execute: async (ctx: WorkflowContext, rawInput: unknown) => {
      // Parsing happens inside the run's promise so a bad input fails the run, not the worker.
      const parsed = input === undefined ? rawInput : parseInput(name, input, rawInput);
      return run(ctx, parsed);
    },
  });
}

/** A workflow's `activities`: a list of activity definitions, each registered and run by its workers. */
function checkActivities(workflowName: string, activities: unknown): void {
  if (activities === undefined) return;
  const where = `defineWorkflow(${JSON.stringify(workflowName)}).activities`;
  if (!Array.isArray(activities)) throw new TypeError(`${where}: expected a list of activity definitions, got ${typeof activities === "object" ? "an object" : String(activities)}`);
  activities.forEach((a: unknown, i) => {
    if (typeof a === "object" && a !== null && (a as { kind?: unknown }).kind === "activity") return;
    const got = typeof a === "function" ? "a function" : typeof a === "object" && a !== null && (a as { kind?: unknown }).kind === "workflow" ? `the workflow ${JSON.stringify((a as { name?: unknown }).name)}` : String(a);
    throw new TypeError(`${where}.${i}: expected an activity definition (made with defineActivity), got ${got}`);
  });
}

/**
 * The shorthand's key: Polos' schedule in the decorator is the workflow's one system-wide schedule,
 * key "global" (its API's default key), so an API create of (workflow, "global") meets it (a 409
 * schedule_key_taken: the pair belongs to the code) instead of making a second global schedule.
 */
const GLOBAL_KEY = "global";

/** The schedules the shorthand made (a registration refused for one of them says so: see registration.ts). */
const SHORTHAND_SCHEDULES = new WeakSet<ScheduleDefinition>();

/** Whether `schedule` is the one a workflow's `schedule:` shorthand declared. */
export function isShorthandSchedule(schedule: ScheduleDefinition): boolean {
  return SHORTHAND_SCHEDULES.has(schedule);
}

function scheduleShorthand(workflowName: string, s: ScheduleShorthand | boolean | undefined, hasSchedules: boolean): ScheduleDefinition[] {
  if (s === undefined || typeof s === "boolean") return [];
  const where = `workflow "${workflowName}" schedule`;
  if (hasSchedules) throw new TypeError(`${where}: give either schedule or schedules, not both`);
  if (typeof s === "string") {
    if (s.trim() === "") throw new TypeError(`${where}: the cron expression is empty`);
    return [{ cronExpressions: [s], key: GLOBAL_KEY }];
  }
  if (typeof s !== "object" || s === null || typeof s.cron !== "string" || s.cron.trim() === "") {
    throw new TypeError(`${where}: must be a cron expression, { cron, timezone } or true, got ${JSON.stringify(s)}`);
  }
  const extra = Object.keys(s).filter((k) => k !== "cron" && k !== "timezone");
  if (extra.length > 0) throw new TypeError(`${where}: unknown field ${extra[0]} (only cron and timezone; use schedules for more)`);
  if (s.timezone !== undefined && typeof s.timezone !== "string") throw new TypeError(`${where}.timezone: must be an IANA time zone name`);
  return [{ cronExpressions: [s.cron], ...(s.timezone !== undefined ? { timezone: s.timezone } : {}), key: GLOBAL_KEY }];
}


/**
 * Schedules are upserted by (workflow, key): two declarations with one key would overwrite each
 * other. A schedule without a key gets `code-<position>` from the platform.
 */
function checkScheduleKeys(workflowName: string, schedules: readonly ScheduleDefinition[]): void {
  const seen = new Set<string>();
  schedules.forEach((s, i) => {
    const key = s.key ?? `code-${i}`;
    if (seen.has(key)) {
      throw new TypeError(`workflow "${workflowName}" declares more than one schedule with key "${key}": give each schedule a distinct key`);
    }
    seen.add(key);
  });
}
