import type { Command } from "../protocol/commands.ts";
import type { Failure } from "../protocol/failure.ts";
import type { EventOf, HistoryEvent } from "../protocol/history.ts";
import { mergeActivityOptions, toWireActivityOptions, type ActivityCallOptions } from "./activity-options.ts";
import { verifyRecordedCommands, type RunLabel } from "./command-matcher.ts";
import type { QueryHandler, ScheduleInfo, SignalHandler, UpdateHandler, UpdateHandlerOptions, WorkflowContext } from "./context.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { toSeconds, type Duration } from "./duration.ts";
import { ChildWorkflows, startChildCommand, type ChildWorkflowHandle, type ChildWorkflowOptions } from "./child-workflows.ts";
import { ActivityFailure, ApplicationFailure, CancelledError, ContinueAsNew, ReadOnlyContextError, TimeoutFailure } from "./errors.ts";
import { errorToFailure, failureToError } from "./failure-convert.ts";
import { RESOLUTION_EVENT_TYPES, type Activation } from "./history-batches.ts";
import { replayAwareLogger, type LogSink } from "./logger.ts";
import { DeterministicRandom } from "./random.ts";

interface PendingOperation {
  kind: "activity" | "timer";
  seq: number;
  activityType: string;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** Runs every promise reaction the workflow has queued: all microtasks finish before a macrotask. */
const drainMicrotasks: () => Promise<void> =
  typeof setImmediate === "function" ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

const noop = (): void => {};

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";

/** Handler names travel in URLs and as the wire's `Name`: the same rule. */
const HANDLER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** An update the platform offers to a workflow task, waiting for the validator. */
export interface OfferedUpdate {
  update_id: string;
  name: string;
  input: unknown;
}

/** One `ctx.waitCondition()` still waiting. */
interface ConditionWait {
  fn: () => boolean;
  /** The seq of its timeout timer, if it has one. */
  timerSeq: number | undefined;
  resolve(): void;
  reject(reason: unknown): void;
}

interface UpdateRegistration {
  handler: UpdateHandler<unknown, unknown>;
  validator: ((input: unknown) => void) | undefined;
}

/** What an instance needs besides its definition and first event. */
export interface InstanceOptions {
  executionId: string;
  logSink: LogSink;
}

/**
 * One live workflow run: the user's `run` promise, its pending activities and timers, and the
 * commands it emitted. `activate()` feeds it history batch by batch; it is also the cached state
 * a worker keeps between workflow tasks of the same run.
 */
export class WorkflowInstance {
  readonly definition: WorkflowDefinition;
  readonly label: RunLabel;
  readonly context: WorkflowContext;
  /** Events consumed so far, and the last of them (to check a new history extends it). */
  consumed = 0;
  lastEvent: { id: number; type: string } | undefined;
  /** True once the run emitted its closing command. */
  closed = false;
  /** True once processing threw (non-determinism): the state must not be reused. */
  broken = false;
  private readonly started: EventOf<"execution_started">;
  private readonly rng: DeterministicRandom;
  private readonly pending = new Map<string, PendingOperation>();
  private activitySeq = 0;
  private timerSeq = 0;
  private childSeq = 0;
  private readonly children = new ChildWorkflows();
  private emitted: Command[] = [];
  /** Commands of the latest activation, to match against the command events of the next batch. */
  private unverified: Command[] = [];
  private nowMs = 0;
  private replaying = true;
  private cancelRequested = false;
  private continueAsNewSuggested = false;
  private readonly signalHandlers = new Map<string, SignalHandler<unknown>>();
  private readonly queryHandlers = new Map<string, QueryHandler<unknown, unknown>>();
  private readonly updateHandlers = new Map<string, UpdateRegistration>();
  /** Signals that arrived before their handler was set, in history order. */
  private bufferedSignals: { name: string; input: unknown }[] = [];
  /** Accepted updates whose handler is not set (yet), in history order. */
  private bufferedUpdates: OfferedUpdate[] = [];
  /** Update ids history recorded as accepted: their handler ran (or waits); never offer them again. */
  private readonly acceptedUpdates = new Set<string>();
  /** `ctx.waitCondition()` calls still waiting, in creation order. */
  private readonly conditions = new Set<ConditionWait>();
  /** Signal and update handlers whose promise has not settled. */
  private handlersRunning = 0;
  /** Set while a query handler, update validator or condition runs: what is running. */
  private readOnly: string | undefined;
  /** Whether `run` was started (it starts with the first workflow task). */
  private running = false;

  constructor(definition: WorkflowDefinition, started: EventOf<"execution_started">, options: InstanceOptions) {
    this.definition = definition;
    this.started = started;
    this.label = { workflow: started.workflow, executionId: options.executionId, runId: started.run_id };
    this.rng = new DeterministicRandom(started.run_id);
    this.nowMs = Date.parse(started.ts);
    this.context = this.makeContext(options.logSink);
  }

  /**
   * Processes one activation: checks the commands history recorded for the previous activation,
   * then (when the batch ends in a workflow task) resolves this batch's events in event order (a
   * cancel request after the others) and lets the workflow run until it blocks. Returns the
   * commands this activation emitted.
   */
  async process(activation: Activation, liveSuggestion: boolean): Promise<Command[]> {
    verifyRecordedCommands(this.label, this.unverified, activation.events);
    this.unverified = [];
    const last = activation.events[activation.events.length - 1];
    if (last !== undefined) this.lastEvent = { id: last.id, type: last.type };
    this.consumed += activation.events.length;
    if (activation.started === null) return [];
    this.nowMs = Date.parse(activation.started.ts);
    this.replaying = activation.replay;
    this.continueAsNewSuggested = activation.started.suggest_continue_as_new ?? (activation.replay ? this.continueAsNewSuggested : liveSuggestion);
    await this.ensureRunning();
    // Resolutions in event order (signals and accepted updates included, so handlers see them in
    // history order), a cancel request last: an activity or timer that finished in the same batch
    // resolves normally rather than being cancelled (the platform refuses to cancel what is no
    // longer pending, so a retried task must not ask for it again).
    const resolutions = activation.events.filter((e) => RESOLUTION_EVENT_TYPES.has(e.type));
    for (const event of resolutions) if (event.type !== "execution_cancel_requested") this.apply(event);
    for (const event of resolutions) if (event.type === "execution_cancel_requested") this.apply(event);
    await this.settle();
    const commands = this.emitted;
    this.emitted = [];
    this.unverified = commands;
    return commands;
  }

  /** Starts `run` if no workflow task has yet (a query on a run whose first task is pending). */
  async ensureRunning(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startRun();
    await this.settle();
  }

  /**
   * Lets the workflow run until it blocks: drains its promise reactions, then re-checks the
   * pending `waitCondition`s, as long as one of them resolves (a resolution may unblock code that
   * makes another condition true).
   */
  private async settle(): Promise<void> {
    await drainMicrotasks();
    while (this.checkConditions()) await drainMicrotasks();
  }

  /**
   * Answers the updates a live workflow task offers, after its activation: runs each validator
   * (read-only) against the current state, in order. Updates history already records as accepted
   * (or offered twice) are skipped. These commands are not recorded as command events, so they
   * are never matched on replay.
   */
  answerUpdates(offered: readonly OfferedUpdate[]): Command[] {
    const answers: Command[] = [];
    const seen = new Set<string>();
    for (const update of offered) {
      if (this.acceptedUpdates.has(update.update_id) || seen.has(update.update_id)) continue;
      seen.add(update.update_id);
      const failure = this.validateUpdate(update);
      answers.push(failure === null ? { type: "accept_update", update_id: update.update_id } : { type: "reject_update", update_id: update.update_id, failure });
    }
    return answers;
  }

  private validateUpdate(update: OfferedUpdate): Failure | null {
    if (this.closed) {
      return errorToFailure(new ApplicationFailure(`workflow "${this.label.workflow}" is closing: update "${update.name}" was not accepted`, { type: "WorkflowClosed", nonRetryable: true }));
    }
    const registration = this.updateHandlers.get(update.name);
    if (registration === undefined) {
      return errorToFailure(new ApplicationFailure(`workflow "${this.label.workflow}" has no update handler "${update.name}" (${listNames(this.updateHandlers)})`, { type: "UnknownUpdate", nonRetryable: true }));
    }
    if (registration.validator === undefined) return null;
    const validator = registration.validator;
    try {
      this.readOnlyCall(`the validator of update "${update.name}"`, () => validator(update.input));
      return null;
    } catch (err) {
      return errorToFailure(err);
    }
  }

  /**
   * Runs query `name` on the current (replayed) state: synchronously, read-only. Throws an
   * `UnknownQuery` ApplicationFailure when no handler is set, or whatever the handler throws.
   */
  runQuery(name: string, input: unknown): unknown {
    const handler = this.queryHandlers.get(name);
    if (handler === undefined) {
      throw new ApplicationFailure(`workflow "${this.label.workflow}" has no query handler "${name}" (${listNames(this.queryHandlers)})`, { type: "UnknownQuery", nonRetryable: true });
    }
    return this.readOnlyCall(`query handler "${name}"`, () => handler(input));
  }

  private readOnlyCall<T>(where: string, fn: () => T): T {
    const previous = this.readOnly;
    this.readOnly = where;
    try {
      const value = fn();
      if (isThenable(value)) {
        // An async handler's later steps would run outside the read-only window: refuse it.
        Promise.resolve(value).catch(noop);
        throw new TypeError(`${where} returned a promise: query handlers and update validators must be synchronous`);
      }
      return value;
    } finally {
      this.readOnly = previous;
    }
  }

  private assertWritable(api: string): void {
    if (this.readOnly !== undefined) throw new ReadOnlyContextError(api, this.readOnly);
  }

  private startRun(): void {
    let result: Promise<unknown>;
    try {
      result = this.definition.execute(this.context, this.started.input);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.close({ type: "complete_workflow", result: value }),
      (err: unknown) => this.failRun(err),
    );
  }

  /** An error escaped `run` or a signal handler: the run fails (or ends cancelled). */
  private failRun(err: unknown): void {
    // ctx.continueAsNew() already emitted the run's closing command; its throw only unwinds the code.
    if (err instanceof ContinueAsNew) return;
    // cancel_workflow only answers a cancel request; a CancelledError thrown without one is a failure.
    this.close(err instanceof CancelledError && this.cancelRequested ? { type: "cancel_workflow" } : { type: "fail_workflow", failure: errorToFailure(err) });
  }

  private close(command: Command): void {
    if (this.closed) return;
    this.emit(command);
    this.closed = true;
  }

  private emit(command: Command): void {
    // Anything a dangling promise does after the run settled is moot: the run is over.
    if (!this.closed) this.emitted.push(command);
  }

  private take(kind: "activity" | "timer", seq: number): PendingOperation | undefined {
    const key = `${kind}:${seq}`;
    const op = this.pending.get(key);
    this.pending.delete(key);
    return op;
  }

  private apply(event: HistoryEvent): void {
    switch (event.type) {
      case "activity_completed":
        this.take("activity", event.seq)?.resolve(event.result);
        return;
      case "activity_failed": {
        const op = this.take("activity", event.seq);
        op?.reject(new ActivityFailure(op.activityType, event.seq, event.attempt, failureToError(event.failure)));
        return;
      }
      case "activity_timed_out": {
        const op = this.take("activity", event.seq);
        op?.reject(new ActivityFailure(op.activityType, event.seq, event.attempt, new TimeoutFailure(event.timeout_type)));
        return;
      }
      case "activity_cancelled": {
        const op = this.take("activity", event.seq);
        op?.reject(new CancelledError(`activity "${op.activityType}" (seq ${event.seq}) was cancelled`));
        return;
      }
      case "timer_fired":
        this.take("timer", event.seq)?.resolve(undefined);
        return;
      case "signal_received":
        this.deliverSignal(event.name, event.input);
        return;
      case "update_accepted":
        // Recorded once per id; a duplicate must not run the handler twice.
        if (this.acceptedUpdates.has(event.update_id)) return;
        this.acceptedUpdates.add(event.update_id);
        this.startUpdate({ update_id: event.update_id, name: event.name, input: event.input });
        return;
      case "execution_cancel_requested": {
        this.cancelRequested = true;
        const reason = event.reason ? `execution cancelled: ${event.reason}` : "execution cancelled";
        // Creation order, so the cancel commands come out in the same order on every replay.
        for (const op of [...this.pending.values()]) {
          this.pending.delete(`${op.kind}:${op.seq}`);
          this.emit(op.kind === "activity" ? { type: "request_cancel_activity", seq: op.seq } : { type: "cancel_timer", seq: op.seq });
          op.reject(new CancelledError(reason));
        }
        // Children emit nothing: the parent close policy deals with them when this run ends.
        this.children.cancelAll(reason);
        // Conditions with a timer were rejected through it; the others are rejected here.
        for (const wait of [...this.conditions]) {
          if (wait.timerSeq !== undefined) continue;
          this.conditions.delete(wait);
          wait.reject(new CancelledError(reason));
        }
        return;
      }
      default:
        this.children.apply(event);
        return;
    }
  }

  private schedule<T>(kind: "activity" | "timer", seq: number, activityType: string, command: Command): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(`${kind}:${seq}`, { kind, seq, activityType, resolve: resolve as (value: unknown) => void, reject });
    });
    // Marks the promise handled: a cancelled operation nobody awaits must not crash the process.
    promise.catch(noop);
    this.emit(command);
    return promise;
  }

  private deliverSignal(name: string, input: unknown): void {
    const handler = this.signalHandlers.get(name);
    if (handler === undefined) this.bufferedSignals.push({ name, input });
    else this.invokeSignal(handler, input);
  }

  private invokeSignal(handler: SignalHandler<unknown>, input: unknown): void {
    let result: unknown;
    try {
      result = handler(input);
    } catch (err) {
      this.failRun(err);
      return;
    }
    if (!isThenable(result)) return;
    this.handlersRunning++;
    Promise.resolve(result).then(
      () => void this.handlersRunning--,
      (err: unknown) => {
        this.handlersRunning--;
        this.failRun(err);
      },
    );
  }

  private startUpdate(update: OfferedUpdate): void {
    const registration = this.updateHandlers.get(update.name);
    if (registration === undefined) {
      this.bufferedUpdates.push(update);
      return;
    }
    this.handlersRunning++;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(registration.handler(update.input));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => {
        this.handlersRunning--;
        this.emit({ type: "complete_update", update_id: update.update_id, ...(value === undefined ? {} : { result: value }) });
      },
      (err: unknown) => {
        this.handlersRunning--;
        this.emit({ type: "complete_update", update_id: update.update_id, failure: errorToFailure(err) });
      },
    );
  }

  private setSignalHandler(name: string, handler: SignalHandler<unknown> | undefined): void {
    this.assertWritable("ctx.setSignalHandler()");
    checkHandler("signal", name, handler);
    if (handler === undefined) {
      this.signalHandlers.delete(name);
      return;
    }
    this.signalHandlers.set(name, handler);
    // Buffered signals of this name, in history order; a handler may remove itself meanwhile.
    for (let i = 0; i < this.bufferedSignals.length; ) {
      const buffered = this.bufferedSignals[i]!;
      if (buffered.name !== name) {
        i++;
        continue;
      }
      const current = this.signalHandlers.get(name);
      if (current === undefined) break;
      this.bufferedSignals.splice(i, 1);
      this.invokeSignal(current, buffered.input);
    }
  }

  private setQueryHandler(name: string, handler: QueryHandler<unknown, unknown> | undefined): void {
    this.assertWritable("ctx.setQueryHandler()");
    checkHandler("query", name, handler);
    if (handler === undefined) this.queryHandlers.delete(name);
    else this.queryHandlers.set(name, handler);
  }

  private setUpdateHandler(name: string, handler: UpdateHandler<unknown, unknown> | undefined, options: UpdateHandlerOptions<unknown> = {}): void {
    this.assertWritable("ctx.setUpdateHandler()");
    checkHandler("update", name, handler);
    if (options.validator !== undefined && typeof options.validator !== "function") throw new TypeError(`update "${name}": validator must be a function`);
    if (handler === undefined) {
      this.updateHandlers.delete(name);
      return;
    }
    this.updateHandlers.set(name, { handler, validator: options.validator });
    const waiting = this.bufferedUpdates.filter((u) => u.name === name);
    this.bufferedUpdates = this.bufferedUpdates.filter((u) => u.name !== name);
    for (const update of waiting) this.startUpdate(update);
  }

  private waitCondition(fn: () => boolean, timeout: Duration | undefined): Promise<void> {
    this.assertWritable("ctx.waitCondition()");
    if (typeof fn !== "function") throw new TypeError("ctx.waitCondition(fn, timeout?): fn must be a function returning a boolean");
    const seconds = timeout === undefined ? undefined : toSeconds(timeout, "waitCondition timeout");
    // Already true: no timer, no command.
    if (this.evaluate(fn)) return Promise.resolve();
    let wait!: ConditionWait;
    const promise = new Promise<void>((resolve, reject) => {
      wait = { fn, timerSeq: undefined, resolve, reject };
    });
    // A wait nobody awaits (e.g. raced and abandoned) must not crash the process when it rejects.
    promise.catch(noop);
    this.conditions.add(wait);
    if (seconds !== undefined) {
      const seq = ++this.timerSeq;
      wait.timerSeq = seq;
      this.schedule<void>("timer", seq, "", { type: "start_timer", seq, duration: seconds }).then(
        () => {
          if (!this.conditions.delete(wait)) return;
          // The condition may have become true in the same batch the timer fired in: it wins.
          let met: boolean;
          try {
            met = this.evaluate(fn);
          } catch (err) {
            wait.reject(err);
            return;
          }
          if (met) wait.resolve();
          else wait.reject(new TimeoutFailure("wait_condition", `waitCondition timed out after ${seconds}s`));
        },
        (err: unknown) => {
          if (this.conditions.delete(wait)) wait.reject(err);
        },
      );
    }
    return promise;
  }

  private evaluate(fn: () => boolean): boolean {
    return Boolean(this.readOnlyCall("a waitCondition function", fn));
  }

  /** Resolves the conditions that became true (cancelling their timers); true if any did. */
  private checkConditions(): boolean {
    let progressed = false;
    for (const wait of [...this.conditions]) {
      if (!this.conditions.has(wait)) continue;
      let met: boolean;
      let error: { err: unknown } | undefined;
      try {
        met = this.evaluate(wait.fn);
      } catch (err) {
        met = false;
        error = { err };
      }
      if (!met && error === undefined) continue;
      this.conditions.delete(wait);
      if (wait.timerSeq !== undefined && this.take("timer", wait.timerSeq) !== undefined) this.emit({ type: "cancel_timer", seq: wait.timerSeq });
      if (error !== undefined) wait.reject(error.err);
      else wait.resolve();
      progressed = true;
    }
    return progressed;
  }

  private executeActivity(activity: ActivityDefinition | string, input: unknown, options?: ActivityCallOptions): Promise<unknown> {
    this.assertWritable("ctx.executeActivity()");
    const activityType = typeof activity === "string" ? activity : activity.name;
    const merged = mergeActivityOptions(typeof activity === "string" ? undefined : activity.options, options);
    const wireOptions = toWireActivityOptions(merged);
    const seq = ++this.activitySeq;
    return this.schedule("activity", seq, activityType, { type: "schedule_activity", seq, activity_type: activityType, input, options: wireOptions });
  }

  private executeChildWorkflow(workflow: WorkflowDefinition | string, input: unknown, options: ChildWorkflowOptions = {}): Promise<unknown> {
    this.assertWritable("ctx.executeChildWorkflow()");
    const seq = this.childSeq + 1;
    // Validates before taking the seq: a bad option throws and leaves the numbering untouched.
    const { command, executionId, wait } = startChildCommand(seq, this.label.executionId, workflow, input, options);
    this.childSeq = seq;
    const { started, result } = this.children.add(seq, command.workflow, executionId);
    this.emit(command);
    if (wait) return result;
    const handle: ChildWorkflowHandle = Object.freeze({ executionId, workflow: command.workflow, started, result: () => result });
    return Promise.resolve(handle);
  }

  private continueAsNew(input: unknown, options: { executionTimeout?: Duration } = {}): never {
    this.assertWritable("ctx.continueAsNew()");
    const seconds = options.executionTimeout === undefined ? undefined : toSeconds(options.executionTimeout, "ctx.continueAsNew() executionTimeout");
    if (seconds !== undefined && (seconds < 1 || seconds > 86_400 * 365)) {
      throw new TypeError(`ctx.continueAsNew() executionTimeout: must be between 1 second and 1 year, got ${seconds}s`);
    }
    this.close({ type: "continue_as_new", input: input === undefined ? null : input, ...(seconds === undefined ? {} : { execution_timeout: seconds }) });
    throw new ContinueAsNew(input);
  }

  private sleep(duration: Duration): Promise<void> {
    this.assertWritable("ctx.sleep()");
    const seconds = toSeconds(duration, "sleep duration");
    const seq = ++this.timerSeq;
    return this.schedule("timer", seq, "", { type: "start_timer", seq, duration: seconds });
  }

  private makeContext(logSink: LogSink): WorkflowContext {
    const self = this;
    const s = this.started.schedule;
    const schedule: ScheduleInfo | null =
      s === null
        ? null
        : Object.freeze({
            timestamp: s.timestamp,
            actualTimestamp: s.actual_timestamp,
            lastTimestamp: s.last_timestamp,
            timezone: s.timezone,
            scheduleId: s.schedule_id,
            key: s.key,
            upcoming: s.upcoming,
          });
    const log = replayAwareLogger(logSink, () => self.replaying, () => ({ workflow: self.label.workflow, execution_id: self.label.executionId, run_id: self.label.runId }));
    const context = {
      executionId: this.label.executionId,
      runId: this.label.runId,
      workflowName: this.label.workflow,
      taskQueue: this.started.task_queue,
      attempt: this.started.attempt,
      schedule,
      log,
      get continueAsNewSuggested() {
        return self.continueAsNewSuggested;
      },
      get cancelRequested() {
        return self.cancelRequested;
      },
      get isReplaying() {
        return self.replaying;
      },
      executeActivity: (activity: ActivityDefinition | string, input?: unknown, options?: ActivityCallOptions) => self.executeActivity(activity, input, options),
      sleep: (duration: Duration) => self.sleep(duration),
      executeChildWorkflow: (workflow: WorkflowDefinition | string, input?: unknown, options?: ChildWorkflowOptions) => self.executeChildWorkflow(workflow, input, options),
      continueAsNew: (input: unknown, options?: { executionTimeout?: Duration }) => self.continueAsNew(input, options),
      now: () => new Date(self.nowMs),
      random: () => {
        self.assertWritable("ctx.random()");
        return self.rng.next();
      },
      uuid: () => {
        self.assertWritable("ctx.uuid()");
        return self.rng.uuid();
      },
      setSignalHandler: (name: string, handler: SignalHandler<never> | undefined) => self.setSignalHandler(name, handler as SignalHandler<unknown> | undefined),
      setQueryHandler: (name: string, handler: QueryHandler<never, unknown> | undefined) => self.setQueryHandler(name, handler as QueryHandler<unknown, unknown> | undefined),
      setUpdateHandler: (name: string, handler: UpdateHandler<never, unknown> | undefined, options?: UpdateHandlerOptions<never>) =>
        self.setUpdateHandler(name, handler as UpdateHandler<unknown, unknown> | undefined, options as UpdateHandlerOptions<unknown> | undefined),
      waitCondition: (fn: () => boolean, timeout?: Duration) => self.waitCondition(fn, timeout),
      allHandlersFinished: () => self.handlersRunning === 0,
    };
    return Object.freeze(context) as WorkflowContext;
  }
}

function checkHandler(kind: string, name: string, handler: unknown): void {
  if (typeof name !== "string" || !HANDLER_NAME_RE.test(name)) {
    throw new TypeError(`${kind} name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
  }
  if (handler !== undefined && typeof handler !== "function") throw new TypeError(`${kind} "${name}": the handler must be a function (or undefined to remove it)`);
}

function listNames(handlers: ReadonlyMap<string, unknown>): string {
  return handlers.size === 0 ? "none is set" : `set: ${[...handlers.keys()].map((n) => JSON.stringify(n)).join(", ")}`;
}
