import { defaultChildExecutionId, type Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { isName } from "../protocol/execution.ts";
import { mergeActivityOptions, rejectUnknownActivityOptions, toWireActivityOptions, type ActivityCallOptions } from "./activity-options.ts";
import { ChildWorkflows, startChildCommand, type ChildWorkflowHandle, type ChildWorkflowOptions } from "./child-workflows.ts";
import type { RunLabel } from "./command-matcher.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import { timerSeconds, type Duration } from "./duration.ts";
import { PendingOperations } from "./pending-operations.ts";
import { refusedPayload, rejected } from "./payload-limits.ts";

/** What {@link Operations} needs from the workflow instance. */
export interface OperationsHost {
  readonly label: RunLabel;
  /** The run's number: default child ids include it from 2 on. */
  readonly runNumber: number;
  emit(command: Command): void;
  /** While replaying: the command event history recorded where this activation's next command goes. */
  recordedNext(): HistoryEvent | undefined;
  /** Throws if `api` is called where the workflow must not have effects (a query, a validator). */
  assertWritable(api: string): void;
}

/**
 * A run's activities, timers and child workflows: the `ctx` calls that start them (each kind
 * numbered by its own seq, so the commands match history on replay), the promises the workflow
 * awaits on them, and the history events and cancel requests that settle those promises.
 */
export class Operations {
  private readonly host: OperationsHost;
  private readonly pending = new PendingOperations();
  private readonly children = new ChildWorkflows();
  private activitySeq = 0;
  private timerSeq = 0;
  private childSeq = 0;

  constructor(host: OperationsHost) {
    this.host = host;
  }

  /** Settles what an activity, timer or child workflow event closes; any other event is ignored. */
  apply(event: HistoryEvent): void {
    if (!this.pending.apply(event)) this.children.apply(event);
  }

  /**
   * A cancel request: pending activities and timers (step checkpoints aside) emit their cancel
   * commands and reject. Children emit nothing: the parent close policy deals with them when this
   * run ends. Only the awaited ones reject; handles (wait: false) follow the child's own events.
   */
  cancelAll(reason: string): void {
    this.pending.cancelAll(reason, (command) => this.host.emit(command));
    this.children.cancelAll(reason);
  }

  executeActivity(activity: ActivityDefinition | string, input: unknown, options?: ActivityCallOptions): Promise<unknown> {
    this.host.assertWritable("ctx.executeActivity()");
    const activityType = typeof activity === "string" ? activity : activity.name;
    if (!isName(activityType)) {
      throw new TypeError(`ctx.executeActivity(): the activity must be a definition or a name (1-200 letters, digits and . _ : -, starting with a letter or digit), got ${JSON.stringify(activityType)}`);
    }
    const refused = refusedPayload(input, `the input of activity "${activityType}"`, this.host.recordedNext(), (e) => (e.type === "activity_scheduled" && e.seq === this.activitySeq + 1 ? { payload: e.input } : null));
    if (refused !== null) return rejected(refused.error);
    if (options !== undefined) rejectUnknownActivityOptions(options, `ctx.executeActivity(${JSON.stringify(activityType)}) options`);
    const merged = mergeActivityOptions(typeof activity === "string" ? undefined : activity.options, options);
    const wireOptions = toWireActivityOptions(merged);
    const seq = ++this.activitySeq;
    return this.schedule("activity", seq, activityType, { type: "schedule_activity", seq, activity_type: activityType, input: input === undefined ? null : input, options: wireOptions });
  }

  executeChildWorkflow(workflow: WorkflowDefinition | string, input: unknown, options: ChildWorkflowOptions = {}): Promise<unknown> {
    this.host.assertWritable("ctx.executeChildWorkflow()");
    const seq = this.childSeq + 1;
    const refused = refusedPayload(input, `the input of child workflow ${JSON.stringify(typeof workflow === "string" ? workflow : workflow?.name)}`, this.host.recordedNext(), (e) =>
      e.type === "child_workflow_initiated" && e.seq === seq ? { payload: e.input } : null,
    );
    if (refused !== null) return rejected(refused.error);
    // A replayed child keeps the id history recorded: after a reset the run number grew, but the
    // children of the kept history were named in the earlier run. A new one is named as the
    // platform will name it.
    const recorded = this.host.recordedNext();
    const defaultId = recorded?.type === "child_workflow_initiated" && recorded.seq === seq ? recorded.execution_id : defaultChildExecutionId(this.host.label.executionId, this.host.runNumber, seq);
    // Validates before taking the seq: a bad option throws and leaves the numbering untouched.
    const { command, executionId, wait } = startChildCommand(seq, defaultId, workflow, input, options);
    this.childSeq = seq;
    const { started, result } = this.children.add(seq, command.workflow, executionId, wait);
    this.host.emit(command);
    if (wait) return result;
    const handle: ChildWorkflowHandle = Object.freeze({ executionId, workflow: command.workflow, started, result: () => result });
    return Promise.resolve(handle);
  }

  sleep(duration: Duration): Promise<void> {
    this.host.assertWritable("ctx.sleep()");
    return this.startTimer(timerSeconds(duration, "ctx.sleep() duration")).fired;
  }

  /** Starts the next timer: `ctx.sleep()`'s, `ctx.waitCondition()`'s timeouts and step checkpoints share the numbering. */
  startTimer(seconds: number, keepOnCancel = false): { seq: number; fired: Promise<void> } {
    const seq = ++this.timerSeq;
    return { seq, fired: this.schedule<void>("timer", seq, "", { type: "start_timer", seq, duration: seconds }, keepOnCancel) };
  }

  /** Cancels timer `seq` (emits `cancel_timer`) if it is still pending. */
  cancelTimer(seq: number): void {
    if (this.pending.take("timer", seq) !== undefined) this.host.emit({ type: "cancel_timer", seq });
  }

  private schedule<T>(kind: "activity" | "timer", seq: number, activityType: string, command: Command, keepOnCancel = false): Promise<T> {
    const promise = this.pending.add<T>(kind, seq, activityType, keepOnCancel);
    this.host.emit(command);
    return promise;
  }
}
