import { CreateScheduleRequest } from "@sundial/sdk/protocol";
import type { z } from "zod";
import { ConflictError, ValidationError } from "../core/errors.ts";
import { hash32 } from "../core/jitter.ts";
import { validateJsonSchema, type JsonSchema } from "../core/json-schema.ts";
import { compileSpec } from "../core/spec.ts";
import type { Env } from "../env.ts";
import { findByWorkflowKey, listCodeSchedules } from "../index/schedules.ts";
import { getWorkflowType, type WorkflowTypeRow } from "../index/workflow-types.ts";
import { scheduleStub } from "../objects/names.ts";
import { unwrap } from "../objects/rpc.ts";
import { parseWith } from "./validate.ts";

/** A registration that names a different definition from a different build this recently is a conflict. */
export const CONFLICT_WINDOW_MS = 10 * 60_000;

export interface CodeWorkflow {
  name: string;
  execution_timeout?: number | undefined;
  input_schema?: Record<string, unknown> | undefined;
  schedules: Record<string, unknown>[];
}

export interface RegistrationOutcome {
  workflow: string;
  schedules: string[];
  applied: boolean;
  conflict?: string;
}

/** Stable id of the i-th schedule declared on a workflow in code. */
export const codeScheduleId = (workflow: string, i: number) => `${workflow}:code-${i}`;

export function definitionHash(w: CodeWorkflow): string {
  return String(hash32(JSON.stringify(w.schedules)));
}

/**
 * Parses and checks every code-declared schedule before anything is written (422 naming
 * `workflows.N.schedules.M.field`).
 */
export function parseCodeSchedules(w: CodeWorkflow, index: number, taskQueue: string, now: number): z.output<typeof CreateScheduleRequest>[] {
  return w.schedules.map((raw, i) => {
    const prefix = ["workflows", index, "schedules", i];
    const defaults = { task_queue: taskQueue, ...(w.execution_timeout !== undefined ? { execution_timeout: w.execution_timeout } : {}) };
    const cmd = parseWith(CreateScheduleRequest, { ...defaults, key: `code-${i}`, ...raw, workflow: w.name }, prefix);
    try {
      compileSpec(cmd.spec, { createdAt: now });
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(`${prefix.join(".")}.${err.message}`, { field: `${prefix.join(".")}.${err.field ?? ""}`, code: err.code });
      throw err;
    }
    if (w.input_schema && cmd.input !== undefined) {
      const problem = validateJsonSchema(w.input_schema as JsonSchema, cmd.input, undefined, `${prefix.join(".")}.input`);
      if (problem) throw new ValidationError(`${problem.path}: ${problem.message}`, { field: problem.path, code: "invalid_input" });
    }
    return cmd;
  });
}

/**
 * Mistral's "schedules in code": upserts a workflow's declared schedules (stable ids per workflow +
 * index) and removes the ones a newer registration no longer declares. An unchanged definition is
 * left alone, so a worker restart never resets a schedule's catch-up position. Workers on different
 * builds declaring different definitions within CONFLICT_WINDOW_MS are reported, not applied: the
 * platform keeps the current definition instead of flapping between them.
 */
export async function applyCodeSchedules(
  env: Env,
  namespace: string,
  w: CodeWorkflow,
  cmds: z.output<typeof CreateScheduleRequest>[],
  previous: WorkflowTypeRow | null,
  buildId: string | null,
  now: number,
): Promise<RegistrationOutcome> {
  const hash = definitionHash(w);
  const ids = cmds.map((_, i) => codeScheduleId(w.name, i));
  if (previous && previous.definition_hash !== hash && previous.build_id && buildId && previous.build_id !== buildId && now - previous.updated_at < CONFLICT_WINDOW_MS) {
    return {
      workflow: w.name,
      schedules: ids,
      applied: false,
      conflict: `build ${buildId} declares different schedules for ${w.name} than build ${previous.build_id} registered ${Math.round((now - previous.updated_at) / 1000)}s ago; keeping the current definition until all workers agree`,
    };
  }
  const existing = await listCodeSchedules(env.DB, namespace, w.name);
  const unchanged = previous?.definition_hash === hash && ids.every((id) => existing.some((e) => e.schedule_id === id));
  if (!unchanged) {
    for (const [i, cmd] of cmds.entries()) {
      const holder = await findByWorkflowKey(env.DB, namespace, w.name, cmd.key);
      if (holder && holder.schedule_id !== ids[i]) {
        throw new ConflictError(`schedule key ${cmd.key} of workflow ${w.name} is already used by schedule ${holder.schedule_id}`, "schedule_key_taken", { field: `workflows.${w.name}.schedules.${i}.key` });
      }
    }
    for (const [i, cmd] of cmds.entries()) {
      unwrap(await scheduleStub(env, namespace, ids[i]!).upsert({ ...cmd, namespace, schedule_id: ids[i]!, source: "code" }));
    }
  }
  for (const e of existing) {
    if (!ids.includes(e.schedule_id)) unwrap(await scheduleStub(env, namespace, e.schedule_id).remove());
  }
  return { workflow: w.name, schedules: ids, applied: true };
}

export { getWorkflowType };
