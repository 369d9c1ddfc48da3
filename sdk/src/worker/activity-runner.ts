import { SundialApiError } from "../client/errors.ts";
import type { ActivityTask } from "../protocol/tasks.ts";
import type { Failure } from "../protocol/failure.ts";
import type { ActivityContext, ActivityInfo, AnyActivityDefinition } from "../workflow/define-activity.ts";
import { ApplicationFailure, TimeoutFailure } from "../workflow/errors.ts";
import { errorToFailure } from "../workflow/failure-convert.ts";
import type { Completion, WorkerApi } from "./api.ts";
import type { EagerDispatch } from "./eager.ts";
import { Heartbeater, heartbeatIntervalMs } from "./heartbeater.ts";
import { checkPayload } from "../workflow/payload-limits.ts";
import { safeParseInput } from "../workflow/input-schema.ts";
import type { WorkerLogger } from "./logger.ts";

/** A running activity task, as the worker tracks it for shutdown. */
export interface InFlightActivity {
  readonly task: ActivityTask;
  readonly controller: AbortController;
  /** Set when shutdown already failed the task: the attempt's own outcome is then not reported. */
  abandoned: boolean;
  /** Set once the activity function settled: its outcome is being reported, it is not handed back. */
  finished: boolean;
  /** Settles once the attempt finished and its outcome was reported (never rejects). */
  readonly done: Promise<void>;
  /**
   * Hands the attempt back (shutdown): aborts `ctx.signal` with `reason`, and stops its heartbeats
   * and its start-to-close timer, so an activity that ignores the signal leaves nothing running
   * in the stopped worker but itself; its outcome is never reported.
   */
  abandon(reason: Error): void;
  /** Sends the heartbeat details still waiting for their throttled slot (see Heartbeater.flush), bounded by `signal`. */
  flushHeartbeat(signal: AbortSignal): Promise<void>;
}

/** What runAttempt shares with its entry: the flags, and how to silence the attempt once handed back. */
interface AttemptState {
  abandoned: boolean;
  finished: boolean;
  silence: () => void;
  flushHeartbeat: (signal: AbortSignal) => Promise<void>;
}

/** What running an activity needs. */
export interface ActivityRunnerDeps {
  activities: ReadonlyMap<string, AnyActivityDefinition>;
  api: WorkerApi;
  logger: WorkerLogger;
  taskQueue: string;
  identity: string;
  /** Aborted when the worker gives up on reporting (end of the shutdown grace period). */
  hardStop: AbortSignal;
  /** Eager dispatch: offer a free workflow task slot with the result and run the task it hands back (absent: never offered). */
  eager?: EagerDispatch;
}

/**
 * Runs one activity attempt: parses its input, calls `run` with a context whose signal aborts on
 * cancellation, start-to-close timeout or shutdown, heartbeats while it runs, then reports the
 * result or the failure (an `ApplicationFailure` keeps its type and retry flag). With `deps.eager`
 * and a free workflow task slot, the result offers it, and the workflow task the platform hands
 * back (the run's next one) runs on it.
 */
export function startActivityTask(task: ActivityTask, deps: ActivityRunnerDeps): InFlightActivity {
  const controller = new AbortController();
  const entry: AttemptState = { abandoned: false, finished: false, silence: () => {}, flushHeartbeat: async () => {} };
  const done = runAttempt(task, deps, controller, entry).catch((err: unknown) => {
    deps.logger.error(`could not report activity "${task.activity_type}"`, { execution_id: task.execution_id, seq: task.seq, error: err });
  });
  const abandon = (reason: Error) => {
    entry.abandoned = true;
    entry.silence();
    controller.abort(reason);
  };
  return Object.assign(entry, { task, controller, done, abandon });
}

async function runAttempt(task: ActivityTask, deps: ActivityRunnerDeps, controller: AbortController, entry: AttemptState): Promise<void> {
  const { api, hardStop } = deps;
  const def = deps.activities.get(task.activity_type);
  if (def === undefined) {
    const failure = errorToFailure(new ApplicationFailure(`activity "${task.activity_type}" is not registered on worker ${deps.identity} (task queue ${deps.taskQueue})`, { type: "ActivityNotRegistered" }));
    await api.failActivityTask(task.task_token, failure, hardStop);
    return;
  }
  const intervalMs = heartbeatIntervalMs(task.heartbeat_timeout);
  const heartbeater = new Heartbeater({
    intervalMs,
    // A hung request must not stall heartbeating: the next beat waits for this one to settle.
    // Nor outlast the interval: with a 5 s heartbeat timeout, a request held 10 s lost the attempt.
    send: (details, signal) => api.heartbeat(task.task_token, details, AbortSignal.any([hardStop, signal ?? AbortSignal.timeout(Math.max(intervalMs, 1_000))])),
    onCancel: (reason) => controller.abort(reason),
    logger: deps.logger,
  });
  const clearDeadline = longTimeout(() => controller.abort(new TimeoutFailure("start_to_close")), task.start_to_close_timeout * 1000);
  entry.silence = () => {
    heartbeater.stop();
    clearDeadline();
  };
  entry.flushHeartbeat = (signal) => heartbeater.flush(signal);
  const info: ActivityInfo = {
    workflow: task.workflow,
    executionId: task.execution_id,
    runId: task.run_id,
    activityType: task.activity_type,
    seq: task.seq,
    attempt: task.attempt,
    heartbeatTimeout: task.heartbeat_timeout,
    startToCloseTimeout: task.start_to_close_timeout,
    heartbeatDetails: task.heartbeat_details,
    taskQueue: deps.taskQueue,
  };
  const ctx: ActivityContext = Object.freeze({
    attempt: task.attempt,
    executionId: task.execution_id,
    activityType: task.activity_type,
    info: Object.freeze(info),
    signal: controller.signal,
    heartbeat: (details?: unknown) => {
      // A snapshot: details changed (or grown past the limit) after this call are not what is sent.
      const json = checkPayload(details, "heartbeat details");
      heartbeater.record(json === undefined ? undefined : JSON.parse(json));
    },
  });
  let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
  try {
    const input = def.input === undefined ? task.input : parseActivityInput(def, task.input);
    outcome = { ok: true, result: await def.run(input, ctx) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    heartbeater.stop();
    clearDeadline();
    if (!entry.abandoned) entry.finished = true;
  }
  if (entry.abandoned) return;
  if (outcome.ok) {
    // A result the platform would refuse fails the attempt here, for good: not JSON (a BigInt, a
    // cycle), it could not even be sent, and the report would be retried as a connection error.
    try {
      checkPayload(outcome.result, `the result of activity "${task.activity_type}"`);
    } catch (error) {
      outcome = { ok: false, error };
    }
  }
  if (!outcome.ok) {
    // Progress recorded just before the failure, still waiting for its throttled slot, goes first: the retry resumes from it.
    await heartbeater.flush();
    await reportFailure(api, task.task_token, errorToFailure(outcome.error), hardStop);
    return;
  }
  const slot = deps.eager?.reserveWorkflowSlot(task.workflow) ?? null;
  let completion: Completion;
  try {
    completion = await api.completeActivityTask(task.task_token, outcome.result, hardStop, slot ? { identity: deps.identity } : undefined);
  } catch (err) {
    slot?.();
    if (!(err instanceof SundialApiError) || err.transient) throw err;
    // The result itself was refused (too large, not JSON): retrying would produce it again.
    const failure = ApplicationFailure.nonRetryable(`the platform refused the activity's result: ${err.detail}`, "ResultRejected", { status: err.status, code: err.code });
    await api.failActivityTask(task.task_token, errorToFailure(failure), hardStop);
    return;
  }
  if (slot) deps.eager!.runWorkflowTask(completion.workflowTask, slot);
}

/**
 * Reports a failed attempt. A failure the platform refuses (its details or cause too large) is
 * reported again as its message and type alone, so the attempt still ends now, with its retry
 * policy, instead of waiting for its timeout.
 */
async function reportFailure(api: WorkerApi, token: string, failure: Failure, hardStop: AbortSignal): Promise<void> {
  try {
    await api.failActivityTask(token, failure, hardStop);
  } catch (err) {
    if (!(err instanceof SundialApiError) || err.status !== 413) throw err;
    await api.failActivityTask(token, { message: failure.message.slice(0, 4_096), type: failure.type, non_retryable: failure.non_retryable, details: { refused: err.code } }, hardStop);
  }
}

function parseActivityInput(def: AnyActivityDefinition, raw: unknown): unknown {
  const parsed = safeParseInput(def.input!, raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "input"}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`invalid input for activity "${def.name}": ${issues.join("; ")}`, "InvalidInput", { issues });
}

/** The longest delay setTimeout honours (2^31 − 1 ms, ~24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout for any delay (a start-to-close timeout of 30 days, say), chained past MAX_TIMER_MS. Returns the clear. */
export function longTimeout(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()), Math.min(left, MAX_TIMER_MS));
  };
  arm(ms);
  return () => clearTimeout(timer);
}
