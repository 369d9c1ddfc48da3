import type { Command } from "../protocol/commands.ts";
import { isName } from "../protocol/execution.ts";
import type { Failure } from "../protocol/failure.ts";
import { WORKFLOW_METADATA_QUERY, type HandlerOptions, type QueryHandler, type SignalHandler, type UpdateHandler, type UpdateHandlerOptions } from "./context.ts";
import { timerSeconds, type Duration } from "./duration.ts";
import { ApplicationFailure, CancelledError, ContinueAsNew, ReadOnlyContextError, TimeoutFailure } from "./errors.ts";
import { checkPayload } from "./payload-limits.ts";
import { errorToFailure } from "./failure-convert.ts";
import { markHandled } from "./promises.ts";

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";

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

/**
 * What the handlers need from the run that owns them. A `waitCondition` timeout is an ordinary
 * timer of the run: it shares `ctx.sleep()`'s numbering and is cancelled like one.
 */
export interface HandlerHost {
  /** True once the run emitted its closing command: an update offered then is refused. */
  isClosed(): boolean;
  emit(command: Command): void;
  /**
   * An error escaped signal handler `signal`: the run fails, as if `run` threw it, except that a
   * `CancelledError` escaping it after a cancel request leaves the outcome to `run`.
   */
  signalHandlerFailed(signal: string, err: unknown): void;
  /** Starts a timer: its seq, and a promise that resolves when it fires (rejects if it is cancelled). */
  startTimer(seconds: number): { seq: number; fired: Promise<void> };
  /** Cancels timer `seq` (emits `cancel_timer`) if it is still pending. */
  cancelTimer(seq: number): void;
}

/**
 * A run's messages: the signal, query and update handlers the workflow sets, the signals and
 * updates that wait for theirs, and the `ctx.waitCondition()` calls that the handlers' effects
 * usually unblock. It also keeps the read-only window that query handlers, update validators and
 * conditions run in, since they are what opens it; every `ctx` API with an effect checks it.
 */
export class MessageHandlers {
  private readonly workflow: string;
  private readonly host: HandlerHost;
  private readonly signalHandlers = new Map<string, SignalHandler<unknown>>();
  private readonly queryHandlers = new Map<string, QueryHandler<unknown, unknown>>();
  private readonly updateHandlers = new Map<string, UpdateRegistration>();
  /** Handler descriptions, by `kind:name` (for the metadata query). */
  private readonly descriptions = new Map<string, string>();
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

  constructor(workflow: string, host: HandlerHost) {
    this.workflow = workflow;
    this.host = host;
  }

  /** For `ctx.allHandlersFinished()`. */
  allHandlersFinished(): boolean {
    return this.handlersRunning === 0;
  }

  /** Throws a `ReadOnlyContextError` when called from a query handler, update validator or condition. */
  assertWritable(api: string): void {
    if (this.readOnly !== undefined) throw new ReadOnlyContextError(api, this.readOnly);
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
    if (this.host.isClosed()) {
      return errorToFailure(new ApplicationFailure(`workflow "${this.workflow}" is closing: update "${update.name}" was not accepted`, { type: "WorkflowClosed", nonRetryable: true }));
    }
    const registration = this.updateHandlers.get(update.name);
    if (registration === undefined) {
      return errorToFailure(new ApplicationFailure(`workflow "${this.workflow}" has no update handler "${update.name}" (${listNames(this.updateHandlers)})`, { type: "UnknownUpdate", nonRetryable: true }));
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
    if (handler === undefined && name === WORKFLOW_METADATA_QUERY) return this.metadata();
    if (handler === undefined) {
      throw new ApplicationFailure(`workflow "${this.workflow}" has no query handler "${name}" (${listNames(this.queryHandlers)})`, { type: "UnknownQuery", nonRetryable: true });
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
        markHandled(value);
        throw new TypeError(`${where} returned a promise: query handlers and update validators must be synchronous`);
      }
      return value;
    } finally {
      this.readOnly = previous;
    }
  }

  /** A `signal_received` event: runs the handler, or buffers the signal until one is set. */
  deliverSignal(name: string, input: unknown): void {
    const handler = this.signalHandlers.get(name);
    if (handler === undefined) this.bufferedSignals.push({ name, input });
    else this.invokeSignal(name, handler, input);
  }

  private invokeSignal(name: string, handler: SignalHandler<unknown>, input: unknown): void {
    let result: unknown;
    try {
      result = handler(input);
    } catch (err) {
      this.host.signalHandlerFailed(name, err);
      return;
    }
    if (!isThenable(result)) return;
    this.handlersRunning++;
    Promise.resolve(result).then(
      () => void this.handlersRunning--,
      (err: unknown) => {
        this.handlersRunning--;
        this.host.signalHandlerFailed(name, err);
      },
    );
  }

  /** An `update_accepted` event: runs the handler (or buffers the update until one is set). */
  acceptUpdate(update: OfferedUpdate): void {
    // Recorded once per id; a duplicate must not run the handler twice.
    if (this.acceptedUpdates.has(update.update_id)) return;
    this.acceptedUpdates.add(update.update_id);
    this.startUpdate(update);
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
        try {
          checkPayload(value, `the result of update "${update.name}"`);
        } catch (err) {
          this.host.emit({ type: "complete_update", update_id: update.update_id, failure: errorToFailure(err) });
          return;
        }
        this.host.emit({ type: "complete_update", update_id: update.update_id, ...(value === undefined ? {} : { result: value }) });
      },
      (err: unknown) => {
        this.handlersRunning--;
        // The handler continued the run as new: its throw only unwinds the code, as in `run`. The
        // update is not completed; the platform fails it for its caller (409 execution_closed).
        if (err instanceof ContinueAsNew) return;
        this.host.emit({ type: "complete_update", update_id: update.update_id, failure: errorToFailure(err) });
      },
    );
  }

  setSignalHandler(name: string, handler: SignalHandler<unknown> | undefined, options: HandlerOptions = {}): void {
    this.assertWritable("ctx.setSignalHandler()");
    checkHandler("signal", name, handler);
    this.describe("signal", name, handler, options);
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
      this.invokeSignal(name, current, buffered.input);
    }
  }

  setQueryHandler(name: string, handler: QueryHandler<unknown, unknown> | undefined, options: HandlerOptions = {}): void {
    this.assertWritable("ctx.setQueryHandler()");
    checkHandler("query", name, handler);
    this.describe("query", name, handler, options);
    if (handler === undefined) this.queryHandlers.delete(name);
    else this.queryHandlers.set(name, handler);
  }

  setUpdateHandler(name: string, handler: UpdateHandler<unknown, unknown> | undefined, options: UpdateHandlerOptions<unknown> = {}): void {
    this.assertWritable("ctx.setUpdateHandler()");
    checkHandler("update", name, handler);
    if (options.validator !== undefined && typeof options.validator !== "function") throw new TypeError(`update "${name}": validator must be a function`);
    this.describe("update", name, handler, options);
    if (handler === undefined) {
      this.updateHandlers.delete(name);
      return;
    }
    this.updateHandlers.set(name, { handler, validator: options.validator });
    const waiting = this.bufferedUpdates.filter((u) => u.name === name);
    this.bufferedUpdates = this.bufferedUpdates.filter((u) => u.name !== name);
    for (const update of waiting) this.startUpdate(update);
  }

  /** Keeps (or drops, with the handler) a handler's description. */
  private describe(kind: string, name: string, handler: unknown, options: HandlerOptions): void {
    const { description } = options ?? {};
    if (description !== undefined && (typeof description !== "string" || description.length > 1000)) {
      throw new TypeError(`${kind} "${name}": description must be a string of at most 1,000 characters`);
    }
    if (handler === undefined || description === undefined) this.descriptions.delete(`${kind}:${name}`);
    else this.descriptions.set(`${kind}:${name}`, description);
  }

  /** The built-in metadata query's answer: the handlers set right now, by name, with descriptions. */
  private metadata(): unknown {
    const list = (kind: string, names: Iterable<string>) =>
      [...names].sort().map((name) => {
        const description = this.descriptions.get(`${kind}:${name}`);
        return description === undefined ? { name } : { name, description };
      });
    return {
      definition: {
        type: this.workflow,
        signal_definitions: list("signal", this.signalHandlers.keys()),
        query_definitions: list("query", this.queryHandlers.keys()),
        update_definitions: list("update", this.updateHandlers.keys()),
      },
    };
  }

  waitCondition(fn: () => boolean, timeout: Duration | undefined): Promise<void> {
    this.assertWritable("ctx.waitCondition()");
    if (typeof fn !== "function") throw new TypeError("ctx.waitCondition(fn, timeout?): fn must be a function returning a boolean");
    const seconds = timeout === undefined ? undefined : timerSeconds(timeout, "ctx.waitCondition() timeout");
    // Already true: no timer, no command.
    if (this.evaluate(fn)) return Promise.resolve();
    let wait!: ConditionWait;
    const promise = new Promise<void>((resolve, reject) => {
      wait = { fn, timerSeq: undefined, resolve, reject };
    });
    // A wait nobody awaits (e.g. raced and abandoned) must not crash the process when it rejects.
    markHandled(promise);
    this.conditions.add(wait);
    if (seconds !== undefined) {
      const timer = this.host.startTimer(seconds);
      wait.timerSeq = timer.seq;
      timer.fired.then(
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
  checkConditions(): boolean {
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
      if (wait.timerSeq !== undefined) this.host.cancelTimer(wait.timerSeq);
      if (error !== undefined) wait.reject(error.err);
      else wait.resolve();
      progressed = true;
    }
    return progressed;
  }

  /** The run was asked to cancel: rejects the conditions without a timer, in creation order. */
  cancelConditions(reason: string): void {
    // Conditions with a timer are rejected through it: the run cancelled its timers just before.
    for (const wait of [...this.conditions]) {
      if (wait.timerSeq !== undefined) continue;
      this.conditions.delete(wait);
      wait.reject(new CancelledError(reason));
    }
  }
}

/** Handler names travel in URLs and as the wire's `Name`: the same rule. */
function checkHandler(kind: string, name: string, handler: unknown): void {
  if (!isName(name)) {
    throw new TypeError(`${kind} name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
  }
  if (handler !== undefined && typeof handler !== "function") throw new TypeError(`${kind} "${name}": the handler must be a function (or undefined to remove it)`);
}

function listNames(handlers: ReadonlyMap<string, unknown>): string {
  return handlers.size === 0 ? "none is set" : `set: ${[...handlers.keys()].map((n) => JSON.stringify(n)).join(", ")}`;
}
