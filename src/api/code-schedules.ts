import { CreateScheduleRequest } from "@sundial/sdk/protocol";
import type { z } from "zod";
import { canonicalJson } from "../core/canonical-json.ts";
import { codeScheduleClaims, type ClaimVerdict, type CodeClaim, type IndexTriple } from "../core/code-schedule-claims.ts";
import { ConflictError, SundialError, ValidationError } from "../core/errors.ts";
import { hash32 } from "../core/jitter.ts";
import { validateJsonSchema, type JsonSchema } from "../core/json-schema.ts";
import type { Env } from "../env.ts";
import { claimCodeSchedules, releaseCodeClaims, type ClaimRequest } from "../index/code-schedule-claims.ts";
import { listCodeSchedules } from "../index/schedules.ts";
import { getWorkflowType, type WorkflowTypeRow } from "../index/workflow-types.ts";
import { scheduleStub, taskQueueStub } from "../objects/names.ts";
import { unwrap } from "../objects/rpc.ts";
import { isD1Error } from "./problem.ts";
import { compileChecked } from "./spec-bounds.ts";
import { parseWith } from "./validate.ts";
import { checkPayloadSize } from "./workflow-input.ts";

/**
 * A registration that names a different definition from a different build this recently is a
 * conflict, and so is one of the same build from a task queue sorting after the recorded one.
 */
export const CONFLICT_WINDOW_MS = 10 * 60_000;

/** A declared schedule, parsed: a create's command with the worker's task queue unless it names one. */
export type CodeScheduleCommand = z.output<typeof CreateScheduleRequest> & { task_queue: string };

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

/**
 * The definition hash of a workflow type whose registration is under way: its schedules are being
 * removed and written, and it is recorded once they all are. No registration reads it as unchanged.
 */
export const PENDING_DEFINITION = "pending";

/** Stable id of the i-th schedule declared on a workflow in code. */
export const codeScheduleId = (workflow: string, i: number) => `${workflow}:code-${i}`;

/**
 * What a registration compares with the last one to decide whether anything changed, and what
 * builds must agree on: the parsed commands it would upsert (the worker's task queue and the
 * workflow's execution timeout filled in as their defaults) and the workflow's own input schema,
 * task queue and timeout, so a workflow without schedules has a definition too and two builds
 * with different input schemas are a conflict rather than overwriting each other at every refresh.
 */
export function definitionHash(w: CodeWorkflow, taskQueue: string, cmds: CodeScheduleCommand[]): string {
  return String(hash32(canonicalJson(definitionOf(w, taskQueue, cmds))));
}

/**
 * What {@link definitionHash} hashes. Its JSON is canonical (keys sorted): two builds declaring the
 * same input or input schema with their keys written in another order declare the same definition,
 * not a conflict (nor a change that re-applies the schedules, reverting edits made by id).
 */
const definitionOf = (w: CodeWorkflow, taskQueue: string, cmds: CodeScheduleCommand[]) => ({ schedules: cmds, input_schema: w.input_schema ?? null, task_queue: taskQueue, execution_timeout: w.execution_timeout ?? null });

/**
 * The definition `previous` records, in {@link definitionHash}'s terms. A row recorded before the
 * hash was canonical holds the hash of the same JSON with its keys in the order written: the same
 * definition when it is this registration's. A row recorded before that
 * hash covered the input schema, task queue and timeout holds the hash of the parsed commands
 * alone: when it is this registration's commands' and the row's own columns are what it declares,
 * it is the same definition, so an upgrade neither reports two builds declaring the same thing as
 * a conflict nor re-applies (and so reverts updates made by id to) unchanged code schedules.
 */
function recordedHash(previous: WorkflowTypeRow, w: CodeWorkflow, taskQueue: string, cmds: CodeScheduleCommand[], hash: string): string {
  // Recorded before the hash was canonical (2026-12-08): the same definition's keys in the order written.
  if (previous.definition_hash === String(hash32(JSON.stringify(definitionOf(w, taskQueue, cmds))))) return hash;
  const legacy = String(hash32(JSON.stringify(cmds)));
  const sameType =
    previous.task_queue === taskQueue &&
    (previous.execution_timeout ?? null) === (w.execution_timeout ?? null) &&
    previous.input_schema === (w.input_schema === undefined ? null : JSON.stringify(w.input_schema));
  return previous.definition_hash === legacy && sameType ? hash : previous.definition_hash;
}

/**
 * Parses and checks every code-declared schedule before anything is written (422 naming
 * `workflows.N.schedules.M.field`).
 */
export function parseCodeSchedules(w: CodeWorkflow, index: number, taskQueue: string, now: number): CodeScheduleCommand[] {
  const cmds = w.schedules.map((raw, i) => {
    const prefix = ["workflows", index, "schedules", i];
    checkSuppliedFields(raw, w.name, codeScheduleId(w.name, i), prefix.join("."));
    const defaults = w.execution_timeout !== undefined ? { execution_timeout: w.execution_timeout } : {};
    const cmd = parseWith(CreateScheduleRequest, { ...defaults, key: `code-${i}`, ...raw, workflow: w.name }, prefix);
    try {
      compileChecked(cmd.spec, now, now, raw);
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(`${prefix.join(".")}.${err.message}`, { field: `${prefix.join(".")}.${err.field ?? ""}`, code: err.code });
      throw err;
    }
    // The same 413 a REST create answers: each fire would start a run with this input.
    checkPayloadSize(cmd.input, `${prefix.join(".")}.input`);
    // A schedule without input starts runs with null, checked as the API's create checks it: a
    // schema that needs fields is a 422 at start-up, not a run failing at its first fire.
    if (w.input_schema) {
      const problem = validateJsonSchema(w.input_schema as JsonSchema, cmd.input === undefined ? null : cmd.input, undefined, `${prefix.join(".")}.input`);
      if (problem) throw new ValidationError(`${problem.path}: ${problem.message}`, { field: problem.path, code: "invalid_input" });
    }
    // The worker's task queue unless the schedule names one.
    return { ...cmd, task_queue: cmd.task_queue ?? taskQueue };
  });
  // (workflow, key) is unique: two declared schedules sharing a key would each get an object while
  // the index could hold only one of them.
  for (const [i, cmd] of cmds.entries()) {
    const first = cmds.findIndex((c) => c.key === cmd.key);
    if (first !== i) throw new ValidationError(`workflows.${index}.schedules.${i}.key: ${cmd.key} is already the key of schedules.${first}`, { field: `workflows.${index}.schedules.${i}.key`, code: "duplicate_key" });
  }
  return cmds;
}

/**
 * A declared schedule's id and workflow are the registration's to give: one that names another is a
 * 422 rather than a schedule created under a name it did not ask for (the SDK never sends them).
 */
function checkSuppliedFields(raw: Record<string, unknown>, workflow: string, id: string, path: string) {
  if (raw.schedule_id !== undefined && raw.schedule_id !== id) {
    throw new ValidationError(`${path}.schedule_id: a schedule declared in code is ${id}, by its workflow and its place in the list; leave schedule_id out`, { field: `${path}.schedule_id` });
  }
  if (raw.workflow !== undefined && raw.workflow !== workflow) {
    throw new ValidationError(`${path}.workflow: a schedule declared in code runs its own workflow, ${workflow}; leave workflow out`, { field: `${path}.workflow` });
  }
}

/** What registering one workflow will write: decided by {@link planCodeSchedules} before anything is. */
export interface CodeSchedulePlan {
  outcome: RegistrationOutcome;
  /** The definition's {@link definitionHash}, recorded with the workflow type once applied. */
  hash: string;
  upserts: { id: string; path: string; cmd: CodeScheduleCommand }[];
  removals: string[];
  /** The index rows of the removals, as read. */
  gone: IndexTriple[];
  /** The index rows the upserts claim before their objects are written (all but updates in place). */
  claims: CodeClaim[];
}

/**
 * Mistral's "schedules in code": plans the upsert of a workflow's declared schedules (stable ids per
 * workflow + index) and the removal of the ones a newer registration no longer declares. An
 * unchanged definition is left alone, so a worker restart never resets a schedule's catch-up
 * position. Workers on different builds declaring different definitions within CONFLICT_WINDOW_MS
 * are reported, not applied: the platform keeps the current definition instead of flapping between
 * them; so are one build's workers on a task queue sorting after the one in charge (see
 * {@link keptBack}). Reads only: a registration plans every workflow first, then claims what the plans create
 * ({@link applyCodeSchedules}), so a conflict in any of them rejects the whole registration with
 * nothing written.
 */
export async function planCodeSchedules(
  env: Env,
  namespace: string,
  w: CodeWorkflow,
  index: number,
  cmds: CodeScheduleCommand[],
  previous: WorkflowTypeRow | null,
  worker: { buildId: string | null; taskQueue: string },
  now: number,
): Promise<CodeSchedulePlan> {
  const hash = definitionHash(w, worker.taskQueue, cmds);
  const ids = cmds.map((_, i) => codeScheduleId(w.name, i));
  const recorded = previous ? recordedHash(previous, w, worker.taskQueue, cmds, hash) : null;
  const kept = previous ? keptBack(w.name, previous, recorded !== hash, worker, now) : null;
  // A queue nobody polls for the workflow any more (its workers stopped, or moved) is in charge of nothing.
  const conflict = kept?.queue && !(await queueInUse(env, namespace, kept.queue, w.name, now)) ? null : kept?.message;
  if (conflict) return { outcome: { workflow: w.name, schedules: ids, applied: false, conflict }, hash, upserts: [], removals: [], gone: [], claims: [] };
  const existing = await listCodeSchedules(env.DB, namespace, w.name);
  // A claim (a placeholder row, updated_at 0) is not a schedule: one left by a registration cut
  // off before it wrote the object is written now, as the README promises, not taken as there.
  const unchanged = recorded === hash && ids.every((id) => existing.some((e) => e.schedule_id === id && e.updated_at > 0));
  // An id that now declares another key (schedules with keys reordered, or a key changed) is
  // re-created: a schedule never changes its (workflow, key). So are ids no longer declared.
  const rekeyed = unchanged ? [] : ids.filter((id, i) => existing.some((e) => e.schedule_id === id && e.key !== cmds[i]!.key));
  const leaving = existing.map((e) => e.schedule_id).filter((id) => !ids.includes(id));
  const removals = [...leaving, ...rekeyed];
  const upserts = unchanged ? [] : cmds.map((cmd, i) => ({ id: ids[i]!, path: `workflows.${index}.schedules.${i}`, cmd }));
  // Whether each claimed key is free (or held by an API schedule: a 409) is decided by the claim
  // itself, in D1's transaction, not by a read here that a concurrent create could overtake.
  const claims = codeScheduleClaims({ workflow: w.name, upserts: upserts.map((u) => ({ id: u.id, key: u.cmd.key, path: u.path })), existing, removals });
  return { outcome: { workflow: w.name, schedules: ids, applied: true }, hash, upserts, removals, gone: existing.filter((e) => removals.includes(e.schedule_id)), claims };
}

/**
 * Why a registration is kept back (`message`), or null when it is applied. Within
 * {@link CONFLICT_WINDOW_MS} of the recorded registration: another build's different definition (a
 * worker without a buildId is a build of its own, an unnamed one: against a named build it is a
 * conflict like any other, or a rolling deploy that starts naming builds would flap between them);
 * and the same build's registration from a task queue that sorts after the recorded one (`queue`),
 * if workers still poll that one for the workflow (the caller asks, {@link queueInUse}). One build
 * whose workers register a workflow on several queues would otherwise move its schedules (and its
 * starts naming no queue) to the last queue that registered, at every refresh: the queue that sorts
 * first is in charge, whichever fleet started first, while its workers poll it; a worker moved to
 * another queue (the old one stopped) takes the workflow along at once.
 */
function keptBack(name: string, previous: WorkflowTypeRow, differs: boolean, worker: { buildId: string | null; taskQueue: string }, now: number): { message: string; queue?: string } | null {
  const age = now - previous.updated_at;
  if (age >= CONFLICT_WINDOW_MS) return null;
  const ago = `${Math.round(age / 1000)}s ago`;
  if ((previous.build_id ?? null) !== worker.buildId) {
    if (!differs) return null;
    return { message: `${buildName(worker.buildId)} declares a different definition of ${name} (its schedules, input schema, task queue or execution timeout) than ${buildName(previous.build_id)} registered ${ago}; keeping the current definition until all workers agree` };
  }
  if (worker.taskQueue <= previous.task_queue) return null;
  const q = previous.task_queue;
  return {
    queue: q,
    message: `${buildName(worker.buildId)} registers ${name} on task queue ${worker.taskQueue}, and on task queue ${q} too (${ago}), where workers poll for it and which sorts first: a build registering a workflow on several task queues keeps it on the first, so its schedules declared without a task_queue, and starts naming none, stay on ${q} while workers poll ${q} for ${name}`,
  };
}

/** How recently a worker must have begun polling a queue for a workflow for the queue to be in use: a poll is held up to 60 s. */
export const QUEUE_IN_USE_MS = 90_000;

/**
 * Whether workers poll `queue` for workflow `name`: one holds a poll there, or began one within
 * {@link QUEUE_IN_USE_MS}. If the queue cannot be asked, it counts as in use (the registration is
 * kept back, as before, rather than taken on a guess).
 */
async function queueInUse(env: Env, namespace: string, queue: string, name: string, now: number): Promise<boolean> {
  try {
    return await taskQueueStub(env, namespace, queue, 0).polledSince("workflow", name, now - QUEUE_IN_USE_MS);
  } catch (err) {
    console.warn("could not ask a task queue whether workers poll it; the registration is kept back", { task_queue: queue, error: String(err) });
    return true;
  }
}

/** A build as a conflict names it. */
const buildName = (buildId: string | null) => (buildId === null ? "a build without a buildId" : `build ${buildId}`);

/** The 409 or 422 a refused claim batch answers. */
function refusal(verdict: Exclude<ClaimVerdict, { ok: true }>, limit: number): SundialError {
  if ("pastLimit" in verdict) {
    const { pastLimit, count, created } = verdict;
    return new ValidationError(`${pastLimit}: this namespace has ${count} schedules and the limit is ${limit}: the registration's ${created} new schedules in code do not fit`, { field: pastLimit, code: "limit_exceeded" });
  }
  const { taken: c, holder } = verdict;
  if (holder.workflow !== c.workflow || holder.key !== c.key) {
    return new ConflictError(`schedule ${c.schedule_id} belongs to workflow ${holder.workflow} key ${holder.key}: declared as ${c.path}, it cannot take key ${c.key}`, "schedule_exists", { field: c.path });
  }
  // The same id too (an API create of key `code-N` has the id of the code schedule at index N):
  // another key would then meet that id, so only deleting it, or creating it under another id, helps.
  const fix = holder.schedule_id === c.schedule_id ? `delete it, or create it again under another schedule_id (its id is the one ${c.path} gets)` : "delete it or declare another key";
  const whose = holder.source === "api" ? `, created through the API (a registration does not take it over): ${fix}` : "";
  return new ConflictError(`schedule key ${c.key} of workflow ${c.workflow} is already used by schedule ${holder.schedule_id}${whose}`, "schedule_key_taken", { field: `${c.path}.key` });
}

/**
 * Writes the plans from {@link planCodeSchedules}, claiming as a REST create does. First one D1
 * batch claims the index rows of every new or re-created schedule (pair, id and a slot under the
 * namespace's limit), all or none: refused, the registration is a 409 or 422 and nothing is
 * written. Then the removals (a re-created id must be gone before its new definition, a key
 * freed before it is declared again); the claims that needed one of them gone are taken next, with
 * the removed rows dropped in the same batch; then the upserts. A failure part-way releases the
 * claims of the schedules whose objects were not written; a D1 failure once a schedule was removed
 * or written is the 503 of {@link indexFailedPartway} (removals cannot wait for the last fallible
 * step: a re-created id's claim and its upsert need the old schedule gone). A removal finding the schedule already
 * gone is done: the plan read the D1 index, whose row outlives the object until its outbox is
 * delivered, so two replicas registering together both plan the same removal (and a claim, left by
 * a registration cut off before the object existed, is dropped). `intent.write` runs once,
 * after the claims and before the first removal or upsert (the registration's intent record);
 * `intent.undo` takes it back if the registration is then refused (a 4xx: no retry of this
 * registration follows, so a pending intent would keep the current build back for the whole
 * conflict window).
 */
export async function applyCodeSchedules(
  env: Env,
  namespace: string,
  plans: CodeSchedulePlan[],
  limit: number,
  now: number,
  intent: { write: () => Promise<void>; undo: () => Promise<void> },
): Promise<void> {
  const claims = plans.flatMap((p) => p.claims);
  const gone = plans.flatMap((p) => p.gone);
  const claim = async (r: Omit<ClaimRequest, "namespace" | "now" | "limit">) => {
    if (r.claims.length === 0) return [];
    const { verdict, inserted } = await claimCodeSchedules(env.DB, { namespace, now, limit, ...r });
    if (!verdict.ok) throw refusal(verdict, limit);
    return inserted;
  };
  const held = new Set(await claim({ claims: claims.map((c) => ({ claim: c, insert: !c.afterRemovals })), gone }));
  // The workflows whose schedules were removed or written: from the first, the answer to a failure
  // can no longer say that nothing was changed.
  const changed = new Set<string>();
  let announced = false;
  const announce = async () => {
    if (announced) return;
    announced = true;
    await intent.write();
  };
  try {
    const absent: string[] = [];
    for (const plan of plans) {
      for (const id of plan.removals) {
        await announce();
        const r = await scheduleStub(env, namespace, id).remove();
        if (!r.ok && r.error.code === "schedule_not_found") {
          absent.push(id);
          continue;
        }
        unwrap(r);
        changed.add(plan.outcome.workflow);
      }
    }
    // No object: a claim left by a registration cut off before it wrote one goes with it.
    await releaseCodeClaims(env.DB, namespace, absent);
    const later = claims.filter((c) => c.afterRemovals);
    if (later.length > 0) for (const id of await claim({ claims: later.map((c) => ({ claim: c, insert: true })), gone: [], drop: gone })) held.add(id);
    for (const plan of plans) {
      for (const { id, path, cmd } of plan.upserts) {
        await announce();
        const r = await scheduleStub(env, namespace, id).upsert({ ...cmd, namespace, schedule_id: id, source: "code" });
        // An API create that took the id after the claim (see checkUpsert): named as the claim names it.
        if (!r.ok && r.error.code === "schedule_key_taken") throw new ConflictError(`${path}.key: ${r.error.message}`, "schedule_key_taken", { field: `${path}.key` });
        unwrap(r);
        held.delete(id);
        changed.add(plan.outcome.workflow);
      }
    }
  } catch (err) {
    await releaseCodeClaims(env.DB, namespace, [...held]).catch((e: unknown) => console.warn("releasing code schedule claims failed", e));
    if (announced && err instanceof SundialError && err.status < 500) await intent.undo().catch((e: unknown) => console.warn("taking back a refused registration's pending record failed", e));
    // The generic 503 says "nothing was changed": untrue once a schedule was removed or written.
    if (changed.size > 0 && isD1Error(err)) throw indexFailedPartway([...changed], false, err);
    // A refusal (an API create took a key or id meanwhile) after changes: say what was done.
    if (changed.size > 0 && err instanceof SundialError && err.status < 500) throw refusedPartway(err, [...changed]);
    throw err;
  }
}

/**
 * A registration refused (a 4xx: an API create took a declared key or id while it ran) after it had
 * removed or written schedules: the same refusal, saying so. Schedules no longer declared stay
 * removed, as the next registration would remove them; nothing is recorded, so a registration
 * once the conflict is resolved applies the rest.
 */
function refusedPartway(err: SundialError, workflows: string[]): SundialError {
  const done = `; before it was refused, this registration had already removed or written schedules of ${workflows.join(", ")} (those no longer declared stay removed; the rest is applied by a registration once this is resolved)`;
  return new SundialError(err.code, err.status, `${err.message}${done}`, { ...(err.field === undefined ? {} : { field: err.field }), issues: err.issues, cause: err });
}

/**
 * The 503 of a registration D1 failed after it changed schedules (removed, created or updated
 * some): which workflows, and why the retry the SDK makes converges. Nothing is recorded until
 * every schedule is applied (the workflow type rows go last), so the retry plans against the
 * definition registered before: it removes what is still there to remove (a removal finding the
 * schedule gone is done), claims and writes the rest, leaves alone what was applied already (a
 * schedule declared as it is writes nothing) and records the registration.
 */
export function indexFailedPartway(workflows: string[], allApplied: boolean, cause: unknown): SundialError {
  console.error("sundial: registration changed schedules but D1 failed before it was recorded", cause);
  const what = allApplied ? "were applied, but the registration was not recorded" : "were applied in part (schedules were removed or written, not all of them yet), and the registration was not recorded";
  return new SundialError(
    "index_unavailable",
    503,
    `the D1 index is unavailable: the schedules declared for ${workflows.join(", ")} ${what}; retry it (the SDK does): a retry applies the same definition again, keeping the plans of the schedules already applied, and records it`,
    { cause },
  );
}

export { getWorkflowType };
