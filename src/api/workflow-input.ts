import { DEFAULT_TASK_QUEUE, type Command, type Failure } from "@sundial/sdk/protocol";
import type { ChildStartCheck } from "../core/execution/children.ts";
import { ValidationError, PayloadTooLargeError } from "../core/errors.ts";
import { validateJsonSchema, type JsonSchema } from "../core/json-schema.ts";
import { exceedsPayloadLimit, LIMITS } from "../core/limits.ts";
import { getWorkflowType, type WorkflowTypeRow } from "../index/workflow-types.ts";
import { clock } from "../clock.ts";
import { IsolateCache } from "./isolate-cache.ts";

/**
 * How long an isolate uses a workflow's registration (input schema, default execution timeout, task queue)
 * it has read before it reads it again. A registration that changes reaches starts in the isolate
 * that received it at once, and starts in other isolates (once deployed) at most this long later;
 * a workflow registered for the first time is seen at once everywhere (only registrations that
 * exist are remembered).
 */
export const REGISTRATION_CACHE_TTL_MS = 10_000;

const registrations = new IsolateCache<WorkflowTypeRow>(REGISTRATION_CACHE_TTL_MS, 1_000);
const registrationKey = (namespace: string, workflow: string) => `${namespace}\u0000${workflow}`;

/** A workflow's registration changed (a worker registered it): this isolate reads it again from the next start on. */
export function forgetRegistration(namespace: string, workflow: string): void {
  registrations.forget(registrationKey(namespace, workflow));
}

/** The workflow's registration (null: no worker registered it), from this isolate's memory when it read it less than the TTL ago. */
async function registration(db: D1Database, namespace: string, workflow: string): Promise<WorkflowTypeRow | null> {
  const cached = registrations.get(registrationKey(namespace, workflow), clock.now());
  return cached ?? readRegistration(namespace, workflow, () => getWorkflowType(db, namespace, workflow), (row) => row);
}

/**
 * Reads a registration through `read` (which may read other rows with it: a schedule create does)
 * and remembers it, so every path in this isolate judges inputs by the same registration.
 */
export async function readRegistration<T>(namespace: string, workflow: string, read: () => Promise<T>, typeOf: (t: T) => WorkflowTypeRow | null): Promise<T> {
  const now = clock.now();
  const mark = registrations.mark();
  const result = await read();
  const row = typeOf(result);
  if (row) registrations.set(registrationKey(namespace, workflow), row, now, mark);
  return result;
}

/** Bounds a message payload (signal, query or update input) by LIMITS.maxPayloadBytes. */
export function checkPayloadSize(value: unknown, field: string): void {
  if (exceedsPayloadLimit(value)) throw new PayloadTooLargeError(`${field} is larger than ${LIMITS.maxPayloadBytes} bytes`, field);
}

/**
 * Checks a workflow input against its already-read registration (`type`, null when no worker
 * registered the workflow): its shape, when the worker gave an input JSON Schema. For callers that
 * read the registration together with other rows in one `db.batch`; call {@link checkPayloadSize}
 * first. Returns the workflow's registered defaults: its execution timeout and the task queue it
 * was registered on, if any.
 */
export function checkInputAgainst(type: WorkflowTypeRow | null, workflow: string, input: unknown, field = "input"): RegisteredDefaults {
  const problem = inputProblem(type, workflow, input, field);
  if (problem) throw new ValidationError(problem.message, { field: problem.path, code: "invalid_input" });
  return { executionTimeout: type?.execution_timeout ?? null, taskQueue: type?.task_queue ?? DEFAULT_TASK_QUEUE };
}

/** What a start or a schedule create that does not say takes from the workflow's registration. */
export interface RegisteredDefaults {
  executionTimeout: number | null;
  /** The queue the workflow was registered on; `default` for a workflow no worker registered. */
  taskQueue: string;
}

/** Why the registration `type` refuses `input` (its path from `field`, and a message naming the workflow), or null. */
function inputProblem(type: WorkflowTypeRow | null, workflow: string, input: unknown, field: string): { path: string; message: string } | null {
  if (!type?.input_schema) return null;
  const problem = validateJsonSchema(JSON.parse(type.input_schema) as JsonSchema, input === undefined ? null : input, undefined, field);
  return problem ? { path: problem.path, message: `${problem.path}: ${problem.message} (input schema of workflow ${workflow})` } : null;
}

/**
 * Checks a workflow input before anything is written: its size, and — when a worker registered
 * the workflow with an input JSON Schema — its shape (a 422 naming the path now, not a failed run
 * at 3 am). `field` is where the input sits in the request (e.g. `input`). Returns the workflow's
 * registered defaults (execution timeout, task queue), if any.
 */
export async function checkWorkflowInput(db: D1Database, namespace: string, workflow: string, input: unknown, field = "input"): Promise<RegisteredDefaults> {
  checkPayloadSize(input, field);
  return checkInputAgainst(await registration(db, namespace, workflow), workflow, input, field);
}

/**
 * Checks the inputs of the runs a workflow task's commands would start — a child
 * (`start_child_workflow`) and the next run (`continue_as_new`, of the current workflow, which
 * `currentWorkflow` names and is asked only if needed) — as a REST start's: against the workflow's
 * registered input JSON Schema, if any. A refused continue-as-new refuses the completion (a 422
 * `invalid_input` whose field is `commands.N.input…`: the run goes on as it was). A refused child
 * is returned instead (Temporal's StartChildWorkflowExecutionFailed): the completion goes ahead
 * and records that child's start as failed (`InvalidInput`, `details.field` its path from
 * `input`), so the parent's code learns it and the task is not retried forever on an input only
 * the code can change. An accepted child is returned with its workflow's registered task queue
 * and execution timeout, which it takes when its command names none. Sizes are left to the
 * completion, which bounds every command payload.
 */
export async function checkCommandInputs(db: D1Database, namespace: string, commands: readonly Command[], currentWorkflow: () => Promise<string>): Promise<ChildStartCheck[]> {
  const starts: { i: number; seq: number | null; workflow: Promise<string> | string; input: unknown }[] = [];
  let current: Promise<string> | undefined;
  for (const [i, c] of commands.entries()) {
    if (c.type === "start_child_workflow") starts.push({ i, seq: c.seq, workflow: c.workflow, input: c.input });
    else if (c.type === "continue_as_new") starts.push({ i, seq: null, workflow: (current ??= currentWorkflow()), input: c.input });
  }
  if (starts.length === 0) return [];
  const names = await Promise.all(starts.map((s) => s.workflow));
  // One read per workflow, however many children of it the task starts.
  const types = new Map(await Promise.all([...new Set(names)].map(async (w) => [w, await registration(db, namespace, w)] as const)));
  const children: ChildStartCheck[] = [];
  starts.forEach((s, k) => {
    const type = types.get(names[k]!) ?? null;
    if (s.seq === null) {
      checkInputAgainst(type, names[k]!, s.input, `commands.${s.i}.input`);
      return;
    }
    const problem = inputProblem(type, names[k]!, s.input, "input");
    children.push(problem ? { seq: s.seq, failure: childInputFailure(problem) } : { seq: s.seq, taskQueue: type?.task_queue ?? null, executionTimeout: type?.execution_timeout ?? null });
  });
  return children;
}

/** The failure a child's refused input records as its start's. */
function childInputFailure(problem: { path: string; message: string }): Failure {
  return { message: `child input refused: ${problem.message}`, type: "InvalidInput", non_retryable: true, details: { field: problem.path } };
}
