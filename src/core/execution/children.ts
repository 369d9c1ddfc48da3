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
