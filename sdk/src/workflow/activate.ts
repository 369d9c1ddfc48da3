import type { Command } from "../protocol/commands.ts";
import type { EventOf, HistoryEvent } from "../protocol/history.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import type { OfferedUpdate } from "./handlers.ts";
import { activationsForQuery, recordedCommandsOf, splitActivations } from "./history-batches.ts";
import { WorkflowInstance } from "./instance.ts";
import { consoleLogSink, type LogSink } from "./logger.ts";

/** Commands that end a run: the platform refuses any command after one of them. */
const CLOSING_COMMANDS: ReadonlySet<string> = new Set<string>(["complete_workflow", "fail_workflow", "cancel_workflow", "continue_as_new"]);

/**
 * A run's live state after a workflow task: the workflow instance with its pending promises, and
 * how much history it has consumed. Opaque: keep it and pass it back to {@link activate} with the
 * run's next task to skip the replay.
 */
export type WorkflowState = WorkflowInstance;

/** Options of {@link activate}. */
export interface ActivateOptions {
  /** The execution id; default: the one `execution_started` records, else the run id. */
  executionId?: string;
  /**
   * The task's run id (`WorkflowTask.run_id`), what `ctx.runId` says; default: the one
   * `execution_started` records. They differ after a reset, whose kept history starts with the
   * original run's event (its run id still seeds `ctx.random()`, so the replay sees the same values).
   */
  runId?: string;
  /**
   * The run's number (`WorkflowTask.run_number`; default 1): 1, then +1 with each continue-as-new
   * or reset, and with a start that uses the execution id again once its last run closed. Default
   * child ids include it from run 2 on, as the platform names them.
   */
  runNumber?: number;
  /** Where `ctx.log` writes (default: the console). */
  logSink?: LogSink;
  /** The task's continue-as-new suggestion, used when its `workflow_task_started` does not record one. */
  continueAsNewSuggested?: boolean;
  /**
   * The updates the task offers (`WorkflowTask.updates`): after the activation each one's validator
   * runs against the current state and the commands end with an `accept_update` or
   * `reject_update` per update (none for an update history already records as accepted, and none
   * at all when the task closes the run: the platform fails them, or offers them to the next run).
   */
  updates?: readonly OfferedUpdate[];
}

/** What {@link activate} returns. */
export interface ActivationResult {
  /** The commands of the task being processed: only the new ones, never the replayed ones. */
  commands: Command[];
  /** State to cache for the run's next task (worthless once `state.closed`). */
  state: WorkflowState;
  /** True when the cached state was continued; false when history was replayed from the start. */
  fromCache: boolean;
}

/**
 * Whether `cached` has consumed exactly a prefix of `history` and its last task was completed, so
 * feeding it only the new events is equivalent to a full replay. `history` may start after event 1
 * (a task that carries only its newest events): it must then reach back to the last event the
 * cache consumed, and the caller vouches that the cache is this run's (the worker keys it by run id).
 */
export function canContinue(cached: WorkflowState, definition: WorkflowDefinition, history: readonly HistoryEvent[]): boolean {
  if (cached.closed || cached.broken || cached.definition !== definition) return false;
  const first = history[0];
  if (first === undefined) return false;
  const offset = first.id - 1;
  if (offset === 0 && (first.type !== "execution_started" || first.run_id !== cached.startedRunId)) return false;
  const lastIndex = cached.consumed - 1 - offset;
  if (lastIndex < 0 || history.length <= lastIndex + 1 || cached.lastEvent === undefined) return false;
  const last = history[lastIndex];
  if (last === undefined || last.id !== cached.lastEvent.id || last.type !== cached.lastEvent.type) return false;
  // The task the cache answered must have been completed: a failed or timed-out one means the
  // commands it produced were never recorded, and the next attempt saw a merged batch.
  for (let i = lastIndex + 1; i < history.length; i++) {
    const type = history[i]!.type;
    if (type === "workflow_task_completed") return true;
    if (type === "workflow_task_failed" || type === "workflow_task_timed_out" || type === "workflow_task_started") return false;
  }
  return false;
}

/**
 * The deterministic runtime's entry point. Replays `history` (a workflow task's history, up to and
 * including its `workflow_task_started`; from event 1 unless `cached` continues it) batch by batch: the events of each batch resolve
 * the workflow's pending promises in event order, the workflow runs until it blocks, and the
 * commands it emits are matched position by position against the command events history recorded
 * for that batch. Returns only the new commands, those of the last batch.
 *
 * With `cached` (the state returned for the run's previous task) whose consumed events are a
 * prefix of `history`, only the new events are fed; otherwise the history is replayed in full.
 *
 * Throws {@link NonDeterminismError} when the code and the history disagree; the worker then fails
 * the workflow task (the run itself is untouched).
 * @example
 * const { commands, state } = await activate(hello, task.history, cache.get(task.run_id), { executionId: task.execution_id });
 */
export async function activate(
  definition: WorkflowDefinition,
  history: readonly HistoryEvent[],
  cached?: WorkflowState,
  options: ActivateOptions = {},
): Promise<ActivationResult> {
  const fromCache = cached !== undefined && canContinue(cached, definition, history);
  let instance: WorkflowInstance;
  let events: readonly HistoryEvent[];
  if (fromCache) {
    instance = cached;
    events = history.slice(cached.consumed - (history[0]!.id - 1));
  } else {
    const first = history[0];
    if (first?.type !== "execution_started") {
      throw new Error(`history of a workflow task must start with execution_started, got ${first === undefined ? "no events" : `${first.type} (event ${first.id})`}; a task that carries only its newest events needs the earlier ones (WorkerApi.historyBefore) or the state cached for its run`);
    }
    if (first.workflow !== definition.name) {
      throw new Error(`history is of workflow "${first.workflow}" but the definition is "${definition.name}"`);
    }
    instance = newInstance(definition, first, options);
    events = history;
  }
  instance.knowRecordedSteps(events);
  let commands: Command[] = [];
  try {
    let live = false;
    const activations = splitActivations(events);
    for (const [i, activation] of activations.entries()) {
      const emitted = await instance.process(activation, options.continueAsNewSuggested ?? false, recordedCommandsOf(activations[i + 1]));
      if (activation.started !== null && !activation.replay) {
        commands = emitted;
        live = true;
      }
    }
    // Validators see the state after this task's activation. Their answers are not command events
    // (the platform writes update_accepted after the task's other events), so they never take part
    // in matching; they go last. A task that closes the run leaves them unanswered: accepting one
    // would start a handler in a run that is over, and refusing it would tell its caller the input
    // was wrong. The platform fails them for their callers (409 execution_closed), or offers them
    // to the next run after a continue-as-new (Temporal's rules).
    const last = commands[commands.length - 1];
    const closing = last !== undefined && CLOSING_COMMANDS.has(last.type);
    if (live && options.updates !== undefined && options.updates.length > 0 && !closing) {
      commands = [...commands, ...instance.answerUpdates(options.updates)];
    }
  } catch (err) {
    instance.broken = true;
    throw err;
  }
  return { commands, state: instance, fromCache };
}

/** A query, as a query task carries it. */
export interface QueryRequestInfo {
  name: string;
  input?: unknown;
}

/**
 * Answers a query: replays `history` (of a running or a closed run) into a fresh instance without
 * emitting anything — every batch, the one of a workflow task still in progress included, runs as
 * a replay, and replay stops there: what was recorded after an in-flight task started waits for the
 * next task (see {@link activationsForQuery}) — then runs the query handler on that state, read-only. Returns the handler's result;
 * throws what it throws, an `UnknownQuery` ApplicationFailure, or a {@link NonDeterminismError}.
 * Never touches a cached state (it builds its own instance), so it cannot corrupt a run's cache.
 * @example
 * const status = await queryWorkflow(invoiceApproval, task.history, { name: "get_status" }, { executionId: task.execution_id });
 */
export async function queryWorkflow(definition: WorkflowDefinition, history: readonly HistoryEvent[], query: QueryRequestInfo, options: Omit<ActivateOptions, "updates"> = {}): Promise<unknown> {
  const first = history[0];
  if (first?.type !== "execution_started") {
    throw new Error(`history of a query task must start with execution_started, got ${first === undefined ? "no events" : `${first.type} (event ${first.id})`}`);
  }
  if (first.workflow !== definition.name) {
    throw new Error(`history is of workflow "${first.workflow}" but the definition is "${definition.name}"`);
  }
  const instance = newInstance(definition, first, options);
  const activations = activationsForQuery(history);
  instance.knowRecordedSteps(activations.flatMap((a) => a.events));
  for (const [i, activation] of activations.entries()) {
    // A task still in flight has no recorded commands yet: its patch calls answer as it will live.
    const next = activations[i + 1];
    await instance.process({ ...activation, replay: true }, options.continueAsNewSuggested ?? false, next === undefined && !activation.replay ? null : recordedCommandsOf(next));
  }
  // A run whose first workflow task has not been processed yet still answers from its initial state.
  await instance.ensureRunning();
  return instance.runQuery(query.name, query.input);
}

/** A run's instance from its `execution_started` event and the task's options. */
function newInstance(definition: WorkflowDefinition, first: EventOf<"execution_started">, options: Omit<ActivateOptions, "updates">): WorkflowInstance {
  return new WorkflowInstance(definition, first, {
    executionId: options.executionId ?? first.execution_id ?? first.run_id,
    runId: options.runId ?? first.run_id,
    runNumber: options.runNumber ?? 1,
    logSink: options.logSink ?? consoleLogSink,
  });
}
