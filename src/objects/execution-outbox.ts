import type { Execution, Failure } from "@sundial/sdk/protocol";
import { childEntryKey, isChildOf, parentStopReason, parseChildEntryKey, type StopCause, type StopFrom } from "../core/execution/children.ts";
import { LIMITS } from "../core/limits.ts";
import type { Env } from "../env.ts";
import { deleteExecution, upsertExecution, type ExecutionIndexWrite } from "../index/executions.ts";
import { executionStub, scheduleStub } from "./names.ts";
import type { Outbox } from "./outbox.ts";
import type { RunClosedNotice } from "./schedule-types.ts";

/** A child's close, reported to its parent (delivered at least once; the parent de-duplicates). */
export interface ChildClosedNotice {
  seq: number;
  execution_id: string;
  status: string;
  result: unknown;
  failure: Failure | null;
  /** The parent run that started the child (absent from notices of children started before it was recorded). */
  parent_run?: string | null;
}

interface CloseNotice extends RunClosedNotice {
  parent?: { execution_id: string; seq: number; run_id?: string };
  result: unknown;
}

interface ChildStart {
  namespace: string;
  execution_id: string;
  workflow: string;
  input: unknown;
  task_queue: string;
  execution_timeout: number | null;
  parent: { execution_id: string; seq: number; run_id?: string };
}

/** What the parent records once the outbox has (or could not have) started a child. */
export interface ChildStartHooks {
  /** `parentRun`: the parent run whose start this was (null for an entry written before keys named it). */
  started(seq: number, executionId: string, runId: string, parentRun: string | null): void;
  failed(seq: number, executionId: string, failure: Failure, parentRun: string | null): void;
  /** The child's id named an execution that had already closed: its outcome is the child's. */
  closed(notice: ChildClosedNotice): void;
  /** The child's id names an execution that is not this child (`owner`: who started it; `status`: it is running, or closed so). */
  taken(seq: number, executionId: string, owner: string, parentRun: string | null, status: string): void;
}

/**
 * Delivers an execution's outbox: the D1 index row; the close notice to the schedule or parent
 * that started this run; child starts, and the parent close policy's cancels and terminates.
 * Each entry is retried with backoff until it lands, so nothing is lost to a crash in between.
 */
export function flushExecutionOutbox(outbox: Outbox, env: Env, now: number, hooks: ChildStartHooks): Promise<boolean> {
  return outbox.flush(now, async (key, payload) => {
    if (key === "index") {
      const row = payload as ExecutionIndexWrite & { deleted?: boolean };
      return row.deleted ? deleteExecution(env.DB, row.namespace, row.execution_id, row.run_id) : upsertExecution(env.DB, row);
    }
    if (key === "callback") {
      const notice = payload as CloseNotice;
      if (notice.parent) {
        const r = await executionStub(env, notice.namespace, notice.parent.execution_id).childClosed({ seq: notice.parent.seq, execution_id: notice.execution_id, status: notice.status, result: notice.result, failure: notice.failure as Failure | null, parent_run: notice.parent.run_id ?? null });
        if (!r.ok && r.error.status >= 500) throw new Error(r.error.message);
      }
      if (notice.schedule_id) await scheduleStub(env, notice.namespace, notice.schedule_id).runClosed(notice);
      return;
    }
    if (key.startsWith("lookup-child:")) return lookUpChild(env, Number(key.slice("lookup-child:".length)), payload as ChildLookup, hooks);
    // Child entries: `{kind}:{parent run}:{seq}`, or `{kind}:{seq}` as written before keys named the run.
    const entry = parseChildEntryKey(key);
    if (entry === null) return console.warn(`outbox entry ${key} is of no known kind: dropped`);
    const seq = entry.seq;
    if (entry.kind === "start-child") {
      const c = payload as ChildStart;
      const parentRun = entry.parentRun ?? c.parent.run_id ?? null;
      const r = await executionStub(env, c.namespace, c.execution_id).start({
        namespace: c.namespace,
        execution_id: c.execution_id,
        workflow: c.workflow,
        input: c.input,
        task_queue: c.task_queue,
        execution_timeout: c.execution_timeout ?? LIMITS.executionTimeoutDefault,
        id_reuse_policy: "use_existing",
        schedule: null,
        callback: { parent: c.parent },
        parent_execution_id: c.parent.execution_id,
      });
      if (r.ok) reportExistingChild(hooks, seq, c.parent.execution_id, parentRun, r.value.execution, r.value.started);
      else if (r.error.status < 500) hooks.failed(seq, c.execution_id, { message: r.error.message, type: "ChildWorkflowStartFailed", non_retryable: true }, parentRun);
      else throw new Error(r.error.message);
      return;
    }
    // `from` (absent in entries written before it was): the child refuses a stop not from its parent.
    // `cause` (absent: the parent's run closed) gives the stop's reason.
    const target = payload as { namespace: string; execution_id: string; from?: StopFrom; cause?: StopCause };
    // A child whose start is still waiting in this outbox (its delivery failed and backs off) cannot
    // be stopped yet: the stop waits for it, instead of finding nothing and letting the start
    // create a child nobody stops.
    const starts = [`start-child:${seq}`, ...(entry.parentRun === null ? [] : [childEntryKey("start-child", entry.parentRun, seq)])];
    if (starts.some((k) => outbox.has(k))) throw new Error(`child ${target.execution_id} is not started yet; its ${key.split(":")[0]} waits for the start`);
    const reason = parentStopReason(entry.kind, target.cause);
    if (entry.kind === "cancel-child") await executionStub(env, target.namespace, target.execution_id).cancel(reason, target.from);
    if (entry.kind === "terminate-child") await executionStub(env, target.namespace, target.execution_id).terminate(reason, target.from);
  });
}

/**
 * What the parent learns of its child `seq` from the execution its id names now (after a start,
 * or a lookup after a reset). Not this parent run's child and running: the child is not that
 * execution (its close notice goes there, and this parent would wait forever), see
 * `recordChildIdTaken`; so too, for a lookup (`closedMustBeOurs`), one that has closed (the id was
 * used again, and its outcome is not the child's). Otherwise it started; and if it has closed
 * already (an id used before, a reset to before the start, a start delivered again after the child
 * finished, a close notice the parent refused while it was closed) its outcome is recorded now.
 */
export function reportExistingChild(hooks: ChildStartHooks, seq: number, parentId: string, parentRun: string | null, x: Execution, startedNow: boolean, closedMustBeOurs = false): void {
  if (!startedNow && (x.status === "running" || closedMustBeOurs) && !isChildOf(x, parentId, parentRun)) {
    hooks.taken(seq, x.execution_id, x.parent_execution_id ?? "a client", parentRun, x.status);
    return;
  }
  hooks.started(seq, x.execution_id, x.run_id, parentRun);
  if (!startedNow && x.status !== "running") hooks.closed({ seq, execution_id: x.execution_id, status: x.status, result: x.result ?? null, failure: x.failure ?? null, parent_run: parentRun });
}

/** A reset's question to a child of the kept history whose fate the parent does not know (see execution-reset.ts). */
export interface ChildLookup {
  namespace: string;
  execution_id: string;
  parent: { execution_id: string; run_id: string | null };
}

async function lookUpChild(env: Env, seq: number, c: ChildLookup, hooks: ChildStartHooks): Promise<void> {
  const r = await executionStub(env, c.namespace, c.execution_id).describe();
  if (r.ok) return reportExistingChild(hooks, seq, c.parent.execution_id, c.parent.run_id, r.value, false, true);
  // Never created (its start was refused while the parent was closed): the child did not start.
  if (r.error.status === 404) hooks.failed(seq, c.execution_id, { message: `child execution ${c.execution_id} does not exist`, type: "ChildWorkflowStartFailed", non_retryable: true }, c.parent.run_id);
  else if (r.error.status >= 500) throw new Error(r.error.message);
}
