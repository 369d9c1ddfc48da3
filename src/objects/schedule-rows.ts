import { canonicalTimeZone, type SchedulePolicy } from "@sundial/sdk/protocol";
import { clampCatchupWindow, passOverMissed } from "../core/catchup.ts";
import { ConflictError, ValidationError } from "../core/errors.ts";
import { LIMITS, payloadJsonBytes } from "../core/limits.ts";
import { initialState, type PendingFire } from "../core/schedule/machine.ts";
import { replanned } from "../core/schedule/repeat-runs.ts";
import { resumeDelayed } from "../core/schedule/respec-delayed.ts";
import { resumeRetries } from "../core/schedule/retry-queue.ts";
import type { CompiledSpec } from "../core/spec.ts";
import type { ScheduleRow } from "./schedule-store.ts";
import type { ScheduleDefinition, SchedulePatch } from "./schedule-types.ts";

// What a create (upsert), a PATCH, a pause or a resume makes of a schedule's row: pure, so
// ScheduleObject only withdraws, persists and re-plans around them.

/** Refuses a create that would take over this object: another (workflow, key), or a schedule declared in code. */
export function checkUpsert(current: ScheduleRow | null, def: ScheduleDefinition): void {
  if (!current) return;
  if (current.workflow !== def.workflow || current.key !== def.key) {
    throw new ConflictError(`schedule ${def.schedule_id} belongs to workflow ${current.workflow} key ${current.key}`, "schedule_exists", { field: "schedule_id" });
  }
  // Code schedules follow the deployments and API-created ones do not, so neither takes the other
  // over: a registration would put the code's definition back over an API create (or, the source
  // now "api", stop managing it), and one that took over an API schedule (an API create of key
  // `code-0` has the id of the first code schedule) would delete it once no longer declared. The
  // registration's claim refuses this first; this holds against a create landing in between.
  if (current.source === "code" && def.source === "api") throw heldByCode(def.workflow, def.key, def.schedule_id);
  if (current.source === "api" && def.source === "code") {
    throw new ConflictError(`schedule ${def.schedule_id} (key ${def.key} of workflow ${def.workflow}) was created through the API: a registration does not take it over`, "schedule_key_taken", { field: "key" });
  }
}

/** A create's 409 for a (workflow, key) a schedule declared in code holds (or has claimed). */
export function heldByCode(workflow: string, key: string, scheduleId: string): ConflictError {
  return new ConflictError(
    `key ${key} of workflow ${workflow} is held by schedule ${scheduleId}, declared in worker code: change it in the code, or update, pause or resume it by id; a create does not replace it`,
    "schedule_key_taken",
    { field: "key" },
  );
}

/**
 * A create's 409 for an id a schedule declared in code holds (or has claimed) with another
 * (workflow, key): `defaultId` when the create sent no `schedule_id` and its default id,
 * `{workflow}:{key}`, is that code schedule's (`{workflow}:code-{i}`).
 */
export function idHeldByCode(scheduleId: string, holder: { workflow: string; key: string }, defaultId: boolean): ConflictError {
  const why = defaultId ? `: ${scheduleId} is this create's default id ({workflow}:{key}); create it with another schedule_id` : "";
  return new ConflictError(`schedule ${scheduleId} belongs to workflow ${holder.workflow} key ${holder.key}, declared in worker code${why}`, "schedule_exists", { field: "schedule_id" });
}

/**
 * The row a create makes, new or over `existing`. An unchanged spec keeps its plan (interval
 * anchor, repeat count origin, catch-up position), so calling create() again — Polos' upsert, on
 * every login say — never postpones or drops fires. A changed spec, or an API create reviving a
 * completed or dead schedule, re-plans from now. A registration follows the PATCH rule instead
 * (see {@link patchedRow}): one that declares the spec a code schedule already has (its task
 * queue, execution timeout, input or policy changed) keeps the plan and the status, whatever the
 * status: a completed schedule does not get its repeat_count runs back, nor a dead one fire again.
 */
export function upsertedRow(def: ScheduleDefinition, existing: ScheduleRow | null, now: number, delayed: PendingFire | null = null, oldSpec?: CompiledSpec): ScheduleRow {
  const keepPlan = existing !== null && keepsPlan(existing, def);
  if (existing && keepPlan && def.source === "code" && isOver(existing)) {
    // Completed or dead, and staying so: its note says why (repeat_count reached, on_failure), as sameDefinition reads it.
    return { ...existing, ...definitionFields(def), version: existing.version + 1, updated_at: now };
  }
  return {
    ...definitionFields(def),
    version: (existing?.version ?? 0) + 1,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    spec_origin: keepPlan ? existing.spec_origin : now,
    state: existing
      ? {
          ...(keepPlan ? existing.state : replanned(existing.state, now, delayed, oldSpec)),
          status: def.paused ? "paused" : existing.state.status === "paused" ? "paused" : "active",
          // A create that pauses an active schedule pauses it now (see statusRow).
          ...(def.paused && existing.state.status !== "paused" ? { pausedAt: now } : {}),
          // A paused code schedule keeps the note that says why (as sameDefinition reads it).
          note: def.source === "code" && existing.state.status === "paused" ? existing.state.note : def.note || existing.state.note,
        }
      : initialState(now, def.paused, def.note),
  };
}

/** The fields of a row a create or a registration sets as sent. */
function definitionFields(def: ScheduleDefinition): Pick<ScheduleRow, "namespace" | "schedule_id" | "workflow" | "key" | "source" | "spec" | "policy" | "input" | "task_queue" | "execution_timeout"> {
  return {
    namespace: def.namespace,
    schedule_id: def.schedule_id,
    workflow: def.workflow,
    key: def.key,
    source: def.source,
    spec: def.spec,
    policy: def.policy,
    input: def.input ?? null,
    task_queue: def.task_queue,
    execution_timeout: def.execution_timeout ?? null,
  };
}

/** A schedule that fires no more: `completed` (no fire left, or repeat_count reached) or `dead`. */
const isOver = (row: ScheduleRow): boolean => row.state.status === "completed" || row.state.status === "dead";

/**
 * Whether a create's spec leaves `row`'s plan as it is: the same spec, on a schedule still active
 * or paused (an API create revives a completed or dead one, from now, whatever spec it sends), or
 * on a code schedule whatever its status (a registration revives one only with a new spec).
 */
function keepsPlan(row: ScheduleRow, def: ScheduleDefinition): boolean {
  return sameSpec(row.spec, def.spec) && (def.source === "code" || !isOver(row));
}

/** Whether sending `spec` (undefined: none sent) changes `row`'s spec, so the plan starts again from now. */
export const changesSpec = (row: ScheduleRow, spec: ScheduleRow["spec"] | undefined): boolean => spec !== undefined && !sameSpec(row.spec, spec);

/**
 * Whether a stored spec is the one sent. A zone stored before zones were stored in their IANA
 * spelling (as typed: `utc`, `america/new_york`) is read in that spelling here, so sending the
 * same spec again (a schedule declared in code, at every worker start) is no change of spec.
 */
function sameSpec(stored: ScheduleRow["spec"], sent: ScheduleRow["spec"]): boolean {
  const timezone = canonicalTimeZone(stored.timezone) ?? stored.timezone;
  return JSON.stringify(timezone === stored.timezone ? stored : { ...stored, timezone }) === JSON.stringify(sent);
}

/**
 * Whether a PATCH leaves the row as it is: every field it sends already has that value (an empty
 * PATCH sends none). Such a PATCH writes nothing: no new version, no action, the prepared run kept.
 */
export function changesNothing(row: ScheduleRow, patch: SchedulePatch): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return (
    (patch.spec === undefined || same(row.spec, patch.spec)) &&
    // A catch-up window stored outside its bounds is read clamped (describe shows it so, and a PATCH merges into that).
    (patch.policy === undefined || same(clampedPolicy(row.policy), clampedPolicy(patch.policy))) &&
    (patch.input === undefined || same(row.input, patch.input)) &&
    (patch.task_queue === undefined || row.task_queue === patch.task_queue) &&
    (patch.execution_timeout === undefined || row.execution_timeout === patch.execution_timeout) &&
    (patch.note === undefined || row.state.note === patch.note)
  );
}

/**
 * Whether a create or a registration sends a schedule as it is: then nothing is written (no new
 * version, no action, the prepared run kept), as for a PATCH that changes nothing. A schedule
 * declared in code (a registration re-applies every schedule of a workflow when any of them
 * changed) stays whatever its status: a completed one-shot completed, a paused one paused, a dead
 * one dead, as when the whole registration is unchanged. An API create (Polos' create at every
 * login) is no change on an active or paused schedule; it revives a completed or dead one.
 */
export function sameDefinition(row: ScheduleRow, def: ScheduleDefinition): boolean {
  const active = row.state.status === "active";
  if (def.source === "api" && !active && row.state.status !== "paused") return false;
  return (
    row.source === def.source &&
    row.workflow === def.workflow &&
    row.key === def.key &&
    sameSpec(row.spec, def.spec) &&
    changesNothing(row, { policy: def.policy, input: def.input ?? null, task_queue: def.task_queue }) &&
    (row.execution_timeout ?? null) === (def.execution_timeout ?? null) &&
    // An empty sent note keeps the stored one (as upsertedRow does). So does a code schedule that
    // is not active: its note says why (a pause, on_failure, the user), and a note is no reason to
    // revive a completed or dead one (the upsert would) or to overwrite why one is paused.
    (!def.note || row.state.note === def.note || (def.source === "code" && !active)) &&
    // A code schedule that fires no more stays so (upsertedRow): a declared pause changes nothing there.
    (!def.paused || row.state.status === "paused" || (def.source === "code" && isOver(row)))
  );
}

const clampedPolicy = (p: SchedulePolicy): SchedulePolicy => ({ ...p, catchup_window_seconds: clampCatchupWindow(p.catchup_window_seconds) });

/**
 * The row a PATCH makes: a spec change re-plans from now (and revives a completed schedule),
 * holding `delayed`, the old spec's fire waiting on its jitter (core/schedule/respec-delayed.ts). A
 * PATCH that sends the spec the schedule already has (a client sending the whole spec with a new
 * input, say) changes no plan and no status, whatever the status: a completed schedule does not
 * get its repeat_count runs back, nor a dead one its runs counted afresh.
 */
export function patchedRow(row: ScheduleRow, patch: SchedulePatch, now: number, delayed: PendingFire | null = null, oldSpec?: CompiledSpec): ScheduleRow {
  const newSpec = changesSpec(row, patch.spec) ? patch.spec : undefined;
  const updated: ScheduleRow = {
    ...row,
    // The spec as sent, also when it is the same (its zone then in its IANA spelling, see sameSpec).
    ...(patch.spec ? { spec: patch.spec } : {}),
    // A new spec counts repeat_count's runs afresh, from its new origin.
    ...(newSpec ? { spec_origin: now, state: replanned(row.state, now, delayed, oldSpec) } : {}),
    ...(patch.policy ? { policy: patch.policy } : {}),
    ...(patch.input !== undefined ? { input: patch.input } : {}),
    ...(patch.task_queue ? { task_queue: patch.task_queue } : {}),
    ...(patch.execution_timeout !== undefined ? { execution_timeout: patch.execution_timeout } : {}),
    version: row.version + 1,
    updated_at: now,
  };
  if (patch.note !== undefined) updated.state = { ...updated.state, note: patch.note };
  if (newSpec && updated.state.status === "completed") updated.state = { ...updated.state, status: "active" };
  return updated;
}

/**
 * The row a pause or a resume makes (a new version), and its action's outcome. `spec`, the row's
 * compiled spec, is asked for only when a resume passes over what came due while paused.
 */
export function statusRow(row: ScheduleRow, status: "active" | "paused", note: string, catchUp: boolean, now: number, spec: () => CompiledSpec): { row: ScheduleRow; outcome: string } {
  const resuming = status === "active" && row.state.status !== "active";
  // Leaving a pause (or dead) without catch-up: what came due meanwhile is over (not counted as skipped by catch-up).
  const passOver = resuming && !catchUp;
  const passed = passOver ? passOverMissed(spec(), row.schedule_id, row.state.lastProcessed, now, LIMITS.catchupBatch) : null;
  // So are fires delayed over a spec change whose actual time came meanwhile (core/schedule/respec-delayed.ts).
  const delayed = passOver ? resumeDelayed(row.state, now) : { state: row.state, missed: 0 };
  // And failed fires' retries due meanwhile, as those fires (with catch-up: unless too late for the window).
  const retries = resuming ? resumeRetries(delayed.state, now, catchUp ? clampCatchupWindow(row.policy.catchup_window_seconds) : null) : { state: delayed.state, missed: 0, late: 0 };
  const missed = (passed?.missed ?? 0) + delayed.missed;
  const lastProcessed = passed?.cursor ?? row.state.lastProcessed;
  const { pausedAt: _pausedAt, ...rest } = retries.state;
  // A pause keeps the time it began (a second pause does not move it: what came due since was due while paused).
  const pausedAt = status === "paused" ? (row.state.status === "paused" ? row.state.pausedAt : now) : undefined;
  const counters = retries.late > 0 ? { ...rest.counters, skipped_catchup: rest.counters.skipped_catchup + retries.late } : rest.counters;
  const updated: ScheduleRow = { ...row, version: row.version + 1, updated_at: now, state: { ...rest, ...(pausedAt !== undefined ? { pausedAt } : {}), counters, status, note, lastProcessed } };
  const fires = missed > 0 ? `; ${missed >= LIMITS.catchupBatch ? `${missed}+` : missed} fire${missed === 1 ? "" : "s"} due while paused not run` : "";
  const plural = (n: number) => `${n} retr${n === 1 ? "y" : "ies"}`;
  const notRun = retries.missed > 0 ? `; ${plural(retries.missed)} due while paused not run` : retries.late > 0 ? `; ${plural(retries.late)} due while paused older than the catch-up window not run` : "";
  const resumed = `resumed${note ? `: ${note}` : ""}${fires}${notRun}`;
  return { row: updated, outcome: status === "paused" ? `paused${note ? `: ${note}` : ""}` : resumed };
}

/**
 * Trigger inputs waiting in the buffer live in the schedule's state, one row: past
 * LIMITS.bufferedInputBytes a trigger that would wait there is refused before anything is written.
 */
export function checkBufferedInputs(buffer: readonly PendingFire[]): void {
  const bytes = buffer.reduce((sum, f) => sum + payloadJsonBytes(f.input), 0);
  if (bytes > LIMITS.bufferedInputBytes) {
    throw new ValidationError(`the schedule's buffer already holds ${LIMITS.bufferedInputBytes} bytes of trigger inputs waiting for a slot: try again when its runs have closed, or trigger without an input override`, { field: "input", code: "limit_exceeded" });
  }
}
