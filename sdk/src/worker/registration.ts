import { DEFINITION_OPTIONS, rejectUnknownOptions, scheduleDefinitionToWire } from "../client/schedule-wire.ts";
import { CreateScheduleRequest } from "../protocol/schedule.ts";
import type { RegisterWorkerRequest } from "../protocol/tasks.ts";
import type { ScheduleDefinition } from "../workflow/schedule.ts";
import type { ResolvedWorkerOptions } from "./options.ts";

/** A code-declared schedule in the wire's snake_case shape, as sent in the registration. */
export type WireSchedule = Record<string, unknown>;

/**
 * A code-declared {@link ScheduleDefinition} in the wire's snake_case shape, through the SDK's one
 * schedule mapping (`scheduleDefinitionToWire`, shared with `client.schedules`): `{ key,
 * cron_expressions, intervals, at, start_at, end_at, repeat_count, exclude, jitter_seconds,
 * timezone, input, policy: { catchup_window_seconds, overlap, retry_max, retry_delay_seconds,
 * on_failure } }`. Absent options are left out, so the platform's defaults apply (and a schedule
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
