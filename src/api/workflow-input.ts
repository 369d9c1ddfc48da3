import { ValidationError, PayloadTooLargeError } from "../core/errors.ts";
import { validateJsonSchema, type JsonSchema } from "../core/json-schema.ts";
import { exceedsPayloadLimit, LIMITS } from "../core/limits.ts";
import { getWorkflowType, type WorkflowTypeRow } from "../index/workflow-types.ts";

/** Bounds a message payload (signal, query or update input) by LIMITS.maxPayloadBytes. */
export function checkPayloadSize(value: unknown, field: string): void {
  if (exceedsPayloadLimit(value)) throw new PayloadTooLargeError(`${field} is larger than ${LIMITS.maxPayloadBytes} bytes`, field);
}

/**
 * Checks a workflow input against its already-read registration (`type`, null when no worker
 * registered the workflow): its shape, when the worker gave an input JSON Schema. For callers that
 * read the registration together with other rows in one `db.batch`; call {@link checkPayloadSize}
 * first. Returns the workflow's registered default execution timeout, if any.
 */
export function checkInputAgainst(type: WorkflowTypeRow | null, workflow: string, input: unknown, field = "input"): { executionTimeout: number | null } {
  const found = { executionTimeout: type?.execution_timeout ?? null };
  if (!type?.input_schema) return found;
  const problem = validateJsonSchema(JSON.parse(type.input_schema) as JsonSchema, input === undefined ? null : input, undefined, field);
  if (problem) {
    throw new ValidationError(`${problem.path}: ${problem.message} (input schema of workflow ${workflow})`, { field: problem.path, code: "invalid_input" });
  }
  return found;
}

/**
 * Checks a workflow input before anything is written: its size, and — when a worker registered
 * the workflow with an input JSON Schema — its shape (a 422 naming the path now, not a failed run
 * at 3 am). `field` is where the input sits in the request (e.g. `input`). Returns the workflow's
 * registered default execution timeout, if any.
 */
export async function checkWorkflowInput(db: D1Database, namespace: string, workflow: string, input: unknown, field = "input"): Promise<{ executionTimeout: number | null }> {
  checkPayloadSize(input, field);
  return checkInputAgainst(await getWorkflowType(db, namespace, workflow), workflow, input, field);
}
