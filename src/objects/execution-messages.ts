import type { Failure } from "@sundial/sdk/protocol";
import { ConflictError, ValidationError } from "../core/errors.ts";
import { parseJson } from "./execution-store.ts";
import { LIMITS } from "../core/limits.ts";
import { signalMarkKey } from "../core/execution/signal-marks.ts";
import { isExecutionClosedFailure, updatesAtRunEnd, type OpenUpdate, type RunEnd } from "../core/execution/update-close.ts";
import { scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import { startRun } from "./execution-start.ts";
import type { StartArgs } from "./execution-types.ts";
import type { ExecutionStore, UpdateRow } from "./execution-store.ts";

/** A closed run refuses new messages: 409 `execution_closed` naming `execution_id`, as a refused cancel or terminate does. */
function requireOpen(store: ExecutionStore, what: string): void {
  const run = store.run();
  if (run && run.status !== "running") throw new ConflictError(`cannot ${what}: the execution is ${run.status}`, "execution_closed", { field: "execution_id" });
}

/** The request fields a refused signal names: the signal route's, or signal-with-start's. */
interface SignalFields {
  name: string;
  input: string;
}

const SIGNAL_ROUTE_FIELDS: SignalFields = { name: "name", input: "input" };
const SIGNAL_WITH_START_FIELDS: SignalFields = { name: "signal_name", input: "signal_input" };

/**
 * Records a signal in history (before the caller's 202) and wakes the workflow. A retried send
 * with the same request_id is recognised and not recorded twice, also once the run has closed
 * (the first send was delivered, so its retry — its answer lost on the wire — succeeds as a
 * duplicate rather than a 409 that would tell the sender the signal never arrived) and by a later
 * run of the execution (continue-as-new carries the marks). A limit's 422 names `fields`, the
 * request's own names for the signal and its input.
 */
export function recordSignal(store: ExecutionStore, now: number, name: string, input: unknown, requestId: string | null, out: Dispatch[], newRun = false, fields = SIGNAL_ROUTE_FIELDS): { recorded: boolean } {
  // A run this very call started (`newRun`) gets its signal even when an earlier run recorded the id.
  if (!newRun && requestId !== null && store.wasCompleted(signalMarkKey(requestId))) return { recorded: false };
  requireOpen(store, "signal");
  // The limits come before the request id is marked: a refused signal sent again is refused again.
  if (store.countEvents("signal_received") >= LIMITS.maxSignalsPerRun) {
    throw new ValidationError(`this run already received ${LIMITS.maxSignalsPerRun} signals (the limit); continue as new`, { field: fields.name, code: "limit_exceeded" });
  }
  if (store.historyBytes() >= LIMITS.maxHistoryBytes) {
    throw new ValidationError(`this run's history reached ${LIMITS.maxHistoryBytes / 1_048_576} MiB (the limit): it records no more signals and fails at its next workflow task; continue as new`, { field: fields.input, code: "limit_exceeded" });
  }
  if (requestId !== null) store.markCompleted(signalMarkKey(requestId), now);
  store.append("signal_received", now, { name, input: input ?? null, request_id: requestId });
  scheduleWorkflowTask(store, now, out);
  return { recorded: true };
}

/**
 * Signals the execution, starting a run first unless one is running (see
 * ExecutionObject.signalWithStart). A retry whose `request_id` the closed run recorded (its answer
 * lost, the run closed since) starts nothing: that signal was delivered.
 */
export function signalWithStartRun(store: ExecutionStore, now: number, args: StartArgs, name: string, input: unknown, requestId: string | null, out: Dispatch[]): { started: boolean } {
  const existing = store.run();
  const retried = requestId !== null && existing?.workflow === args.workflow && store.wasCompleted(signalMarkKey(requestId));
  let started = false;
  if (!retried && (!existing || existing.status !== "running")) started = startRun(store, args, now, out).started;
  // Not a retry (another workflow's run recorded the id, say): the run this call started gets the
  // signal, never a start answered 201 whose run the signal never reached.
  recordSignal(store, now, name, input, requestId, out, started, SIGNAL_WITH_START_FIELDS);
  return { started };
}

/**
 * Registers an update request (not in history: the workflow's validator may still reject it) and
 * offers it to the workflow in the next task. A known update id returns the existing record (also
 * one completed by an earlier run of the execution, which continue-as-new carried).
 */
export function requestUpdate(store: ExecutionStore, now: number, name: string, input: unknown, updateId: string, out: Dispatch[]): UpdateRow {
  const existing = store.update(updateId);
  if (existing) {
    if (existing.name !== name) throw new ConflictError(`update ${updateId} was sent as ${existing.name}, not ${name}`, "update_id_reused", { field: "update_id" });
    return existing;
  }
  requireOpen(store, "update");
  const count = store.countUpdates();
  if (count.inFlight >= LIMITS.maxUpdatesInFlight) {
    throw new ValidationError(`this run has ${LIMITS.maxUpdatesInFlight} updates in flight (the limit); send it again once one has completed`, { field: "update_id", code: "limit_exceeded" });
  }
  if (count.admitted >= LIMITS.maxUpdatesPerRun) {
    throw new ValidationError(`this run already admitted ${LIMITS.maxUpdatesPerRun} updates (the limit); continue as new`, { field: "update_id", code: "limit_exceeded" });
  }
  const row: UpdateRow = { update_id: updateId, name, input: JSON.stringify(input ?? null), state: "requested", result: null, failure: null, created_at: now };
  store.insertUpdate(row);
  scheduleWorkflowTask(store, now, out);
  return row;
}

/**
 * Ends the updates still open when the run ends (see {@link updatesAtRunEnd}): those that fail are
 * marked so here, and their callers get a 409 `execution_closed` at once. Returns the rows the
 * next run keeps after a continue-as-new (which clears this run's updates): the updates it is
 * offered, and the failed ones, so their ids answer with the failure rather than run again there.
 */
export function endOpenUpdates(store: ExecutionStore, end: RunEnd): UpdateRow[] {
  const open = [...store.updatesIn("requested"), ...store.updatesIn("accepted")];
  if (open.length === 0) return [];
  const plan = updatesAtRunEnd(open.map((u) => ({ update_id: u.update_id, state: u.state as OpenUpdate["state"] })), end);
  const byId = new Map(open.map((u) => [u.update_id, u]));
  const kept: UpdateRow[] = plan.carry.map((id) => byId.get(id)!);
  for (const f of plan.fail) {
    const failure = JSON.stringify(f.failure);
    store.setUpdate(f.updateId, "rejected", null, failure);
    kept.push({ ...byId.get(f.updateId)!, state: "rejected", input: "null", result: null, failure });
  }
  return kept;
}

/** An update's outcome for its caller: the result, "pending", or the rejection as a 422. */
export function updateOutcome(store: ExecutionStore, updateId: string): { update_id: string; status: "completed" | "pending"; result?: unknown; failure: Failure | null } {
  const u = store.update(updateId);
  if (!u) throw new ConflictError(`update ${updateId}: the run ended (continued as new or was reset) before the update completed; send it again`, "execution_closed", { field: "execution_id" });
  if (u.state === "rejected" || (u.state === "carried" && u.result === null)) {
    const f = parseJson<Failure>(u.failure);
    // Failed as its run (this one, or an earlier one that handed it on) ended.
    if (isExecutionClosedFailure(f)) throw new ConflictError(`update ${u.name}: ${f.message}`, "execution_closed", { field: "execution_id" });
  }
  if (u.state === "rejected") {
    const f = parseJson<Failure>(u.failure);
    throw new ValidationError(`update ${u.name} was rejected: ${f?.message ?? "rejected"}`, { field: "input", code: "update_rejected", ...(f ? { failure: f } : {}) });
  }
  if (u.state !== "completed" && u.state !== "carried") return { update_id: updateId, status: "pending", failure: null };
  return { update_id: updateId, status: "completed", ...(u.result !== null ? { result: JSON.parse(u.result) } : {}), failure: parseJson<Failure>(u.failure) };
}
