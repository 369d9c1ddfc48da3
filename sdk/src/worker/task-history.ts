import type { HistoryEvent } from "../protocol/history.ts";
import type { WorkflowTask } from "../protocol/tasks.ts";
import { canContinue, type WorkflowState } from "../workflow/activate.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import type { WorkerApi } from "./api.ts";

/**
 * The history to activate a task with. A task whose run has a large history carries only its
 * newest events (WorkflowTask.history); then a worker that has the run cached reads only what lies
 * between what its cache consumed and those events (usually nothing), and any other worker — or a
 * query, which always replays — reads every earlier event, in pages.
 * @example
 * const history = await historyForTask(task, def, cache.take(key), api, signal);
 */
export async function historyForTask(
  task: WorkflowTask,
  definition: WorkflowDefinition,
  cached: WorkflowState | undefined,
  api: WorkerApi,
  signal?: AbortSignal,
): Promise<readonly HistoryEvent[]> {
  let history: readonly HistoryEvent[] = task.history;
  const first = history[0]?.id ?? 1;
  if (first <= 1) return history;
  if (cached !== undefined && cached.consumed >= 1 && cached.consumed < first) {
    history = (await api.historyBefore(task.task_token, cached.consumed, first, signal)).concat(history);
  }
  if (cached !== undefined && canContinue(cached, definition, history)) return history;
  return (await api.historyBefore(task.task_token, 1, history[0]!.id, signal)).concat(history);
}
