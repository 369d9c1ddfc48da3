import type { Failure } from "@sundial/sdk/protocol";

/**
 * Who a child workflow belongs to. A child names its parent in its close callback: the parent's
 * execution id, the seq of the child in that parent, and (since child outbox keys carry it) the
 * parent run that started it. Objects deployed before the run id was recorded have none: then
 * the execution id (and seq) decide alone.
 */
export interface ParentRef {
  execution_id: string;
  seq: number;
  run_id?: string | null | undefined;
}

/** What a parent's stop (cancel or terminate under its close policy) says about who sends it. */
export interface StopFrom {
  execution_id: string;
  run_id: string | null;
}

const sameRun = (a: string | null | undefined, b: string | null | undefined) => a == null || b == null || a === b;

/**
 * Whether a parent's stop is really from this run's parent: a stale parent run (an earlier run, a
 * reset) must not stop an execution that is now someone else's child, or nobody's.
 */
export function isParentsStop(parent: ParentRef | undefined, from: StopFrom): boolean {
  return parent !== undefined && parent.execution_id === from.execution_id && sameRun(parent.run_id, from.run_id);
}

/** Why a parent stops its children under its close policy: its run closed, or a reset ended it. */
export type StopCause = "closed" | "reset";

/**
 * The reason a parent close policy's stop gives the child (its cancel request or terminate).
 * @example
 * parentStopReason("terminate-child", "reset") // "parent reset (parent close policy TERMINATE)"
 */
export function parentStopReason(kind: "cancel-child" | "terminate-child", cause: StopCause = "closed"): string {
  return `parent ${cause} (parent close policy ${kind === "terminate-child" ? "TERMINATE" : "REQUEST_CANCEL"})`;
}

/**
 * What the child workflow's registration says about a child start (`seq`), read where the
 * completion is received. `failure`: its schema refuses the input, so the completion records the
 * start as failed instead of starting it. Otherwise `taskQueue` and `executionTimeout` are the
 * registered ones (null: not registered, or no default), used when the command names none, as a
 * REST start's are.
 */
export type ChildStartCheck = { seq: number; failure: Failure } | { seq: number; failure?: undefined; taskQueue: string | null; executionTimeout: number | null };

/** What a parent's outbox does for one child: start it, or stop it under the parent close policy. */
export type ChildEntryKind = "start-child" | "cancel-child" | "terminate-child";

/**
 * A child's outbox key: `{kind}:{parent run}:{seq}`. The run is the parent run that started the
 * child, so a later run (continue-as-new, reset) numbering its children from 1 again never
 * replaces an earlier run's entry for another child.
 */
export function childEntryKey(kind: ChildEntryKind, parentRun: string, seq: number): string {
  return `${kind}:${parentRun}:${seq}`;
}

/** Reads a child entry's key; one written before keys named the run (`{kind}:{seq}`) has `parentRun` null. */
export function parseChildEntryKey(key: string): { kind: ChildEntryKind; parentRun: string | null; seq: number } | null {
  const parts = key.split(":");
  const kind = parts[0];
  if (kind !== "start-child" && kind !== "cancel-child" && kind !== "terminate-child") return null;
  if (parts.length === 2) return { kind, parentRun: null, seq: Number(parts[1]) };
  if (parts.length === 3) return { kind, parentRun: parts[1]!, seq: Number(parts[2]) };
  return null;
}

/**
 * Whether a child start finding `existing` (a running execution's parent) found the very child it
 * starts: a start delivered again. The same parent's child of another seq, or of an earlier run,
 * is another child: the start fails rather than attach to it (its news goes to that child).
 */
export function isSameChild(existing: ParentRef, starting: ParentRef): boolean {
  return existing.execution_id === starting.execution_id && existing.seq === starting.seq && sameRun(existing.run_id, starting.run_id);
}

/**
 * Whether an execution found under a child's id (its parent as it describes it) was started by
 * this parent, by `parentRun` when both runs are known: only then is its outcome the child's.
 */
export function isChildOf(found: { parent_execution_id?: string | null | undefined; parent_run_id?: string | null | undefined }, parentId: string, parentRun: string | null): boolean {
  return found.parent_execution_id === parentId && sameRun(found.parent_run_id, parentRun);
}

/** Whether news about a child, sent for `parentRun`'s child, concerns the row of a child started by `rowRun` (unknown runs match). */
export function isNewsForRun(rowRun: string | null, parentRun: string | null | undefined): boolean {
  return sameRun(rowRun, parentRun);
}
