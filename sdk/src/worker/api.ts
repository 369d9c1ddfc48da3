import { backoffDelay, sleep } from "../client/backoff.ts";
import { isTransient, retryDelay, SundialApiError } from "../client/errors.ts";
import { parse } from "../client/parse-response.ts";
import type { HttpResponse, HttpTransport } from "../client/http.ts";
import type { Command } from "../protocol/commands.ts";
import { HistoryPage } from "../protocol/execution.ts";
import type { Failure } from "../protocol/failure.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { HeartbeatResponse, MAX_POLL_TYPES, Task, TaskCompletionResponse, type ActivityTask, type RegisterWorkerRequest, type WorkflowTask } from "../protocol/tasks.ts";
import type { WorkerLogger } from "./logger.ts";

/** How a completion ended: applied (`accepted`, or `duplicate` if it already was), or dropped as `stale`. */
export type CompletionOutcome = "accepted" | "duplicate" | "stale";

/** A completion's outcome, and the tasks it handed back to this worker (eager dispatch; empty unless slots were offered). */
export interface Completion {
  outcome: CompletionOutcome;
  activityTasks: ActivityTask[];
  workflowTask: WorkflowTask | undefined;
}

const TASKS = "/v1/workflows/tasks";

/** The hold the platform gives a poll that asks for none, and the longest it gives any. */
export const PLATFORM_POLL_HOLD_SECONDS = 30;

/**
 * How long past the hold it asked for a poll waits for its answer before it is given up as a
 * transient failure (a hung platform, a black-holed connection). Generous: a task handed to a poll
 * given up at that moment waits for the platform's re-dispatch.
 */
export const POLL_ANSWER_MARGIN_MS = 5_000;

/**
 * How long a poll whose answer's headers arrived may still read its body once shutdown aborts it:
 * the platform's delivery-ack timeout (it hands the task out again 5 s after the lease when it
 * has heard nothing), past which reading on would only bring a task already re-dispatched.
 */
export const POLL_BODY_GRACE_MS = 5_000;

/** The longest any other request (registration, completion, acknowledgement, history read) may take before it is given up as transient and retried. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Retry settings for calls that must get through (registration, completions). */
export interface RetrySettings {
  initialMs: number;
  maxMs: number;
  /** Attempts before giving up (Infinity: until `signal` aborts). */
  attempts: number;
}

/**
 * The worker's side of the task protocol over the shared transport. Completions are retried on
 * transient failures (they are idempotent on the platform); a 409 `stale_task` (the task timed out
 * and was leased again, or it would have closed the run over events that arrived while it ran) or
 * a 404 `task_not_found` is logged and dropped. Any other refusal (422
 * invalid command, 413 payload too large) is thrown for the caller to turn into a failure.
 */
export class WorkerApi {
  private readonly http: HttpTransport;
  private readonly logger: WorkerLogger;
  private readonly retry: RetrySettings;
  /** False once the platform refused a poll's `types` (it predates routing by type). */
  private typedPolls = true;

  constructor(http: HttpTransport, logger: WorkerLogger, retry: RetrySettings) {
    this.http = http;
    this.logger = logger;
    this.retry = retry;
  }

  /**
   * Retries `call` on transient errors with backoff; other errors and aborts propagate. Only
   * `leaseFree` calls (registration) wait out a 503's `Retry-After`, as polls do (see `pollLoop`):
   * the others carry work already done under a lease, and a task not acknowledged within 5 s of its
   * lease, or a workflow task past its 10 s timeout, is handed out again: waiting the 5 s
   * `object_overloaded` asks for could let the work run twice and this result be dropped as stale.
   * Heartbeats are not retried (the next is never far).
   */
  async withRetry<T>(what: string, call: () => Promise<T>, signal?: AbortSignal, attempts = this.retry.attempts, leaseFree = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!isTransient(err) || attempt >= attempts || signal?.aborted) throw err;
        const backoff = backoffDelay(attempt, this.retry.initialMs, this.retry.maxMs);
        const delay = leaseFree ? retryDelay(err, backoff) : backoff;
        this.logger.warn(`${what} failed, retrying in ${delay} ms`, { error: err, attempt });
        await sleep(delay, signal);
      }
    }
  }

  /** Registers the worker (retried until accepted or `signal` aborts); returns the platform's answer, unread. */
  async register(request: RegisterWorkerRequest, signal?: AbortSignal): Promise<unknown> {
    const res = await this.withRetry("registration", () => this.post("/v1/workflows/workers/register", request, signal), signal, Infinity, true);
    return res.body;
  }

  /**
   * One long poll: a task, or null when none arrived within the platform's hold (204). A poll not
   * answered within POLL_ANSWER_MARGIN_MS past the hold it asked for rejects with a transient
   * `SundialConnectionError`, so the loop backs off and polls again. `signal` aborting ends a poll
   * still held, but not one whose answer's headers arrived: its body gets POLL_BODY_GRACE_MS more,
   * and the task it brings is returned for the worker to hand back (the platform leased it already).
   */
  async poll(kind: "workflow" | "activity", taskQueue: string, identity: string, waitSeconds: number | undefined, signal: AbortSignal, types?: readonly string[]): Promise<Task | null> {
    // Past the platform's limit the poll names no types and takes any task of its kind (one it does not run, it fails).
    const named = this.typedPolls && types !== undefined && types.length > 0 && types.length <= MAX_POLL_TYPES ? { types } : {};
    const body = { task_queue: taskQueue, kind, identity, ...(waitSeconds === undefined ? {} : { wait_seconds: waitSeconds }), ...named };
    let res;
    try {
      res = await this.post(`${TASKS}/poll`, body, signal, (waitSeconds ?? PLATFORM_POLL_HOLD_SECONDS) * 1000 + POLL_ANSWER_MARGIN_MS, POLL_BODY_GRACE_MS);
    } catch (err) {
      // A platform from before 2026-12-03 refuses the field (its poll schema is strict): poll as it expects, untyped.
      if (!("types" in named) || !(err instanceof SundialApiError) || err.status !== 422 || !/types/.test(`${err.field ?? ""} ${err.detail}`)) throw err;
      this.typedPolls = false;
      this.logger.warn("the platform does not route tasks by type (it predates it): polling for any task of the kind; upgrade the platform");
      return this.poll(kind, taskQueue, identity, waitSeconds, signal, types);
    }
    if (res.status === 204 || res.body === undefined) return null;
    return parse(Task, res);
  }

  /** Completes a workflow task; with `eager`, offers that many free activity slots for the activities it schedules. */
  completeWorkflowTask(token: string, commands: Command[], signal?: AbortSignal, eager?: { slots: number; identity: string }): Promise<Completion> {
    const offer = eager && eager.slots > 0 ? { eager_activity_slots: eager.slots, identity: eager.identity } : {};
    return this.complete("workflow/complete", { task_token: token, commands, ...offer }, signal);
  }

  /** Fails a workflow task (the platform retries it), or with `terminateRun` ends the run: no retry could succeed. */
  async failWorkflowTask(token: string, failure: Failure, signal?: AbortSignal, terminateRun = false): Promise<CompletionOutcome> {
    return (await this.complete("workflow/fail", { task_token: token, failure, ...(terminateRun ? { terminate_run: true } : {}) }, signal)).outcome;
  }

  /** Completes an activity attempt; with `eager`, offers a free workflow task slot for the workflow task it causes. */
  completeActivityTask(token: string, result: unknown, signal?: AbortSignal, eager?: { identity: string }): Promise<Completion> {
    const offer = eager ? { eager_workflow_task: true, identity: eager.identity } : {};
    return this.complete("activity/complete", { task_token: token, ...(result === undefined ? {} : { result }), ...offer }, signal);
  }

  async failActivityTask(token: string, failure: Failure, signal?: AbortSignal): Promise<CompletionOutcome> {
    return (await this.complete("activity/fail", { task_token: token, failure }, signal)).outcome;
  }

  /**
   * Answers a query task with the handler's result or failure (a query task needs no completion).
   * Retried on transient errors; `stale` when the platform no longer waits for it (the caller's
   * query timed out, or the task was handed out again). Other refusals (413, 422) are thrown.
   */
  async respondQuery(token: string, answer: { result?: unknown; failure?: Failure }, signal?: AbortSignal): Promise<"accepted" | "stale"> {
    const body = { task_token: token, ...(answer.failure === undefined ? (answer.result === undefined ? {} : { result: answer.result }) : { failure: answer.failure }) };
    try {
      await this.withRetry("query/respond", () => this.post(`${TASKS}/query/respond`, body, signal), signal);
      return "accepted";
    } catch (err) {
      if (err instanceof SundialApiError && (err.code === "stale_task" || err.code === "task_not_found" || err.code === "query_timeout")) {
        this.logger.info("dropped a query answer: the platform no longer waits for it (the query timed out or the task was handed out again)", { code: err.code, detail: err.detail });
        return "stale";
      }
      throw err;
    }
  }

  /**
   * The events of a task's run with ids `from` … `before - 1`, read in pages (a task whose history
   * is large carries only its newest events). Retried on transient errors; a refusal (409
   * `stale_task`: the run is not the task's any more) is thrown.
   */
  async historyBefore(token: string, from: number, before: number, signal?: AbortSignal): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let after = from - 1;
    while (after < before - 1) {
      const body = { task_token: token, after_event_id: after, before_event_id: before };
      const res = await this.withRetry("workflow/history", () => this.post(`${TASKS}/workflow/history`, body, signal), signal);
      const page = parse(HistoryPage, res);
      for (const e of page.events) events.push(e);
      const last = page.events[page.events.length - 1];
      if (last === undefined || page.next_page_token === null) break;
      after = last.id;
    }
    if (events.length !== before - from || events[0]?.id !== from) {
      throw new Error(`history read of events ${from}-${before - 1} returned ${events.length} events${events.length > 0 ? ` from ${events[0]!.id}` : ""}`);
    }
    return events;
  }

  /** Acknowledges receipt of a task (see ACK_AFTER_MS); errors are the caller's to ignore. */
  async ack(token: string): Promise<void> {
    await this.post(`${TASKS}/ack`, { task_token: token });
  }

  /** Sends one heartbeat (no retry: the next one is never far). */
  async heartbeat(token: string, details: unknown, signal?: AbortSignal): Promise<HeartbeatResponse> {
    const body = { task_token: token, ...(details === undefined ? {} : { details }) };
    const res = await this.post(`${TASKS}/activity/heartbeat`, body, signal);
    return parse(HeartbeatResponse, res);
  }

  /** One POST, given up as transient after `timeoutMs`. */
  private post(path: string, body: unknown, signal?: AbortSignal, timeoutMs = REQUEST_TIMEOUT_MS, bodyGraceMs?: number): Promise<HttpResponse> {
    return this.http.request("POST", path, { body, timeoutMs, ...(signal ? { signal } : {}), ...(bodyGraceMs === undefined ? {} : { bodyGraceMs }) });
  }

  private async complete(path: string, body: { task_token: string; [field: string]: unknown }, signal?: AbortSignal): Promise<Completion> {
    try {
      const res = await this.withRetry(path, () => this.post(`${TASKS}/${path}`, body, signal), signal);
      const answer = parse(TaskCompletionResponse, res);
      return { outcome: answer.status, activityTasks: answer.activity_tasks ?? [], workflowTask: answer.workflow_task };
    } catch (err) {
      if (err instanceof SundialApiError && (err.code === "stale_task" || err.code === "task_not_found")) {
        // Also a workflow task that would have closed the run while new events waited (UnhandledCommand):
        // the platform already scheduled a new task that delivers them.
        this.logger.info(`dropped a stale task completion (${path}): the task timed out and was handed out again, its run closed, or new events arrived while it ran`, { code: err.code, detail: err.detail });
        return { outcome: "stale", activityTasks: [], workflowTask: undefined };
      }
      throw err;
    }
  }
}
