import type { Command } from "../protocol/commands.ts";
import type { EventOf, HistoryEvent } from "../protocol/history.ts";
import { mergeActivityOptions, toWireActivityOptions, type ActivityCallOptions } from "./activity-options.ts";
import { verifyRecordedCommands, type RunLabel } from "./command-matcher.ts";
import type { ScheduleInfo, WorkflowContext } from "./context.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { toSeconds, type Duration } from "./duration.ts";
import { ActivityFailure, CancelledError, TimeoutFailure } from "./errors.ts";
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
  private emitted: Command[] = [];
  /** Commands of the latest activation, to match against the command events of the next batch. */
  private unverified: Command[] = [];
  private running = false;
  private nowMs = 0;
  private replaying = true;
  private cancelRequested = false;
  private continueAsNewSuggested = false;

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
    if (!this.running) {
      this.running = true;
      this.startRun();
      await drainMicrotasks();
    }
    // Resolutions in event order, a cancel request last: an activity or timer that finished in the
    // same batch resolves normally rather than being cancelled (the platform refuses to cancel
    // what is no longer pending, so a retried task must not ask for it again).
    const resolutions = activation.events.filter((e) => RESOLUTION_EVENT_TYPES.has(e.type));
    for (const event of resolutions) if (event.type !== "execution_cancel_requested") this.apply(event);
    for (const event of resolutions) if (event.type === "execution_cancel_requested") this.apply(event);
    await drainMicrotasks();
    const commands = this.emitted;
    this.emitted = [];
    this.unverified = commands;
    return commands;
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
      // cancel_workflow only answers a cancel request; a CancelledError thrown without one is a failure.
      (err: unknown) => this.close(err instanceof CancelledError && this.cancelRequested ? { type: "cancel_workflow" } : { type: "fail_workflow", failure: errorToFailure(err) }),
    );
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
      case "execution_cancel_requested":
        this.cancelRequested = true;
        // Creation order, so the cancel commands come out in the same order on every replay.
        for (const op of [...this.pending.values()]) {
          this.pending.delete(`${op.kind}:${op.seq}`);
          this.emit(op.kind === "activity" ? { type: "request_cancel_activity", seq: op.seq } : { type: "cancel_timer", seq: op.seq });
          op.reject(new CancelledError(event.reason ? `execution cancelled: ${event.reason}` : "execution cancelled"));
        }
        return;
      default:
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

  private executeActivity(activity: ActivityDefinition | string, input: unknown, options?: ActivityCallOptions): Promise<unknown> {
    const activityType = typeof activity === "string" ? activity : activity.name;
    const merged = mergeActivityOptions(typeof activity === "string" ? undefined : activity.options, options);
    const wireOptions = toWireActivityOptions(merged);
    const seq = ++this.activitySeq;
    return this.schedule("activity", seq, activityType, { type: "schedule_activity", seq, activity_type: activityType, input, options: wireOptions });
  }

  private sleep(duration: Duration): Promise<void> {
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
      now: () => new Date(self.nowMs),
      random: () => self.rng.next(),
      uuid: () => self.rng.uuid(),
    };
    return Object.freeze(context) as WorkflowContext;
  }
}
