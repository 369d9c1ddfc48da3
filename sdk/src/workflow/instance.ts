import type { Command } from "../protocol/commands.ts";
import type { EventOf, HistoryEvent } from "../protocol/history.ts";
import { isSkippableCommand, isSkippableMarker, recordedCommandAt, verifyRecordedCommands, type RunLabel } from "./command-matcher.ts";
import type { WorkflowContext } from "./context.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { toSeconds, type Duration } from "./duration.ts";
import { CancelledError, ContinueAsNew } from "./errors.ts";
import { errorToFailure } from "./failure-convert.ts";
import { MessageHandlers, type OfferedUpdate } from "./handlers.ts";
import { RESOLUTION_EVENT_TYPES, type Activation } from "./history-batches.ts";
import type { LogSink } from "./logger.ts";
import { makeContext } from "./make-context.ts";
import { Operations } from "./operations.ts";
import { Patches } from "./patches.ts";
import { Steps } from "./steps.ts";
import { checkPayload, refusedPayload } from "./payload-limits.ts";

/** Runs every promise reaction the workflow has queued: all microtasks finish before a macrotask. */
const drainMicrotasks: () => Promise<void> =
  typeof setImmediate === "function" ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

/** What an instance needs besides its definition and first event. */
export interface InstanceOptions {
  executionId: string;
  /** What `ctx.runId` says: the task's run (after a reset, not the run `started` records). */
  runId: string;
  /** The run's number (`WorkflowTask.run_number`): default child ids include it from 2 on. */
  runNumber: number;
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
  /** The run id `execution_started` records: after a reset, the original run's, not `label.runId`. */
  readonly startedRunId: string;
  readonly context: WorkflowContext;
  /** Events consumed so far, and the last of them (to check a new history extends it). */
  consumed = 0;
  lastEvent: { id: number; type: string } | undefined;
  /** True once the run emitted its closing command. */
  closed = false;
  /** True once processing threw (non-determinism): the state must not be reused. */
  broken = false;
  private readonly started: EventOf<"execution_started">;
  /** Activities, timers and child workflows: their numbering, commands and promises. */
  private readonly operations: Operations;
  private readonly steps: Steps;
  private readonly patches: Patches;
  /** An error the workflow task cannot go on from (an invalid patch id): process() throws it. */
  private taskError: Error | undefined;
  private emitted: Command[] = [];
  /** Commands of the latest activation, to match against the command events of the next batch. */
  private unverified: Command[] = [];
  /** While replaying an activation: the command events history recorded for it, in order. */
  private recordedCommands: readonly HistoryEvent[] = [];
  /** Whether they hold a deprecated patch marker (then commands and events may not line up one for one). */
  private recordedSkippable = false;
  /** Whether this activation emitted a deprecated patch marker (which may have no event: the same). */
  private emittedSkippable = false;
  private nowMs = 0;
  private replaying = true;
  private cancelRequested = false;
  private continueAsNewSuggested = false;
  /** Signal, query and update handlers, `ctx.waitCondition()` waits, and the read-only window. */
  private readonly handlers: MessageHandlers;
  /** Whether `run` was started (it starts with the first workflow task). */
  private running = false;

  constructor(definition: WorkflowDefinition, started: EventOf<"execution_started">, options: InstanceOptions) {
    this.definition = definition;
    this.started = started;
    this.startedRunId = started.run_id;
    this.label = { workflow: started.workflow, executionId: options.executionId, runId: options.runId };
    this.nowMs = Date.parse(started.ts);
    this.operations = new Operations({
      label: this.label,
      runNumber: options.runNumber,
      emit: (command) => this.emit(command),
      recordedNext: () => this.recordedNext(),
      assertWritable: (api) => this.handlers.assertWritable(api),
    });
    this.handlers = new MessageHandlers(started.workflow, {
      isClosed: () => this.closed,
      emit: (command) => this.emit(command),
      signalHandlerFailed: (signal, err) => this.signalHandlerFailed(signal, err),
      startTimer: (seconds) => this.operations.startTimer(seconds),
      cancelTimer: (seq) => this.operations.cancelTimer(seq),
    });
    this.steps = new Steps({
      emit: (command) => this.emit(command),
      replaying: () => this.replaying,
      closed: () => this.closed,
      startCheckpoint: () => this.operations.startTimer(0, true).fired,
      checkpointRecorded: () => {
        if (!this.replaying) return null;
        const next = this.recordedNext();
        return next?.type === "timer_started" && next.duration === 0;
      },
    });
    this.patches = new Patches({
      emit: (command) => this.emit(command),
      failTask: (err) => (this.taskError ??= err),
    });
    this.context = makeContext({
      label: this.label,
      started,
      logSink: options.logSink,
      operations: this.operations,
      handlers: this.handlers,
      steps: this.steps,
      patches: this.patches,
      replaying: () => this.replaying,
      cancelRequested: () => this.cancelRequested,
      continueAsNewSuggested: () => this.continueAsNewSuggested,
      nowMs: () => this.nowMs,
      continueAsNew: (input, continueOptions) => this.continueAsNew(input, continueOptions),
    });
  }

  /** Takes note of the step outcomes history records, before replaying it (see steps.ts). */
  knowRecordedSteps(events: readonly HistoryEvent[]): void {
    this.steps.know(events);
  }

  /**
   * Processes one activation: checks the commands history recorded for the previous activation,
   * then (when the batch ends in a workflow task) resolves this batch's events in event order (a
   * cancel request after the others) and lets the workflow run until it blocks. Returns the
   * commands this activation emitted. A replayed activation gets `recordedCommands`, the command
   * events history holds for it (see {@link recordedCommandsOf}), so its steps stop at the
   * checkpoints history recorded, and its `ctx.patched()` calls answer from the markers among
   * them; null (a query replaying a task still in flight) when nobody knows them yet.
   */
  async process(activation: Activation, liveSuggestion: boolean, recordedCommands: readonly HistoryEvent[] | null = []): Promise<Command[]> {
    verifyRecordedCommands(this.label, this.unverified, activation.events);
    this.unverified = [];
    const last = activation.events[activation.events.length - 1];
    if (last !== undefined) this.lastEvent = { id: last.id, type: last.type };
    this.consumed += activation.events.length;
    if (activation.started === null) return [];
    this.nowMs = Date.parse(activation.started.ts);
    this.replaying = activation.replay;
    this.recordedCommands = activation.replay ? (recordedCommands ?? []) : [];
    this.recordedSkippable = this.recordedCommands.some(isSkippableMarker);
    this.steps.beginActivation();
    this.patches.beginActivation(activation.replay ? recordedCommands : null);
    this.continueAsNewSuggested = activation.started.suggest_continue_as_new ?? (activation.replay ? this.continueAsNewSuggested : liveSuggestion);
    await this.ensureRunning();
    // Resolutions in event order (signals and accepted updates included, so handlers see them in
    // history order), a cancel request last: an activity or timer that finished in the same batch
    // resolves normally rather than being cancelled (the platform refuses to cancel what is no
    // longer pending, so a retried task must not ask for it again). The cancel waits until the
    // workflow has run on those results to its next wait, and rejects that: a sequential workflow
    // whose awaited activity finished together with the cancel request would otherwise call its
    // next activity untouched by the cancel, which it would never see.
    const resolutions = activation.events.filter((e) => RESOLUTION_EVENT_TYPES.has(e.type));
    for (const event of resolutions) if (event.type !== "execution_cancel_requested") this.apply(event);
    const cancels = resolutions.filter((e) => e.type === "execution_cancel_requested");
    if (cancels.length > 0 && cancels.length < resolutions.length) await this.settle();
    for (const event of cancels) this.apply(event);
    await this.settle();
    if (this.taskError !== undefined) throw this.taskError;
    const commands = this.emitted;
    this.emitted = [];
    this.emittedSkippable = false;
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
   * makes another condition true), and settles the steps it called (which may unblock more).
   */
  private async settle(): Promise<void> {
    await drainMicrotasks();
    for (;;) {
      if (this.handlers.checkConditions()) {
        await drainMicrotasks();
        continue;
      }
      if (!this.steps.pending) return;
      await this.steps.settleRound();
      await drainMicrotasks();
    }
  }

  /**
   * Answers the updates a live workflow task offers, after its activation: runs each validator
   * (read-only) against the current state, in order. Updates history already records as accepted
   * (or offered twice) are skipped. These commands are not recorded as command events, so they
   * are never matched on replay.
   */
  answerUpdates(offered: readonly OfferedUpdate[]): Command[] {
    return this.handlers.answerUpdates(offered);
  }

  /**
   * Runs query `name` on the current (replayed) state: synchronously, read-only. Throws an
   * `UnknownQuery` ApplicationFailure when no handler is set, or whatever the handler throws.
   */
  runQuery(name: string, input: unknown): unknown {
    return this.handlers.runQuery(name, input);
  }

  private startRun(): void {
    let result: Promise<unknown>;
    try {
      result = this.definition.execute(this.context, this.started.input);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => {
        const refused = this.payloadRefused(value, `the result of workflow "${this.label.workflow}"`, (e) => (e.type === "execution_completed" ? { payload: e.result } : null));
        if (refused !== null) {
          this.failRun(refused.error);
          return;
        }
        // A run that returns nothing (a `void` workflow) completes with null: `undefined` vanishes
        // from the JSON, and the platform refuses a complete_workflow without a result.
        this.close({ type: "complete_workflow", result: value === undefined ? null : value });
      },
      (err: unknown) => this.failRun(err),
    );
  }

  /**
   * An error escaped signal handler `signal`: the run fails as if `run` threw it. A
   * `CancelledError` after a cancel request is the cancel reaching what the handler waited on, not
   * a verdict on the run: `run` got the cancel too, and what it does with it (clean up and return,
   * or let it escape) decides the outcome. It is logged, once.
   */
  private signalHandlerFailed(signal: string, err: unknown): void {
    if (err instanceof CancelledError && this.cancelRequested) {
      this.context.log.warn(`signal handler "${signal}" let a CancelledError escape; the run's outcome is left to run`, { signal, error: err.message });
      return;
    }
    this.failRun(err);
  }

  /** An error escaped `run` (or a signal handler): the run fails (or ends cancelled). */
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

  /** While replaying: the command event history recorded where this activation's next command goes. */
  private recordedNext(): HistoryEvent | undefined {
    if (!this.replaying) return undefined;
    // Position for position, unless a deprecated patch marker the code may skip shifts them.
    return this.recordedSkippable || this.emittedSkippable ? recordedCommandAt(this.recordedCommands, this.emitted) : this.recordedCommands[this.emitted.length];
  }

  /** {@link refusedPayload} for a command about to be emitted at this point of the activation. */
  private payloadRefused(value: unknown, what: string, recorded: (e: HistoryEvent) => { payload: unknown } | null): { error: unknown } | null {
    return refusedPayload(value, what, this.recordedNext(), recorded);
  }

  private emit(command: Command): void {
    if (isSkippableCommand(command)) this.emittedSkippable = true;
    if (!this.closed) this.emitted.push(command);
    // An update handler that finished in the activation where the run closed (a few turns after the
    // workflow's return) answered its caller: its result goes before the closing command, which
    // stays last. Anything else a dangling promise does after the run settled is moot.
    else if (command.type === "complete_update" && this.emitted.length > 0) this.emitted.splice(this.emitted.length - 1, 0, command);
  }

  private apply(event: HistoryEvent): void {
    switch (event.type) {
      case "signal_received":
        this.handlers.deliverSignal(event.name, event.input);
        return;
      case "update_accepted":
        this.handlers.acceptUpdate({ update_id: event.update_id, name: event.name, input: event.input });
        return;
      case "execution_cancel_requested": {
        this.cancelRequested = true;
        const reason = event.reason ? `execution cancelled: ${event.reason}` : "execution cancelled";
        this.operations.cancelAll(reason);
        this.handlers.cancelConditions(reason);
        return;
      }
      default:
        this.operations.apply(event);
        return;
    }
  }

  private continueAsNew(input: unknown, options: { executionTimeout?: Duration } = {}): never {
    this.handlers.assertWritable("ctx.continueAsNew()");
    checkPayload(input, "the input of ctx.continueAsNew()");
    const seconds = options.executionTimeout === undefined ? undefined : toSeconds(options.executionTimeout, "ctx.continueAsNew() executionTimeout");
    if (seconds !== undefined && (seconds < 1 || seconds > 86_400 * 365)) {
      throw new TypeError(`ctx.continueAsNew() executionTimeout: must be between 1 second and 1 year, got ${seconds}s`);
    }
    this.close({ type: "continue_as_new", input: input === undefined ? null : input, ...(seconds === undefined ? {} : { execution_timeout: seconds }) });
    throw new ContinueAsNew(input);
  }
}
