import { hostname } from "node:os";
import type { AnyActivityDefinition } from "../workflow/define-activity.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import { toSeconds, type Duration } from "../workflow/duration.ts";
import { fromEnv } from "../client/http.ts";
import { optionNames, rejectUnknownOptions } from "../client/options.ts";
import { DEFAULT_TASK_QUEUE, isName } from "../protocol/execution.ts";
import { consoleWorkerLogger, type WorkerLogger } from "./logger.ts";

/**
 * Options of {@link runWorker}. An option it does not know (a typo such as `taskqueue` or
 * `apikey`, or the wire's snake_case name), here or in `backoff`, is a `TypeError`: dropped, it
 * would poll the `"default"` queue or fall back to `SUNDIAL_API_KEY` in silence.
 * @example
 * const options: WorkerOptions = { url: "http://127.0.0.1:8787", apiKey: "…", taskQueue: "default", workflows: [hello], activities: [greet] };
 */
export interface WorkerOptions {
  /** Base URL of the platform. Default: the `SUNDIAL_URL` environment variable. */
  url?: string;
  /** A `worker` (or `admin`) API key. Default: the `SUNDIAL_API_KEY` environment variable. */
  apiKey?: string;
  /**
   * The task queue this worker polls; every workflow it lists must use it. Default `"default"`
   * (not read from the environment: a client would not see the same variable). The worker
   * registers its workflows on it, and a start or API schedule of one of them that names no task
   * queue goes there (a workflow no worker registered goes to `"default"`). When workers of one
   * build register a workflow on several queues, the queue whose name sorts first is in charge
   * while workers poll it for the workflow: the others' registrations are kept back (a `conflicts`
   * entry), so the workflow's schedules do not move between queues at each refresh; a worker moved
   * to another queue takes it along once the old ones stopped polling (see "Schedules declared in
   * code" in the README).
   */
  taskQueue?: string;
  workflows?: readonly WorkflowDefinition[];
  activities?: readonly AnyActivityDefinition[];
  /** Most activity tasks running at once (default 10). */
  concurrency?: number;
  /** Most workflow tasks running at once, polled or handed back by a completion (default 10). */
  workflowConcurrency?: number;
  /** Concurrent workflow task polls (default 2, at most `workflowConcurrency`). */
  workflowPollers?: number;
  /** Concurrent activity task polls (default 2, at most `concurrency`). */
  activityPollers?: number;
  /** Names this worker in history and in the platform's views (default `hostname:pid`). */
  identity?: string;
  /**
   * Version of the worker's code, sent with the registration. Workers without one count as one
   * build of their own: their definition and a named build's are kept apart like any two builds'.
   */
  buildId?: string;
  /**
   * How often the worker registers again while it runs (default 5 minutes; 0: only at start-up,
   * at most 9 minutes). The platform keeps the schedules declared in code by the build still
   * registering them: a build whose workers stopped registering for 10 minutes gives way to
   * another's, and a stale worker of an old build restarting meanwhile changes nothing (see
   * "Schedules declared in code" in the README).
   */
  registrationRefresh?: Duration;
  /** Aborting it shuts the worker down gracefully (like SIGTERM). */
  signal?: AbortSignal;
  /** Shut down gracefully on SIGINT and SIGTERM (a second signal skips the grace period). Default true. */
  handleSignals?: boolean;
  /** How long in-flight tasks may finish after shutdown starts (default 10 s). */
  shutdownGrace?: Duration;
  /** Runs whose workflow state stays cached between tasks (default 500; 0 = always replay). */
  maxCachedWorkflows?: number;
  /**
   * Eager dispatch (default true): completions offer the slots free at that moment, and the
   * platform hands the tasks they cause on this queue straight back (activities a workflow task
   * schedules, the workflow task an activity result causes) instead of queueing them for a poll.
   */
  eagerDispatch?: boolean;
  /** Default: one console line per event. */
  logger?: WorkerLogger;
  /** Poll hold requested from the platform, seconds, 1-60 (default: the platform's, 30 s, which is also its most). */
  pollWaitSeconds?: number;
  /** Backoff after transient HTTP errors: first delay and cap, ms (default 200 ms and 10 s). */
  backoff?: WorkerBackoffOptions;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

/** {@link WorkerOptions.backoff}: first delay and cap of the backoff after transient HTTP errors, ms. */
export interface WorkerBackoffOptions {
  /** The first delay (default 200 ms), doubling (with jitter) after each failure in a row; 1 ms to 1 hour. */
  initialMs?: number;
  /** The longest delay (default 10 s); 1 ms to 1 hour. */
  maxMs?: number;
}

/**
 * The names of {@link WorkerOptions}, checked as the client checks its options: written against the
 * type (`satisfies`), so an option added to one and not the other is a compile error.
 */
const WORKER_OPTIONS = optionNames({
  url: true,
  apiKey: true,
  taskQueue: true,
  workflows: true,
  activities: true,
  concurrency: true,
  workflowConcurrency: true,
  workflowPollers: true,
  activityPollers: true,
  identity: true,
  buildId: true,
  registrationRefresh: true,
  signal: true,
  handleSignals: true,
  shutdownGrace: true,
  maxCachedWorkflows: true,
  eagerDispatch: true,
  logger: true,
  pollWaitSeconds: true,
  backoff: true,
  fetch: true,
} satisfies Record<keyof WorkerOptions, true>);

const BACKOFF_OPTIONS = optionNames({ initialMs: true, maxMs: true } satisfies Record<keyof WorkerBackoffOptions, true>);

/** {@link WorkerOptions} with every default filled in and every value checked. */
export interface ResolvedWorkerOptions {
  url: string;
  apiKey: string;
  taskQueue: string;
  workflows: Map<string, WorkflowDefinition>;
  activities: Map<string, AnyActivityDefinition>;
  concurrency: number;
  workflowConcurrency: number;
  workflowPollers: number;
  activityPollers: number;
  identity: string;
  buildId: string | undefined;
  registrationRefreshMs: number;
  signal: AbortSignal | undefined;
  handleSignals: boolean;
  shutdownGraceMs: number;
  maxCachedWorkflows: number;
  eagerDispatch: boolean;
  logger: WorkerLogger;
  pollWaitSeconds: number | undefined;
  backoff: { initialMs: number; maxMs: number };
  fetch: typeof fetch | undefined;
}

function positiveInt(value: number | undefined, fallback: number, what: string, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer ≥ ${min}, got ${value}`);
  return v;
}

/** An optional number within [min, max] (the platform's own bounds), checked before anything touches the network. */
function inRange(value: number | undefined, min: number, max: number, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) throw new RangeError(`${what} must be a number from ${min} to ${max}, got ${value}`);
  return value;
}

/**
 * A worker's `workflows` or `activities` by name: each a definition of that kind (an activity
 * listed as a workflow would be registered as a workflow type no worker can run; a bare function
 * has no definition), and no two by one name.
 */
function byName<T extends { kind: string; name: string }>(items: readonly T[], what: "workflow" | "activity"): Map<string, T> {
  const list = what === "workflow" ? "workflows" : "activities";
  if (!Array.isArray(items)) throw new TypeError(`${list}: expected a list of definitions, got ${describe(items)}`);
  const map = new Map<string, T>();
  items.forEach((item: unknown, i) => {
    const kind = typeof item === "object" && item !== null ? (item as { kind?: unknown }).kind : undefined;
    if (kind !== what) {
      const other = kind === "workflow" ? "workflows" : "activities";
      if (kind === "workflow" || kind === "activity") throw new TypeError(`${list}.${i}: "${(item as T).name}" is ${kind === "activity" ? "an activity" : "a workflow"} definition, not ${what === "activity" ? "an activity" : "a workflow"} (list it in ${other})`);
      throw new TypeError(`${list}.${i}: expected ${what === "activity" ? "an activity" : "a workflow"} definition (made with define${what === "activity" ? "Activity" : "Workflow"}), got ${describe(item)}`);
    }
    const def = item as T;
    if (map.has(def.name)) throw new TypeError(`two ${what} definitions are named "${def.name}": names must be unique per worker`);
    map.set(def.name, def);
  });
  return map;
}

/** What a value is, for an error message: `a function`, `an object`, `undefined`, `"text"`. */
function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) return "an object";
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * The registration refresh in ms: 0 (off) or 1 s to 9 minutes, so a build whose workers run
 * registers well within the platform's 10-minute conflict window.
 */
function registrationRefreshMs(value: Duration | undefined): number {
  const seconds = toSeconds(value ?? 300, "registrationRefresh");
  if (seconds !== 0 && (seconds < 1 || seconds > 540)) throw new RangeError(`registrationRefresh must be 0 (off) or from 1 s to 9 minutes, got ${seconds} s`);
  return seconds * 1000;
}

/** Fills in defaults and rejects inconsistent options before anything touches the network. */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (typeof options !== "object" || options === null) throw new TypeError(`runWorker takes an options object, got ${String(options)}`);
  rejectUnknownOptions(options, WORKER_OPTIONS, "");
  if (options.backoff !== undefined) {
    if (typeof options.backoff !== "object" || options.backoff === null) throw new TypeError(`backoff must be an object { initialMs?, maxMs? }, got ${JSON.stringify(options.backoff)}`);
    rejectUnknownOptions(options.backoff, BACKOFF_OPTIONS, "backoff");
  }
  const url = options.url ?? fromEnv("SUNDIAL_URL");
  const apiKey = options.apiKey ?? fromEnv("SUNDIAL_API_KEY");
  if (!url) throw new TypeError("url is required (or set SUNDIAL_URL), e.g. http://127.0.0.1:8787");
  if (!apiKey) throw new TypeError("apiKey is required (or set SUNDIAL_API_KEY)");
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  if (typeof taskQueue !== "string" || !isName(taskQueue)) throw new TypeError(`taskQueue ${JSON.stringify(taskQueue)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
  const workflows = byName(options.workflows ?? [], "workflow");
  // The workflows' own activities join the worker's; one the worker lists by the same name wins (a test's stub, say).
  // Two workflows bringing different definitions under one name, which the worker does not settle, is an error.
  const activities = byName(options.activities ?? [], "activity");
  const broughtBy = new Map<string, string>();
  for (const wf of workflows.values()) {
    for (const a of wf.activities ?? []) {
      const listed = activities.get(a.name);
      if (listed && broughtBy.has(a.name) && listed !== a) {
        throw new TypeError(`workflows "${broughtBy.get(a.name)}" and "${wf.name}" bring two activity definitions named "${a.name}": names must be unique per worker (or list the one to run in the worker's activities)`);
      }
      if (listed) continue;
      activities.set(a.name, a);
      broughtBy.set(a.name, wf.name);
    }
  }
  if (workflows.size === 0 && activities.size === 0) throw new TypeError("a worker needs at least one workflow or activity");
  for (const wf of workflows.values()) {
    if (wf.taskQueue !== undefined && wf.taskQueue !== taskQueue) {
      throw new TypeError(`workflow "${wf.name}" declares taskQueue "${wf.taskQueue}" but this worker polls "${taskQueue}": run a worker for that queue`);
    }
  }
  const concurrency = positiveInt(options.concurrency, 10, "concurrency");
  const workflowConcurrency = positiveInt(options.workflowConcurrency, 10, "workflowConcurrency");
  return {
    url,
    apiKey,
    taskQueue,
    workflows,
    activities,
    concurrency,
    workflowConcurrency,
    workflowPollers: workflows.size === 0 ? 0 : Math.min(workflowConcurrency, positiveInt(options.workflowPollers, 2, "workflowPollers")),
    activityPollers: activities.size === 0 ? 0 : Math.min(concurrency, positiveInt(options.activityPollers, 2, "activityPollers")),
    identity: (options.identity ?? `${hostname()}:${process.pid}`).slice(0, 200),
    buildId: options.buildId,
    registrationRefreshMs: registrationRefreshMs(options.registrationRefresh),
    signal: options.signal,
    handleSignals: options.handleSignals ?? true,
    shutdownGraceMs: toSeconds(options.shutdownGrace ?? 10, "shutdownGrace") * 1000,
    maxCachedWorkflows: positiveInt(options.maxCachedWorkflows, 500, "maxCachedWorkflows", 0),
    eagerDispatch: options.eagerDispatch ?? true,
    logger: options.logger ?? consoleWorkerLogger,
    pollWaitSeconds: inRange(options.pollWaitSeconds, 1, 60, "pollWaitSeconds"),
    backoff: { initialMs: inRange(options.backoff?.initialMs, 1, 3_600_000, "backoff.initialMs") ?? 200, maxMs: inRange(options.backoff?.maxMs, 1, 3_600_000, "backoff.maxMs") ?? 10_000 },
    fetch: options.fetch,
  };
}
