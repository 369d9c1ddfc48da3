import { SundialApiError } from "../client/errors.ts";
import { rejectUnknownOptions } from "../client/options.ts";
import { DEFINITION_OPTIONS, scheduleDefinitionToWire } from "../client/schedule-wire.ts";
import { CreateScheduleRequest } from "../protocol/schedule.ts";
import { RegisterWorkerResponse, type RegisterWorkerRequest } from "../protocol/tasks.ts";
import { isShorthandSchedule } from "../workflow/define-workflow.ts";
import type { ScheduleDefinition } from "../workflow/schedule.ts";
import { sleep } from "../client/backoff.ts";
import type { WorkerApi } from "./api.ts";
import type { WorkerLogger } from "./logger.ts";
import type { ResolvedWorkerOptions } from "./options.ts";

/** A code-declared schedule in the wire's snake_case shape, as sent in the registration. */
export type WireSchedule = Record<string, unknown>;

/**
 * A code-declared {@link ScheduleDefinition} in the wire's snake_case shape, through the SDK's one
 * schedule mapping (`scheduleDefinitionToWire`, shared with `client.schedules`): `{ key,
 * cron_expressions, intervals, at, start_at, end_at, repeat_count, exclude, jitter_seconds,
 * timezone, input, policy: { catchup_window_seconds, overlap, retry_max, retry_delay_seconds,
 * on_failure }, note, paused }`. Absent options are left out, so the platform's defaults apply (and a schedule
 * without `key` gets `code-<index>`). The result is checked with the protocol's own
 * `CreateScheduleRequest`, so a bad time zone, interval or policy stops the worker at start-up with
 * the workflow, schedule and field named.
 * @example
 * toWireSchedule("report", { cronExpressions: ["0 0 * * *"], policy: { catchupWindow: "1d", overlap: "SKIP" } }, 0)
 * // { cron_expressions: ["0 0 * * *"], policy: { catchup_window_seconds: 86400, overlap: "SKIP" } }
 */
export function toWireSchedule(workflowName: string, schedule: ScheduleDefinition, index: number): WireSchedule {
  const where = `workflow "${workflowName}" schedules.${index}`;
  rejectUnknownOptions(schedule, DEFINITION_OPTIONS, where);
  const out: WireSchedule = scheduleDefinitionToWire(schedule, where);

  const checked = CreateScheduleRequest.safeParse({ workflow: workflowName, ...out });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = issue && issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
    throw new TypeError(`${where}${field}: ${issue?.message ?? "invalid schedule"}`);
  }
  return out;
}

/**
 * The registration a worker sends at start-up: its workflows (with their input JSON Schemas,
 * default execution timeouts and code-declared schedules in wire shape) and its activity names.
 * Built before anything is sent, so a malformed schedule stops the worker at start with the
 * workflow and field named.
 * @example
 * buildRegistration(resolveWorkerOptions({ url, apiKey, taskQueue: "default", workflows: [hello], activities: [greet] }))
 * // { task_queue: "default", identity: "host:123", workflows: [{ name: "hello", input_schema: {...}, execution_timeout: 3600, schedules: [] }], activities: ["greet"] }
 */
export function buildRegistration(options: ResolvedWorkerOptions): RegisterWorkerRequest {
  const workflows = [...options.workflows.values()].map((wf) => ({
    name: wf.name,
    ...(wf.inputJsonSchema === undefined ? {} : { input_schema: wf.inputJsonSchema }),
    execution_timeout: wf.executionTimeout,
    schedules: wf.schedules.map((s, i) => toWireSchedule(wf.name, s, i)),
  }));
  return {
    task_queue: options.taskQueue,
    identity: options.identity,
    ...(options.buildId === undefined ? {} : { build_id: options.buildId }),
    workflows,
    activities: [...options.activities.keys()],
  };
}

/** A workflow whose changed schedules declared in code the platform kept back, so they are not in effect. */
export interface ScheduleConflict {
  workflow: string;
  /** The ids of the schedules this worker declares for it (`{workflow}:code-<index>`). */
  scheduleIds: string[];
  /**
   * The platform's reason: which other build registered another definition, and how long ago; or
   * that this build registers the workflow on a task queue sorting first too, which keeps it.
   */
  message: string;
}

/** What `worker.ready` resolves to: the registration as the platform accepted it. */
export interface WorkerRegistration {
  /** Empty unless schedules declared in code were kept back (see {@link ScheduleConflict}). */
  conflicts: ScheduleConflict[];
}

/** The parts of the answer the worker reads; a platform (or stand-in) that leaves them out reports no conflict. */
const RegistrationAnswer = RegisterWorkerResponse.pick({ workflows: true, conflicts: true }).partial();

/**
 * Reads the platform's answer to a registration and warns, through the worker's logger, of each
 * workflow whose changed definition was kept back (its schedules declared in code, or, when it declares
 * none, its input schema, task queue and timeout): the developer's change is not in effect until the
 * workers of the other build (or task queue) stop registering theirs.
 * @example
 * readRegistration({ workflows: [{ name: "report", schedules: ["report:code-0"], applied: false }], conflicts: [{ workflow: "report", message: "build v2 declares…" }] }, logger)
 * // { conflicts: [{ workflow: "report", scheduleIds: ["report:code-0"], message: "build v2 declares…" }] }, and one warning
 */
export function readRegistration(answer: unknown, logger: WorkerLogger, warn = true): WorkerRegistration {
  const parsed = RegistrationAnswer.safeParse(answer);
  if (!parsed.success) {
    logger.warn("the platform's registration answer could not be read: schedule conflicts, if any, are not reported", { error: parsed.error.issues[0]?.message });
    return { conflicts: [] };
  }
  const conflicts = (parsed.data.conflicts ?? []).map((c) => ({
    workflow: c.workflow,
    scheduleIds: parsed.data.workflows?.find((w) => w.name === c.workflow)?.schedules ?? [],
    message: c.message,
  }));
  for (const c of warn ? conflicts : []) {
    logger.warn(`${keptBack(c.workflow, c.scheduleIds, "were", "was")} not applied: ${c.message}`, { workflow: c.workflow, schedule_ids: c.scheduleIds, reason: c.message });
  }
  return { conflicts };
}

/**
 * What a conflict keeps back, as the subject of the worker's warning: the schedules declared in
 * code, or, for a workflow that declares none, its definition (input schema, task queue, execution
 * timeout), which is then all a conflict keeps back.
 */
function keptBack(workflow: string, scheduleIds: string[], plural: string, singular: string): string {
  if (scheduleIds.length > 0) return `the schedules declared in code for workflow "${workflow}" (${scheduleIds.join(", ")}) ${plural}`;
  return `the definition of workflow "${workflow}" (its input schema, task queue and execution timeout; it declares no schedules in code) ${singular}`;
}

/**
 * A registration refused because a schedule's key is taken, when that schedule is a workflow's
 * `schedule:` shorthand (key "global", which it cannot change): the error says what to do then,
 * since the platform's "declare another key" cannot be followed with the shorthand.
 */
export function withShorthandHint(err: unknown, options: ResolvedWorkerOptions, registration: RegisterWorkerRequest): unknown {
  // Only when an API-created schedule holds the key (the platform's detail says which holds it).
  if (!(err instanceof SundialApiError) || err.code !== "schedule_key_taken" || !err.detail.includes("created through the API")) return err;
  const at = /^workflows\.(\d+)\.schedules\.(\d+)\.key$/.exec(err.field ?? "");
  const name = at ? registration.workflows[Number(at[1])]?.name : undefined;
  const def = name === undefined ? undefined : options.workflows.get(name);
  const schedule = def?.schedules[Number(at?.[2])];
  if (def === undefined || schedule === undefined || !isShorthandSchedule(schedule)) return err;
  err.message +=
    ` — workflow "${def.name}" declares it with the schedule shorthand (schedule: "${schedule.cronExpressions?.[0] ?? ""}"), its "global" schedule:` +
    ` delete the schedule created through the API for ${def.name} with key "global", or declare schedules: [{ cronExpressions: [...], key: "<another key>" }] instead of schedule`;
  return err;
}

/**
 * How long a worker waits before registering again: from 80 % to 100 % of `everyMs`, at random, so
 * a fleet started together does not register in lockstep, and never later than `everyMs` (at most
 * 9 minutes, inside the platform's 10-minute conflict window).
 */
export function refreshDelay(everyMs: number, random: () => number = Math.random): number {
  return Math.round(everyMs * (0.8 + 0.2 * random()));
}

/**
 * Registers again every `everyMs` (0: never, each wait {@link refreshDelay}) until `signal` aborts, so the platform knows this
 * build still runs: it keeps the schedules declared in code by a build that registers, and gives
 * them to another build only once this one has been silent for its conflict window (10 minutes).
 * A refusal (4xx) is logged and tried again at the next interval; a transient failure (unreachable,
 * 5xx, 429) is retried with backoff by `api.register`, as at start-up. A change in which
 * workflows' schedules are kept back is logged (warned when kept back, said when applied again).
 */
export async function refreshRegistration(api: Pick<WorkerApi, "register">, registration: RegisterWorkerRequest, everyMs: number, first: WorkerRegistration, logger: WorkerLogger, signal: AbortSignal): Promise<void> {
  // The kept-back workflows, with whether they declare schedules (what the messages call them).
  let kept = new Map(first.conflicts.map((c) => [c.workflow, c.scheduleIds.length > 0]));
  // A worker of activities only declares nothing that a build could hold: nothing to refresh.
  if (registration.workflows.length === 0) return;
  while (everyMs > 0 && !signal.aborted) {
    try {
      await sleep(refreshDelay(everyMs), signal);
      const answer = await api.register(registration, signal);
      const now = readRegistration(answer, logger, false);
      // An answer that could not be read (readRegistration warned) says nothing of what is kept back.
      if (!RegistrationAnswer.safeParse(answer).success) continue;
      for (const c of now.conflicts) if (!kept.has(c.workflow)) logger.warn(`${keptBack(c.workflow, c.scheduleIds, "are", "is")} kept back: ${c.message}`, { workflow: c.workflow, schedule_ids: c.scheduleIds, reason: c.message });
      const nowKept = new Map(now.conflicts.map((c) => [c.workflow, c.scheduleIds.length > 0]));
      for (const [workflow, hasSchedules] of kept) {
        if (nowKept.has(workflow)) continue;
        logger.info(hasSchedules ? `the schedules declared in code for workflow "${workflow}" are applied` : `the definition of workflow "${workflow}" is applied`, { workflow });
      }
      kept = nowKept;
    } catch (err) {
      if (signal.aborted) return;
      logger.warn("registering again failed; the worker goes on and tries again later", { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

