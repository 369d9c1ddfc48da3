import { SundialApiError } from "../client/errors.ts";
import type { WorkflowTask } from "../protocol/tasks.ts";
import { activate, type WorkflowState } from "../workflow/activate.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import { ApplicationFailure, NonDeterminismError } from "../workflow/errors.ts";
import { errorToFailure } from "../workflow/failure-convert.ts";
import type { LogSink } from "../workflow/logger.ts";
import type { WorkerApi } from "./api.ts";
import type { WorkerLogger } from "./logger.ts";
import type { LruCache } from "./lru-cache.ts";

/** What processing workflow tasks needs. */
export interface WorkflowRunnerDeps {
  workflows: ReadonlyMap<string, WorkflowDefinition>;
  api: WorkerApi;
  logger: WorkerLogger;
  cache: LruCache<string, WorkflowState>;
  identity: string;
  taskQueue: string;
  /** Aborted when the worker gives up on reporting (end of the shutdown grace period). */
  hardStop: AbortSignal;
}

/**
 * Processes one workflow task: continues the run's cached state when it is a prefix of the task's
 * history (else replays it), completes the task with the new commands, and caches the state again
 * once the platform accepted them. A non-determinism error — or any failure of the runtime itself —
 * fails the workflow TASK (the platform retries it; the run is untouched), never the run.
 */
export async function processWorkflowTask(task: WorkflowTask, deps: WorkflowRunnerDeps): Promise<void> {
  const { api, logger, cache, hardStop } = deps;
  const fields = { workflow: task.workflow, execution_id: task.execution_id, run_id: task.run_id };
  const def = deps.workflows.get(task.workflow);
  if (def === undefined) {
    const failure = errorToFailure(new ApplicationFailure(`workflow "${task.workflow}" is not registered on worker ${deps.identity} (task queue ${deps.taskQueue})`, { type: "WorkflowNotRegistered" }));
    await api.failWorkflowTask(task.task_token, failure, hardStop);
    return;
  }
  const key = `${task.execution_id}\u0000${task.run_id}`;
  const cached = cache.take(key);
  const logSink: LogSink = (level, message, attributes) => logger[level](message, attributes);
  let result;
  try {
    result = await activate(def, task.history, cached, { executionId: task.execution_id, logSink, continueAsNewSuggested: task.continue_as_new_suggested });
  } catch (err) {
    if (err instanceof NonDeterminismError) logger.error("non-determinism: failing the workflow task", { ...fields, event_id: err.eventId, message: err.message });
    else logger.error("workflow task failed in the runtime", { ...fields, error: err });
    await api.failWorkflowTask(task.task_token, errorToFailure(err), hardStop);
    return;
  }
  logger.debug?.("workflow task processed", { ...fields, from_cache: result.fromCache, commands: result.commands.length });
  let outcome;
  try {
    outcome = await api.completeWorkflowTask(task.task_token, result.commands, hardStop);
  } catch (err) {
    if (!(err instanceof SundialApiError) || err.transient) throw err;
    // The commands were refused (e.g. a cancel that raced with the activity finishing): fail the
    // task now so the platform retries it with the newer history, instead of waiting for its timeout.
    logger.error("the platform refused the workflow task's commands; failing the task so it is retried", { ...fields, code: err.code, detail: err.detail, field: err.field });
    const failure = new ApplicationFailure(`the platform refused the commands: ${err.detail}`, { type: "CommandsRejected", details: { status: err.status, code: err.code, field: err.field } });
    await api.failWorkflowTask(task.task_token, errorToFailure(failure), hardStop);
    return;
  }
  if (outcome !== "stale" && !result.state.closed) cache.set(key, result.state);
}
