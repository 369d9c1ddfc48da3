import { z } from "zod";
import * as wire from "../protocol/execution.ts";
import type { Failure } from "../protocol/failure.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import { toSeconds } from "../workflow/duration.ts";
import { sleep } from "./backoff.ts";
import { camelize } from "./camel.ts";
import { ResultTimeoutError, type SundialApiError, UpdateFailedError, UpdateTimeoutError } from "./errors.ts";
import { backOffOrThrow, heldTimeoutMs, holdSeconds, waitFor } from "./held-requests.ts";
import type { CallOptions } from "./call-options.ts";
import {
  EXECUTE_OPTIONS, HISTORY_OPTIONS, LIST_OPTIONS, QUERY_OPTIONS, RESET_OPTIONS, RESULT_OPTIONS, SIGNAL_OPTIONS, SIGNAL_WITH_START_OPTIONS, START_OPTIONS, UPDATE_OPTIONS,
  type Execution,
  type ExecuteOptions,
  type ExecutionPage,
  type ExecutionResult,
  type ExecutionSummary,
  type HistoryOptions,
  type HistoryPageInfo,
  type ListExecutionsOptions,
  type QueryOptions,
  type ResetOptions,
  type ResultOptions,
  type SignalOptions,
  type SignalResult,
  type SignalWithStartOptions,
  type StartedExecution,
  type StartExecutionOptions,
  type UpdateOptions,
} from "./execution-options.ts";
import type { HttpTransport } from "./http.ts";
import { everyItem } from "./pages.ts";
import { parse } from "./parse-response.ts";
import { CALL_OPTIONS, rejectUnknownOptions } from "./options.ts";
import { instantToWire } from "./schedule-wire.ts";

const BASE = "/v1/workflows/executions";


/** `Execution`, with `started` when the platform says (signal-with-start may leave it to the status code). */
const SignalWithStartResponse = wire.Execution.extend({ started: z.boolean().optional() });

/**
 * `client.executions`: start workflows, read their state, history and results, message them, and
 * cancel, terminate or reset them.
 * @example
 * const started = await client.executions.start(hello, { input: { name: "Ada" } });
 * const outcome = await client.executions.result<string>(started.executionId, { timeout: "5m" });
 */
export class ExecutionsClient {
  private readonly http: HttpTransport;

  constructor(http: HttpTransport) {
    this.http = http;
  }

  /**
   * Starts an execution of `workflow` (a definition or its name). Answers 201 for a new run, or 200
   * with `started: false` when `executionId` already exists under `use_existing`.
   * @example await client.executions.start("report_workflow", { input: { report_type: "daily" }, executionId: "report-2026-11-22" });
   */
  async start<I, O>(workflow: WorkflowDefinition<I, O> | string, options: StartExecutionOptions<I> = {}): Promise<StartedExecution> {
    rejectUnknownOptions(options, START_OPTIONS, "");
    return camelize(await this.startRequest(workflow, options, 0, options.signal));
  }

  /**
   * Starts an execution and waits for its outcome: {@link start} then {@link result}, in one
   * request when the run closes within `waitSeconds` (the platform holds the start's answer).
   * Like `result`, it does not throw when the run failed, and it follows continue-as-new to the
   * last run. A start lost to a transient error is sent again with the same execution id
   * (generated here when you give none), so under the default `use_existing` policy a retry never
   * starts a second run; by the same policy, an `executionId` whose run already closed answers
   * that run's outcome without starting another (use `start` to see `started`).
   * @example
   * const { status, result } = await client.executions.execute(hello, { input: { name: "Ada" }, timeout: "1m" });
   */
  async execute<I, O>(workflow: WorkflowDefinition<I, O> | string, options: ExecuteOptions<I> = {}): Promise<ExecutionResult<O>> {
    rejectUnknownOptions(options, EXECUTE_OPTIONS, "");
    const began = Date.now();
    const deadline = options.timeout === undefined ? Infinity : began + toSeconds(options.timeout, "timeout") * 1000;
    const hold = holdSeconds("execute", options.waitSeconds);
    const executionId = options.executionId ?? crypto.randomUUID();
    const retryable = (options.idReusePolicy ?? "use_existing") === "use_existing";
    for (let failures = 0; ; ) {
      try {
        const started = await this.startRequest(workflow, { ...options, executionId }, waitFor(hold, deadline), options.signal, deadline);
        if (started.status !== "running") return outcomeOf<O>(started);
        break;
      } catch (err) {
        if (!retryable) throw err;
        await backOffOrThrow(err, ++failures, deadline, options.signal);
      }
    }
    return this.awaitResult<O>(executionId, began, deadline, hold, options.signal);
  }

  private async startRequest<I, O>(workflow: WorkflowDefinition<I, O> | string, options: StartExecutionOptions<I>, waitSeconds: number, signal?: AbortSignal, deadline = Infinity): Promise<wire.StartExecutionResponse> {
    const def = typeof workflow === "string" ? undefined : workflow;
    const timeout = options.executionTimeout ?? def?.executionTimeout;
    const body: wire.StartExecutionRequest = {
      workflow: typeof workflow === "string" ? workflow : workflow.name,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.executionId === undefined ? {} : { execution_id: options.executionId }),
      ...((options.taskQueue ?? def?.taskQueue) === undefined ? {} : { task_queue: options.taskQueue ?? def?.taskQueue }),
      ...(timeout === undefined ? {} : { execution_timeout: toSeconds(timeout, "executionTimeout") }),
      ...(options.idReusePolicy === undefined ? {} : { id_reuse_policy: options.idReusePolicy }),
      ...(waitSeconds > 0 ? { wait_seconds: waitSeconds } : {}),
    };
    const res = await this.http.request("POST", BASE, { body, signal, ...(waitSeconds > 0 || deadline !== Infinity ? { timeoutMs: heldTimeoutMs(waitSeconds, deadline) } : {}) });
    return parse(wire.StartExecutionResponse, res);
  }

  /** Describes one execution. @example const ex = await client.executions.get("order-17"); */
  async get(executionId: string, options: CallOptions = {}): Promise<Execution> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const res = await this.http.request("GET", `${BASE}/${encodeURIComponent(executionId)}`, { signal: options.signal });
    return camelize(parse(wire.Execution, res));
  }

  /**
   * Waits for the execution to close and returns its outcome (it does not throw when the run
   * failed: look at `status` and `failure`). Long-polls the platform `waitSeconds` at a time
   * (default 30) and retries transient errors, a request left unanswered 1 s past its hold too;
   * throws {@link ResultTimeoutError} after `timeout` (at most 1 s late when the platform hangs).
   * @example
   * const { status, result, failure } = await client.executions.result<string>("order-17", { timeout: "10m" });
   */
  async result<R = unknown>(executionId: string, options: ResultOptions = {}): Promise<ExecutionResult<R>> {
    rejectUnknownOptions(options, RESULT_OPTIONS, "");
    const began = Date.now();
    const deadline = options.timeout === undefined ? Infinity : began + toSeconds(options.timeout, "timeout") * 1000;
    return this.awaitResult<R>(executionId, began, deadline, holdSeconds("result", options.waitSeconds), options.signal);
  }

  private async awaitResult<R>(executionId: string, began: number, deadline: number, hold: number, signal: AbortSignal | undefined): Promise<ExecutionResult<R>> {
    for (let failures = 0; ; ) {
      try {
        const waitSeconds = waitFor(hold, deadline);
        const res = await this.http.request("GET", `${BASE}/${encodeURIComponent(executionId)}/result`, { query: { wait_seconds: waitSeconds }, signal, timeoutMs: heldTimeoutMs(waitSeconds, deadline) });
        failures = 0;
        const outcome = parse(wire.ExecutionResult, res);
        if (res.status === 200 && outcome.status !== "running") return outcomeOf<R>(outcome);
      } catch (err) {
        await backOffOrThrow(err, ++failures, deadline, signal, () => new ResultTimeoutError(executionId, Date.now() - began));
      }
      if (Date.now() >= deadline) throw new ResultTimeoutError(executionId, Date.now() - began);
    }
  }

  /**
   * Lists executions, newest first, one page at a time.
   * @example const { executions, nextPageToken } = await client.executions.list({ workflow: "hello", status: "running" });
   * @example const { executions } = await client.executions.list({ scheduleId: "user-reminder:user_123" }); // that schedule's runs
   */
  async list(options: ListExecutionsOptions = {}): Promise<ExecutionPage> {
    rejectUnknownOptions(options, LIST_OPTIONS, "");
    const query = {
      workflow: options.workflow,
      status: options.status,
      schedule_id: options.scheduleId,
      started_after: options.startedAfter === undefined ? undefined : instantToWire(options.startedAfter, "startedAfter"),
      started_before: options.startedBefore === undefined ? undefined : instantToWire(options.startedBefore, "startedBefore"),
      page_size: options.pageSize,
      page_token: options.pageToken,
    };
    const res = await this.http.request("GET", BASE, { query, signal: options.signal });
    return camelize(parse(wire.ListExecutionsResponse, res));
  }

  /**
   * Every execution matching the filters, newest first, fetching pages (of `pageSize`) as the loop
   * goes, from `pageToken` when given (a token `list` answered): the executions client's `listAll`,
   * as schedules, keys and workflow types have. An aborted `signal` ends the loop with its reason.
   * @example for await (const e of client.executions.listAll({ scheduleId: "daily-report:global" })) console.log(e.executionId, e.status);
   */
  listAll(options: ListExecutionsOptions = {}): AsyncGenerator<ExecutionSummary, void, undefined> {
    return everyItem(options.pageToken, async (pageToken) => {
      const page = await this.list({ ...options, ...(pageToken === undefined ? {} : { pageToken }) });
      return { items: page.executions, nextPageToken: page.nextPageToken };
    }, options.signal);
  }

  /**
   * One page of an execution's history (events in order, ids from 1): at most `pageSize` events
   * and at most 4 MiB of them, so read on with `nextPageToken` until it is null.
   * @example const { events } = await client.executions.history("order-17", { pageSize: 100 });
   */
  async history(executionId: string, options: HistoryOptions = {}): Promise<HistoryPageInfo> {
    rejectUnknownOptions(options, HISTORY_OPTIONS, "");
    const res = await this.http.request("GET", `${BASE}/${encodeURIComponent(executionId)}/history`, { query: { page_size: options.pageSize, page_token: options.pageToken }, signal: options.signal });
    return camelize(parse(wire.HistoryPage, res));
  }

  /**
   * Asks the execution to cancel: its pending activities and timers reject with `CancelledError`,
   * and it may clean up before it ends (202). Safe to retry: asked again while the request is
   * pending, or once the run has closed as cancelled, it succeeds and records nothing. A run that
   * closed otherwise (completed, failed, terminated, timed out) cannot be cancelled: this rejects
   * with a {@link SundialApiError} with `status` 409, `code` `execution_closed`, `field` `execution_id`.
   * @example
   * try {
   *   await client.executions.cancel("order-17", "customer changed their mind");
   * } catch (err) {
   *   if (err instanceof SundialApiError && err.code === "execution_closed") console.log("it had already finished");
   * }
   */
  async cancel(executionId: string, reason = "", options: CallOptions = {}): Promise<Execution> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const res = await this.http.request("POST", `${BASE}/${encodeURIComponent(executionId)}/cancel`, { body: { reason }, signal: options.signal });
    return camelize(parse(wire.Execution, res));
  }

  /**
   * Sends a signal (fire-and-forget): recorded in the execution's history, then delivered to the
   * workflow's handler in history order (202). Pass `requestId` to make your own retries safe:
   * `recorded` is false when that id was recorded before, so this call recorded nothing.
   * @example const { recorded } = await client.executions.signal("invoice-42", "approve", { approver: "ada" }, { requestId: "approval-42-ada" });
   */
  async signal(executionId: string, name: string, input?: unknown, options: SignalOptions = {}): Promise<SignalResult> {
    rejectUnknownOptions(options, SIGNAL_OPTIONS, "");
    const body = { ...(input === undefined ? {} : { input }), ...(options.requestId === undefined ? {} : { request_id: options.requestId }) };
    const res = await this.http.request("POST", `${BASE}/${encodeURIComponent(executionId)}/signals/${encodeURIComponent(name)}`, { body, signal: options.signal });
    return parse(wire.SignalResult, res);
  }

  /**
   * Signals the execution, starting it first if it is not running (atomically): 201 with
   * `started: true` when this call started it, 200 otherwise. A closed execution is started again
   * only if `idReusePolicy` allows it (default `allow_duplicate`: it does); else a 409, nothing written.
   * @example
   * await client.executions.signalWithStart(invoiceApproval, { executionId: "invoice-42", input: { invoice_id: "42" }, signalName: "approve", signalInput: { approver: "ada" } });
   */
  async signalWithStart<I, O>(workflow: WorkflowDefinition<I, O> | string, options: SignalWithStartOptions<I>): Promise<StartedExecution> {
    rejectUnknownOptions(options, SIGNAL_WITH_START_OPTIONS, "");
    const def = typeof workflow === "string" ? undefined : workflow;
    const timeout = options.executionTimeout ?? def?.executionTimeout;
    const taskQueue = options.taskQueue ?? def?.taskQueue;
    const body: z.input<typeof wire.SignalWithStartRequest> = {
      workflow: typeof workflow === "string" ? workflow : workflow.name,
      execution_id: options.executionId,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(taskQueue === undefined ? {} : { task_queue: taskQueue }),
      ...(timeout === undefined ? {} : { execution_timeout: toSeconds(timeout, "executionTimeout") }),
      ...(options.idReusePolicy === undefined ? {} : { id_reuse_policy: options.idReusePolicy }),
      signal_name: options.signalName,
      ...(options.signalInput === undefined ? {} : { signal_input: options.signalInput }),
      ...(options.requestId === undefined ? {} : { request_id: options.requestId }),
    };
    const res = await this.http.request("POST", `${BASE}/signal-with-start`, { body, signal: options.signal });
    const { started, ...execution } = parse(SignalWithStartResponse, res);
    return camelize({ ...execution, started: started ?? res.status === 201 });
  }

  /**
   * Queries the execution (running or closed): a worker replays its history and runs the query
   * handler. Resolves with the handler's result. Throws {@link SundialApiError}: `query_timeout`
   * (408) when no worker answered in time, `query_failed` when the handler threw (its error in
   * `err.failure`), `execution_not_found` (404) when there is no such execution.
   * @example const status = await client.executions.query<{ status: string }>("invoice-42", "get_status");
   */
  async query<R = unknown>(executionId: string, name: string, input?: unknown, options: QueryOptions = {}): Promise<R> {
    rejectUnknownOptions(options, QUERY_OPTIONS, "");
    let timeoutSeconds: number | undefined;
    if (options.timeout !== undefined) {
      timeoutSeconds = toSeconds(options.timeout, "timeout");
      if (timeoutSeconds < 1 || timeoutSeconds > 60) throw new RangeError(`query timeout must be between 1 and 60 seconds, got ${timeoutSeconds}`);
    }
    const body = { ...(input === undefined ? {} : { input }), ...(timeoutSeconds === undefined ? {} : { timeout_seconds: timeoutSeconds }) };
    // Held by the platform up to its timeout (default 10 s): the request waits that long, and a margin.
    const timeoutMs = heldTimeoutMs(timeoutSeconds ?? QUERY_TIMEOUT_DEFAULT_SECONDS);
    const res = await this.http.request("POST", `${BASE}/${encodeURIComponent(executionId)}/queries/${encodeURIComponent(name)}`, { body, signal: options.signal, timeoutMs });
    return parse(wire.QueryResult, res).result as R;
  }

  /**
   * Sends an update and waits for the handler's result. The platform holds each request up to
   * `waitSeconds`; while the update is pending (202) the call asks again with the same update id
   * (also after transient errors), so it runs once. Throws {@link SundialApiError} `update_rejected`
   * (422: the validator rejected it, nothing was recorded; its error in `err.failure`) or 409
   * `execution_closed` when the run ended before the update completed (after a continue-as-new, an
   * update the old run had not accepted goes to the new run, and this call waits for its answer),
   * {@link UpdateFailedError} when the handler threw, and
   * {@link UpdateTimeoutError} once `wait` passed.
   * @example
   * const res = await client.executions.update<{ success: boolean }>("invoice-42", "update_config", { accounting_code: "IT-6100" }, { wait: "1m" });
   */
  async update<R = unknown>(executionId: string, name: string, input?: unknown, options: UpdateOptions = {}): Promise<R> {
    rejectUnknownOptions(options, UPDATE_OPTIONS, "");
    const updateId = options.updateId ?? crypto.randomUUID();
    const began = Date.now();
    const deadline = options.wait === undefined ? Infinity : began + toSeconds(options.wait, "wait") * 1000;
    const hold = holdSeconds("update", options.waitSeconds);
    const path = `${BASE}/${encodeURIComponent(executionId)}/updates/${encodeURIComponent(name)}`;
    for (let failures = 0; ; ) {
      const waitSeconds = Math.max(1, waitFor(hold, deadline));
      const body = { ...(input === undefined ? {} : { input }), update_id: updateId, wait_seconds: waitSeconds };
      const sent = Date.now();
      try {
        const res = await this.http.request("POST", path, { body, signal: options.signal, timeoutMs: heldTimeoutMs(waitSeconds, deadline) });
        failures = 0;
        const outcome = res.status === 202 ? undefined : parse(wire.UpdateResult, res);
        if (outcome?.status === "completed") {
          if (outcome.failure !== null) throw new UpdateFailedError(executionId, name, outcome.update_id, camelize(outcome.failure));
          return outcome.result as R;
        }
        // Still pending. A platform that answered well before the hold ended must not be hammered.
        if (Date.now() - sent < (waitSeconds * 1000) / 2) await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())), options.signal);
      } catch (err) {
        await backOffOrThrow(err, ++failures, deadline, options.signal, () => new UpdateTimeoutError(executionId, updateId, Date.now() - began));
      }
      if (Date.now() >= deadline) throw new UpdateTimeoutError(executionId, updateId, Date.now() - began);
    }
  }

  /**
   * Resets the execution to a `workflow_task_completed` event (the Mistral seed's reset): the
   * current run ends and a new one (`runNumber` + 1) starts with the history before that task;
   * the task is recorded as failed with `reason` and re-run on the current code, and signals and
   * updates received after it are re-applied unless excluded. Fix the bug first. 422
   * `invalid_reset_point` when `eventId` is not such an event.
   * @example
   * const { events } = await client.executions.history("order-17");
   * const point = events.filter((e) => e.type === "workflow_task_completed").at(-1)!;
   * await client.executions.reset("order-17", { eventId: point.id, reason: "bug fixed in activity logic" });
   */
  async reset(executionId: string, options: ResetOptions): Promise<Execution> {
    rejectUnknownOptions(options, RESET_OPTIONS, "");
    if (!Number.isSafeInteger(options.eventId) || options.eventId < 1) throw new TypeError(`reset: eventId must be a positive integer, got ${String(options.eventId)}`);
    if (typeof options.reason !== "string" || options.reason.length === 0) throw new TypeError("reset: a reason is required (it is recorded in history)");
    const body: z.input<typeof wire.ResetRequest> = {
      event_id: options.eventId,
      reason: options.reason,
      ...(options.excludeSignals === undefined ? {} : { exclude_signals: options.excludeSignals }),
      ...(options.excludeUpdates === undefined ? {} : { exclude_updates: options.excludeUpdates }),
    };
    const res = await this.http.request("POST", `${BASE}/${encodeURIComponent(executionId)}/reset`, { body, signal: options.signal });
    return camelize(parse(wire.Execution, res));
  }

  /**
   * Ends the execution at once, without running any more workflow code. Safe to retry: once the
   * run has closed as terminated, this succeeds and records nothing. A run that closed otherwise
   * (completed, failed, cancelled, timed out) rejects with a {@link SundialApiError} with `status`
   * 409, `code` `execution_closed`, `field` `execution_id`.
   * @example await client.executions.terminate("order-17", "stuck on a bad deploy");
   */
  async terminate(executionId: string, reason = "", options: CallOptions = {}): Promise<Execution> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const res = await this.http.request("POST", `${BASE}/${encodeURIComponent(executionId)}/terminate`, { body: { reason }, signal: options.signal });
    return camelize(parse(wire.Execution, res));
  }
}

/** How long the platform waits for a worker to answer a query when the call names no timeout (the wire's default `timeout_seconds`). */
const QUERY_TIMEOUT_DEFAULT_SECONDS = 10;

/** A closed execution's outcome from the wire (`result` or a started execution's describe). */
function outcomeOf<R>(o: { execution_id: string; status: wire.ExecutionStatus; result?: unknown; failure: Failure | null }): ExecutionResult<R> {
  return { executionId: o.execution_id, status: o.status, ...(o.result === undefined ? {} : { result: o.result as R }), failure: o.failure === null ? null : camelize(o.failure) };
}
