import { optionNames, rejectUnknownOptions } from "../client/options.ts";
import type { Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { Identifier, isName } from "../protocol/execution.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { toSeconds, type Duration } from "./duration.ts";
import { CancelledError, ChildWorkflowFailure } from "./errors.ts";
import { failureToError } from "./failure-convert.ts";

/**
 * What happens to a child still open when its parent's run closes (completes, fails, is cancelled,
 * terminated, times out or continues as new): `ABANDON` leaves it running, `REQUEST_CANCEL` asks
 * it to cancel (it may clean up), `TERMINATE` ends it at once.
 */
export type ParentClosePolicy = "ABANDON" | "REQUEST_CANCEL" | "TERMINATE";
/** The policies by name, as the Mistral seed writes them: `parentClosePolicy: ParentClosePolicy.TERMINATE`. */
export const ParentClosePolicy = { ABANDON: "ABANDON", REQUEST_CANCEL: "REQUEST_CANCEL", TERMINATE: "TERMINATE" } as const satisfies Record<ParentClosePolicy, ParentClosePolicy>;

const POLICIES: readonly ParentClosePolicy[] = Object.values(ParentClosePolicy);

/** Options of `ctx.executeChildWorkflow()`. */
export interface ChildWorkflowOptions {
  /**
   * The child's execution id; default `{parent execution id}:child-{seq}`, or
   * `{parent execution id}:run-{n}:child-{seq}` in run n ≥ 2 (deterministic).
   */
  executionId?: string;
  /** Default: the definition's `taskQueue`, else the queue the child workflow is registered on, else the parent's task queue. */
  taskQueue?: string;
  /** Default: the definition's `executionTimeout` (when given a definition), else the child workflow's registered one, else 1 hour. */
  executionTimeout?: Duration;
  /** Default `TERMINATE` when waiting, `ABANDON` with `wait: false` (the Mistral seed's rule). */
  parentClosePolicy?: ParentClosePolicy;
  /**
   * `true` (default): resolve with the child's result. `false`: resolve at once with a
   * {@link ChildWorkflowHandle} (fire-and-forget; await its result later if you like).
   */
  wait?: boolean;
}

const CHILD_OPTIONS = optionNames({ executionId: true, taskQueue: true, executionTimeout: true, parentClosePolicy: true, wait: true } satisfies Record<keyof ChildWorkflowOptions, true>);

/** What a child's `started` promise resolves with. */
export interface ChildWorkflowStarted {
  executionId: string;
  /** The child's first run id; null in the rare history where the child closed before its start was recorded. */
  runId: string | null;
}

/**
 * A child started with `wait: false`. Its promises settle from the child's own events only: they
 * reject with a {@link ChildWorkflowFailure} when the child fails, times out, is cancelled or
 * terminated, or could not start. A cancel request to the parent leaves them as they are (the
 * child runs on until its parent close policy acts on it, when the parent ends). Nothing happens
 * if nobody awaits them.
 */
export interface ChildWorkflowHandle<R = unknown> {
  readonly executionId: string;
  readonly workflow: string;
  /** Resolves once the platform started the child; rejects with a `ChildWorkflowFailure` (`start_failed`). */
  readonly started: Promise<ChildWorkflowStarted>;
  /** The child's result (the same promise on every call). */
  result(): Promise<R>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits (a fire-and-forget child that failed) must not crash the process.
  promise.catch(() => {});
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      if (d.settled) return;
      d.settled = true;
      resolve(value);
    },
    reject: (reason) => {
      if (d.settled) return;
      d.settled = true;
      reject(reason);
    },
  };
  return d;
}

interface PendingChild {
  seq: number;
  workflow: string;
  executionId: string;
  started: Deferred<ChildWorkflowStarted>;
  result: Deferred<unknown>;
  /** Started with `wait: true`: the parent awaits it, so a cancel request to the parent rejects it. */
  awaited: boolean;
}

/**
 * The child's command, validated: a bad option throws a `TypeError` where it is written.
 * `defaultExecutionId` is the child's id unless `options.executionId` names one.
 */
export function startChildCommand(
  seq: number,
  defaultExecutionId: string,
  workflow: WorkflowDefinition | string,
  input: unknown,
  options: ChildWorkflowOptions,
): { command: Extract<Command, { type: "start_child_workflow" }>; executionId: string; wait: boolean } {
  const def = typeof workflow === "string" ? undefined : workflow;
  const name = typeof workflow === "string" ? workflow : workflow?.name;
  if (!isName(name)) {
    throw new TypeError(`ctx.executeChildWorkflow(): workflow must be a workflow definition or a name (1-200 letters, digits and . _ : -), got ${JSON.stringify(name ?? workflow)}`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError("ctx.executeChildWorkflow(): options must be an object");
  rejectUnknownOptions(options, CHILD_OPTIONS, `ctx.executeChildWorkflow(${JSON.stringify(name)}) options`);
  const wait = options.wait ?? true;
  if (typeof wait !== "boolean") throw new TypeError(`ctx.executeChildWorkflow("${name}"): wait must be a boolean`);
  const policy = options.parentClosePolicy ?? (wait ? "TERMINATE" : "ABANDON");
  if (!POLICIES.includes(policy)) throw new TypeError(`ctx.executeChildWorkflow("${name}"): parentClosePolicy must be one of ${POLICIES.join(", ")}, got ${JSON.stringify(policy)}`);
  if (options.executionId !== undefined && !Identifier.safeParse(options.executionId).success) {
    throw new TypeError(`ctx.executeChildWorkflow("${name}"): executionId ${JSON.stringify(options.executionId)} is invalid: use 1-200 letters, digits and . _ : @ + = -, starting with a letter or digit`);
  }
  const taskQueue = options.taskQueue ?? def?.taskQueue;
  if (taskQueue !== undefined && !isName(taskQueue)) {
    throw new TypeError(`ctx.executeChildWorkflow("${name}"): taskQueue ${JSON.stringify(taskQueue)} is invalid`);
  }
  const timeout = options.executionTimeout ?? def?.executionTimeout;
  const seconds = timeout === undefined ? undefined : toSeconds(timeout, `ctx.executeChildWorkflow("${name}") executionTimeout`);
  if (seconds !== undefined && (seconds < 1 || seconds > 86_400 * 365)) {
    throw new TypeError(`ctx.executeChildWorkflow("${name}") executionTimeout: must be between 1 second and 1 year, got ${seconds}s`);
  }
  const executionId = options.executionId ?? defaultExecutionId;
  const command: Extract<Command, { type: "start_child_workflow" }> = {
    type: "start_child_workflow",
    seq,
    workflow: name,
    input: input === undefined ? null : input,
    ...(options.executionId === undefined ? {} : { execution_id: options.executionId }),
    ...(taskQueue === undefined ? {} : { task_queue: taskQueue }),
    ...(seconds === undefined ? {} : { execution_timeout: seconds }),
    parent_close_policy: policy,
  };
  return { command, executionId, wait };
}

/**
 * The children a run started and still waits on: their `started` and `result` promises, settled
 * by the child events of history (`child_workflow_started`, `…_start_failed`, `…_completed`,
 * `…_failed`), matched by seq.
 */
export class ChildWorkflows {
  private readonly pending = new Map<number, PendingChild>();

  /** Registers child `seq`; returns its promises. */
  add(seq: number, workflow: string, executionId: string, awaited: boolean): { started: Promise<ChildWorkflowStarted>; result: Promise<unknown> } {
    const child: PendingChild = { seq, workflow, executionId, started: deferred(), result: deferred(), awaited };
    this.pending.set(seq, child);
    return { started: child.started.promise, result: child.result.promise };
  }

  /** Applies one child event; false when the event is not about a child. */
  apply(event: HistoryEvent): boolean {
    switch (event.type) {
      case "child_workflow_started": {
        const child = this.pending.get(event.seq);
        child?.started.resolve({ executionId: event.execution_id, runId: event.run_id });
        return true;
      }
      case "child_workflow_start_failed": {
        const child = this.take(event.seq);
        if (child === undefined) return true;
        const err = new ChildWorkflowFailure(child.workflow, event.execution_id, child.seq, "start_failed", failureToError(event.failure));
        child.started.reject(err);
        child.result.reject(err);
        return true;
      }
      case "child_workflow_completed": {
        const child = this.take(event.seq);
        if (child === undefined) return true;
        child.started.resolve({ executionId: event.execution_id, runId: null });
        child.result.resolve(event.result);
        return true;
      }
      case "child_workflow_failed": {
        const child = this.take(event.seq);
        if (child === undefined) return true;
        child.started.resolve({ executionId: event.execution_id, runId: null });
        child.result.reject(new ChildWorkflowFailure(child.workflow, event.execution_id, child.seq, event.status, failureToError(event.failure)));
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * The parent was asked to cancel: every child it awaits (started with `wait: true`) rejects with
   * `CancelledError` (no command: the child itself is left to its parent close policy when the
   * parent ends). Handles (`wait: false`) are left pending: the platform does not touch a child
   * before its parent ends, and records no child event once the parent has ended, so a handle only
   * settles from the child's own events (an explicit cancel of the child, for one).
   */
  cancelAll(reason: string): void {
    for (const child of [...this.pending.values()]) {
      if (!child.awaited) continue;
      this.pending.delete(child.seq);
      child.started.reject(new CancelledError(reason));
      child.result.reject(new CancelledError(reason));
    }
  }

  private take(seq: number): PendingChild | undefined {
    const child = this.pending.get(seq);
    this.pending.delete(seq);
    return child;
  }
}
