import { SundialApiError } from "../client/errors.ts";
import type { Failure } from "../protocol/failure.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import type { WorkflowTask } from "../protocol/tasks.ts";
import { activate, queryWorkflow, type WorkflowState } from "../workflow/activate.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import { ApplicationFailure, NonDeterminismError } from "../workflow/errors.ts";
import { errorToFailure } from "../workflow/failure-convert.ts";
import type { LogSink } from "../workflow/logger.ts";
import type { Completion, WorkerApi } from "./api.ts";
import type { EagerDispatch } from "./eager.ts";
import type { WorkerLogger } from "./logger.ts";
import type { LruCache } from "./lru-cache.ts";
import { historyForTask } from "./task-history.ts";

/** What processing workflow tasks needs. */
export interface WorkflowRunnerDeps {
  workflows: ReadonlyMap<string, WorkflowDefinition>;
  /** The activities this worker runs: one its workflows schedule on its queue without running it is worth a warning (absent: no check). */
  activities?: ReadonlyMap<string, unknown>;
  api: WorkerApi;
  logger: WorkerLogger;
  cache: LruCache<string, WorkflowState>;
  identity: string;
  taskQueue: string;
  /** Aborted when the worker gives up on reporting (end of the shutdown grace period). */
  hardStop: AbortSignal;
  /** Eager dispatch: offer free activity slots with the completion and run what it hands back (absent: never offered). */
  eager?: EagerDispatch;
}

/** What the worker tracks of a workflow task it runs, for shutdown (see `runWorker`). */
export interface WorkflowTaskProgress {
  /** Set once the task's outcome is being reported: shutdown then lets it through rather than handing the task back. */
  reporting: boolean;
  /** Set when shutdown handed the task back: its own outcome is then never reported. */
  abandoned: boolean;
}

/**
 * Processes one workflow task: continues the run's cached state when it is a prefix of the task's
 * history (else replays it), answers the updates it offers (validators run on the state after the
 * activation), completes the task with the new commands, and caches the state again once the
 * platform accepted them. With `deps.eager`, the completion offers the activity slots free for the
 * activities it schedules, and runs the activity tasks it hands back. A non-determinism error — or any failure of the runtime itself — fails
 * the workflow TASK (the platform retries it; the run is untouched), never the run; commands the
 * platform refuses as too large (413) terminate the run, since every retry would produce them again. A
 * query task (`task.query`) is handed to {@link processQueryTask}.
 */
export async function processWorkflowTask(task: WorkflowTask, deps: WorkflowRunnerDeps, progress: WorkflowTaskProgress = { reporting: false, abandoned: false }): Promise<void> {
  if (task.query !== undefined) return processQueryTask(task, task.query, deps);
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
  const history = await readHistory(task, def, cached, deps);
  if (history === null) return;
  const logSink: LogSink = (level, message, attributes) => logger[level](message, attributes);
  let result;
  try {
    result = await activate(def, history, cached, {
      executionId: task.execution_id,
      runId: task.run_id,
      runNumber: task.run_number ?? 1,
      logSink,
      continueAsNewSuggested: task.continue_as_new_suggested,
      ...(task.updates === undefined ? {} : { updates: task.updates }),
    });
  } catch (err) {
    if (progress.abandoned) return;
    progress.reporting = true;
    if (err instanceof NonDeterminismError) logger.error("non-determinism: failing the workflow task", { ...fields, event_id: err.eventId, message: err.message });
    else logger.error("workflow task failed in the runtime", { ...fields, error: err });
    await api.failWorkflowTask(task.task_token, errorToFailure(err), hardStop);
    return;
  }
  // Handed back at shutdown while it ran (a slow step): another worker has the task now.
  if (progress.abandoned) return;
  progress.reporting = true;
  logger.debug?.("workflow task processed", { ...fields, from_cache: result.fromCache, commands: result.commands.length });
  warnUnrunActivities(result.commands, task.workflow, deps);
  const reserved = deps.eager?.reserveActivitySlots(result.commands) ?? [];
  let completion: Completion;
  try {
    completion = await api.completeWorkflowTask(task.task_token, result.commands, hardStop, reserved.length > 0 ? { slots: reserved.length, identity: deps.identity } : undefined);
  } catch (err) {
    for (const release of reserved) release();
    if (!(err instanceof SundialApiError) || err.transient) throw err;
    if (err.status === 413) {
      // Too large for the platform: every retry would compute the same commands (and run the
      // task's steps again), so the run is terminated instead, saying what was too large. Not a
      // fail_workflow command: the code never emitted one, and replays (queries) must still match.
      logger.error("the workflow task's commands are too large for the platform; terminating the run", { ...fields, detail: err.detail, field: err.field });
      const failure = new ApplicationFailure(`the workflow task's commands were refused as too large (${err.detail}); pass large data by reference (a URL or a key), not through results, inputs or step values`, { type: "PayloadTooLarge", nonRetryable: true, details: { field: err.field } });
      await api.failWorkflowTask(task.task_token, errorToFailure(failure), hardStop, true);
      return;
    }
    // The commands were refused (e.g. a cancel that raced with the activity finishing): fail the
    // task now so the platform retries it with the newer history, instead of waiting for its timeout.
    logger.error("the platform refused the workflow task's commands; failing the task so it is retried", { ...fields, code: err.code, detail: err.detail, field: err.field });
    const failure = new ApplicationFailure(`the platform refused the commands: ${err.detail}`, { type: "CommandsRejected", details: { status: err.status, code: err.code, field: err.field } });
    await api.failWorkflowTask(task.task_token, errorToFailure(failure), hardStop);
    return;
  }
  if (completion.outcome !== "stale" && !result.state.closed) cache.set(key, result.state);
  deps.eager?.runActivityTasks(completion.activityTasks, reserved);
}

/**
 * Answers a query task: replays its history into a fresh instance (never the run's cached state,
 * which stays untouched for the run's next real task), runs the query handler read-only and sends
 * the result — or the failure: unknown workflow or query, the handler's error, non-determinism, a
 * result that is not JSON — through `query/respond`. A query task is never completed or failed.
 */
export async function processQueryTask(task: WorkflowTask, query: NonNullable<WorkflowTask["query"]>, deps: WorkflowRunnerDeps): Promise<void> {
  const { api, logger, hardStop } = deps;
  const fields = { workflow: task.workflow, execution_id: task.execution_id, run_id: task.run_id, query: query.name, query_id: query.query_id };
  const def = deps.workflows.get(task.workflow);
  let answer: { result?: unknown; failure?: Failure };
  if (def === undefined) {
    answer = { failure: errorToFailure(new ApplicationFailure(`workflow "${task.workflow}" is not registered on worker ${deps.identity} (task queue ${deps.taskQueue})`, { type: "WorkflowNotRegistered" })) };
  } else {
    const history = await readHistory(task, def, undefined, deps);
    if (history === null) return;
    const logSink: LogSink = (level, message, attributes) => logger[level](message, attributes);
    try {
      const result = await queryWorkflow(def, history, { name: query.name, input: query.input }, { executionId: task.execution_id, runId: task.run_id, runNumber: task.run_number ?? 1, logSink, continueAsNewSuggested: task.continue_as_new_suggested });
      answer = jsonAnswer(result, query.name);
    } catch (err) {
      if (err instanceof NonDeterminismError) logger.error("non-determinism while replaying for a query", { ...fields, event_id: err.eventId, message: err.message });
      answer = { failure: errorToFailure(err) };
    }
  }
  logger.debug?.("query task processed", { ...fields, failed: answer.failure !== undefined });
  try {
    await api.respondQuery(task.task_token, answer, hardStop);
  } catch (err) {
    if (!(err instanceof SundialApiError) || err.transient || answer.failure !== undefined) throw err;
    // The result was refused (e.g. 413): the caller still gets an answer, a failure naming why.
    logger.error("the platform refused a query result; answering with a failure", { ...fields, code: err.code, detail: err.detail });
    const failure = new ApplicationFailure(`the platform refused the query result: ${err.detail}`, { type: "ResultRejected", nonRetryable: true, details: { status: err.status, code: err.code } });
    await api.respondQuery(task.task_token, { failure: errorToFailure(failure) }, hardStop);
  }
}

/** The task's whole history (see historyForTask), or null when its run moved on meanwhile (409/404: the task is dropped). */
async function readHistory(task: WorkflowTask, def: WorkflowDefinition, cached: WorkflowState | undefined, deps: WorkflowRunnerDeps): Promise<readonly HistoryEvent[] | null> {
  try {
    return await historyForTask(task, def, cached, deps.api, deps.hardStop);
  } catch (err) {
    if (!(err instanceof SundialApiError) || (err.code !== "stale_task" && err.code !== "task_not_found")) throw err;
    deps.logger.info("dropped a task: its run moved on while its history was read", { workflow: task.workflow, execution_id: task.execution_id, run_id: task.run_id, code: err.code });
    return null;
  }
}

/** A query result must survive JSON: a cycle or a BigInt becomes a failure, not a crashed request. */
function jsonAnswer(result: unknown, queryName: string): { result?: unknown; failure?: Failure } {
  if (result === undefined) return {};
  try {
    JSON.stringify(result);
    return { result };
  } catch (err) {
    const message = `query handler "${queryName}" returned a value that is not JSON: ${err instanceof Error ? err.message : String(err)}`;
    return { failure: errorToFailure(new ApplicationFailure(message, { type: "InvalidQueryResult", nonRetryable: true })) };
  }
}

const warnedActivities = new WeakMap<WorkflowRunnerDeps, Set<string>>();

/**
 * Warns (once per activity type and worker) when a workflow schedules, on this worker's queue, an
 * activity this worker does not run: it waits for another worker that registered it, and with
 * none it waits until a timeout, which otherwise looks like a hang.
 */
function warnUnrunActivities(commands: readonly { type: string; activity_type?: string; options?: { task_queue?: string } }[], workflow: string, deps: WorkflowRunnerDeps): void {
  for (const c of commands) {
    if (c.type !== "schedule_activity" || c.activity_type === undefined || deps.activities === undefined || deps.activities.has(c.activity_type)) continue;
    if ((c.options?.task_queue ?? deps.taskQueue) !== deps.taskQueue) continue;
    let warned = warnedActivities.get(deps);
    if (!warned) warnedActivities.set(deps, (warned = new Set()));
    if (warned.has(c.activity_type)) continue;
    warned.add(c.activity_type);
    deps.logger.warn(
      `workflow "${workflow}" scheduled activity "${c.activity_type}" on task queue ${deps.taskQueue}, which this worker does not run: it waits for a worker that registered it (list it in runWorker's activities, or in the workflow's own activities)`,
      { workflow, activity_type: c.activity_type, task_queue: deps.taskQueue },
    );
  }
}
