import type { Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { splitActivations } from "./history-batches.ts";
import { WorkflowInstance } from "./instance.ts";
import { consoleLogSink, type LogSink } from "./logger.ts";

/**
 * A run's live state after a workflow task: the workflow instance with its pending promises, and
 * how much history it has consumed. Opaque: keep it and pass it back to {@link activate} with the
 * run's next task to skip the replay.
 */
export type WorkflowState = WorkflowInstance;

/** Options of {@link activate}. */
export interface ActivateOptions {
  /** The execution id (history does not record it); default: the run id. */
  executionId?: string;
  /** Where `ctx.log` writes (default: the console). */
  logSink?: LogSink;
  /** The task's continue-as-new suggestion, used when its `workflow_task_started` does not record one. */
  continueAsNewSuggested?: boolean;
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
 * feeding it only the new events is equivalent to a full replay.
 */
export function canContinue(cached: WorkflowState, definition: WorkflowDefinition, history: readonly HistoryEvent[]): boolean {
  if (cached.closed || cached.broken || cached.definition !== definition) return false;
  const first = history[0];
  if (first?.type !== "execution_started" || first.run_id !== cached.label.runId) return false;
  if (history.length <= cached.consumed || cached.lastEvent === undefined) return false;
  const last = history[cached.consumed - 1];
  if (last === undefined || last.id !== cached.lastEvent.id || last.type !== cached.lastEvent.type) return false;
  // The task the cache answered must have been completed: a failed or timed-out one means the
  // commands it produced were never recorded, and the next attempt saw a merged batch.
  for (let i = cached.consumed; i < history.length; i++) {
    const type = history[i]!.type;
    if (type === "workflow_task_completed") return true;
    if (type === "workflow_task_failed" || type === "workflow_task_timed_out" || type === "workflow_task_started") return false;
  }
  return false;
}

/**
 * The deterministic runtime's entry point. Replays `history` (a workflow task's whole history, up
 * to and including its `workflow_task_started`) batch by batch: the events of each batch resolve
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
    events = history.slice(cached.consumed);
  } else {
    const first = history[0];
    if (first?.type !== "execution_started") {
      throw new Error(`history of a workflow task must start with execution_started, got ${first === undefined ? "no events" : `${first.type} (event ${first.id})`}`);
    }
    if (first.workflow !== definition.name) {
      throw new Error(`history is of workflow "${first.workflow}" but the definition is "${definition.name}"`);
    }
    instance = new WorkflowInstance(definition, first, { executionId: options.executionId ?? first.run_id, logSink: options.logSink ?? consoleLogSink });
    events = history;
  }
  let commands: Command[] = [];
  try {
    for (const activation of splitActivations(events)) {
      const emitted = await instance.process(activation, options.continueAsNewSuggested ?? false);
      if (activation.started !== null && !activation.replay) commands = emitted;
    }
  } catch (err) {
    instance.broken = true;
    throw err;
  }
  return { commands, state: instance, fromCache };
}
