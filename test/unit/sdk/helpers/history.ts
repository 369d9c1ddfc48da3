import { defaultChildExecutionId, type Command, type Failure, type HistoryEvent, type SchedulePayload } from "@sundial/sdk/protocol";
import { activate, type WorkflowDefinition } from "@sundial/sdk/workflow";

type Attrs = Record<string, unknown>;

/**
 * Builds realistic histories the way the platform writes them: ids from 1, timestamps moving
 * forward, `scheduled_event_id`/`started_event_id` pointing at the right events. `record(commands)`
 * appends the events a server writes for a completion, so a test can feed a task's commands back.
 */
export class HistoryBuilder {
  private readonly events: HistoryEvent[] = [];
  private t: number;
  private taskScheduledId = 0;
  private readonly activityIds = new Map<number, number>();
  private readonly timerIds = new Map<number, number>();
  /** Child execution ids by seq, as the platform recorded them in child_workflow_initiated. */
  private readonly childIds = new Map<number, string>();
  /** The execution id default child ids derive from (the run id unless given, like the runtime). */
  readonly executionId: string;
  /** The run's number, which default child ids include from 2 on; {@link reset} raises it. */
  runNumber: number;

  constructor(opts: {
    workflow: string;
    input?: unknown;
    runId?: string;
    taskQueue?: string;
    start?: string;
    attempt?: number;
    schedule?: SchedulePayload | null;
    /** Recorded in execution_started when given. */
    executionId?: string;
    /** Recorded in execution_started (a run started by continue-as-new). */
    continuedFromRunId?: string;
    /** The run's number (default 1), as the platform names children with it. */
    runNumber?: number;
  }) {
    this.t = Date.parse(opts.start ?? "2026-11-22T09:00:00.000Z");
    this.executionId = opts.executionId ?? opts.runId ?? "run-1";
    this.runNumber = opts.runNumber ?? 1;
    this.add("execution_started", {
      ...(opts.executionId === undefined ? {} : { execution_id: opts.executionId }),
      ...(opts.continuedFromRunId === undefined ? {} : { continued_from_run_id: opts.continuedFromRunId }),
      workflow: opts.workflow,
      input: opts.input,
      task_queue: opts.taskQueue ?? "default",
      execution_timeout: 3600,
      run_id: opts.runId ?? "run-1",
      attempt: opts.attempt ?? 1,
      schedule: opts.schedule ?? null,
    });
  }

  /** Moves the clock forward. */
  advance(ms: number): this {
    this.t += ms;
    return this;
  }

  private add(type: HistoryEvent["type"], attrs: Attrs, stepMs = 5): number {
    this.t += this.events.length === 0 ? 0 : stepMs;
    const id = this.events.length + 1;
    this.events.push({ id, type, ts: new Date(this.t).toISOString(), ...attrs } as HistoryEvent);
    return id;
  }

  /** workflow_task_scheduled + workflow_task_started: the history up to here is a task. */
  task(opts: { attempt?: number; suggestContinueAsNew?: boolean } = {}): this {
    this.taskScheduledId = this.add("workflow_task_scheduled", { attempt: opts.attempt ?? 1 });
    this.add("workflow_task_started", {
      scheduled_event_id: this.taskScheduledId,
      identity: "worker-1",
      ...(opts.suggestContinueAsNew === undefined ? {} : { suggest_continue_as_new: opts.suggestContinueAsNew }),
    });
    return this;
  }

  /**
   * workflow_task_completed followed by the events recording `commands` (what the server writes).
   * `accept_update` becomes `update_accepted` after the other command events (its name and input
   * come from `offered`, the task's updates); `reject_update` writes nothing.
   */
  complete(commands: Command[], offered: readonly { update_id: string; name: string; input: unknown }[] = []): this {
    this.add("workflow_task_completed", { scheduled_event_id: this.taskScheduledId, identity: "worker-1" }, 40);
    const accepted: string[] = [];
    for (const c of commands) {
      if (c.type === "accept_update") accepted.push(c.update_id);
      else this.recordCommand(c);
    }
    for (const id of accepted) {
      const u = offered.find((o) => o.update_id === id);
      if (u === undefined) throw new Error(`accept_update ${id} was not offered`);
      this.add("update_accepted", { update_id: id, name: u.name, input: u.input }, 0);
    }
    return this;
  }

  /** A signal recorded by the platform. */
  signal(name: string, input: unknown = null, requestId: string | null = null): this {
    this.add("signal_received", { name, input, request_id: requestId }, 300);
    return this;
  }

  /** An update_accepted written directly (as the platform does after an accept_update). */
  updateAccepted(updateId: string, name: string, input: unknown = null): this {
    this.add("update_accepted", { update_id: updateId, name, input }, 0);
    return this;
  }

  failTask(message = "boom"): this {
    this.add("workflow_task_failed", { scheduled_event_id: this.taskScheduledId, failure: { message, type: "Error", non_retryable: false } });
    return this;
  }

  /**
   * The platform failed the last task itself (Temporal's UnhandledCommand): it would have closed
   * the run while events that arrived after it started waited, so nothing it sent was recorded.
   */
  unhandledCommand(): this {
    this.add("workflow_task_failed", {
      scheduled_event_id: this.taskScheduledId,
      cause: "UnhandledCommand",
      failure: { message: "new events arrived while this workflow task ran", type: "UnhandledCommand", non_retryable: false },
    });
    return this;
  }

  /**
   * A reset to the last task: the platform kept the history up to its start, records it as failed
   * (`ResetWorkflow`) and goes on in a new run, whose number is one higher.
   */
  reset(reason = "fix"): this {
    this.add("workflow_task_failed", { scheduled_event_id: this.taskScheduledId, failure: { message: `reset: ${reason}`, type: "ResetWorkflow", non_retryable: false } });
    this.runNumber += 1;
    return this;
  }

  timeoutTask(): this {
    this.add("workflow_task_timed_out", { scheduled_event_id: this.taskScheduledId }, 10_000);
    return this;
  }

  private recordCommand(c: Command): void {
    switch (c.type) {
      case "schedule_activity":
        this.activityIds.set(c.seq, this.add("activity_scheduled", { seq: c.seq, activity_type: c.activity_type, input: c.input, options: c.options }, 0));
        return;
      case "start_timer":
        this.timerIds.set(c.seq, this.add("timer_started", { seq: c.seq, fire_at: new Date(this.t + c.duration * 1000).toISOString(), duration: c.duration }, 0));
        return;
      case "cancel_timer":
        this.add("timer_cancelled", { seq: c.seq, started_event_id: this.timerIds.get(c.seq) ?? 0 }, 0);
        return;
      case "request_cancel_activity":
        this.add("activity_cancel_requested", { seq: c.seq, scheduled_event_id: this.activityIds.get(c.seq) ?? 0 }, 0);
        return;
      case "complete_workflow":
        this.add("execution_completed", { result: c.result }, 0);
        return;
      case "fail_workflow":
        this.add("execution_failed", { failure: c.failure }, 0);
        return;
      case "cancel_workflow":
        this.add("execution_cancelled", {}, 0);
        return;
      case "complete_update":
        this.add("update_completed", { update_id: c.update_id, ...(c.failure === undefined ? { result: c.result ?? null } : { failure: c.failure }) }, 0);
        return;
      case "start_child_workflow": {
        const executionId = c.execution_id ?? defaultChildExecutionId(this.executionId, this.runNumber, c.seq);
        this.childIds.set(c.seq, executionId);
        this.add("child_workflow_initiated", { seq: c.seq, workflow: c.workflow, execution_id: executionId, input: c.input ?? null, parent_close_policy: c.parent_close_policy }, 0);
        return;
      }
      case "record_step":
        this.add("step_recorded", { seq: c.seq, name: c.name, ...(c.failure === undefined ? { result: c.result ?? null } : { failure: c.failure }) }, 0);
        return;
      case "set_patch_marker":
        this.add("marker_recorded", { patch_id: c.patch_id, deprecated: c.deprecated }, 0);
        return;
      case "continue_as_new":
        // Nothing in this run: the platform starts the next run with a history of its own.
      case "reject_update":
        return;
    }
  }

  private childId(seq: number): string {
    return this.childIds.get(seq) ?? defaultChildExecutionId(this.executionId, this.runNumber, seq);
  }

  /** The platform started child `seq` (child_workflow_started). */
  childStarted(seq: number, runId = `child-run-${seq}`): this {
    this.add("child_workflow_started", { seq, execution_id: this.childId(seq), run_id: runId }, 50);
    return this;
  }

  /** Child `seq` could not start (child_workflow_start_failed). */
  childStartFailed(seq: number, failure: Partial<Failure> & { message: string }): this {
    this.add("child_workflow_start_failed", { seq, execution_id: this.childId(seq), failure: { type: "ChildWorkflowStartFailed", non_retryable: true, ...failure } }, 50);
    return this;
  }

  /** Child `seq` completed with `result`. */
  childCompleted(seq: number, result: unknown): this {
    this.add("child_workflow_completed", { seq, execution_id: this.childId(seq), result }, 500);
    return this;
  }

  /** Child `seq` ended without a result: `status` failed, timed_out, cancelled or terminated. */
  childFailed(seq: number, status: string, failure: Partial<Failure> & { message: string }): this {
    this.add("child_workflow_failed", { seq, execution_id: this.childId(seq), status, failure: { type: "Error", non_retryable: false, ...failure } }, 500);
    return this;
  }

  activityStarted(seq: number, attempt = 1): this {
    this.add("activity_started", { scheduled_event_id: this.activityIds.get(seq) ?? 0, attempt, identity: "worker-1" }, 20);
    return this;
  }

  activityCompleted(seq: number, result: unknown, attempt = 1): this {
    this.add("activity_completed", { scheduled_event_id: this.activityIds.get(seq) ?? 0, seq, result, attempt }, 200);
    return this;
  }

  activityFailed(seq: number, failure: Partial<Failure> & { message: string }, attempt = 1): this {
    this.add("activity_failed", { scheduled_event_id: this.activityIds.get(seq) ?? 0, seq, failure: { type: "Error", non_retryable: false, ...failure }, attempt }, 200);
    return this;
  }

  activityTimedOut(seq: number, timeoutType: "start_to_close" | "schedule_to_close" | "heartbeat", attempt = 1): this {
    this.add("activity_timed_out", { scheduled_event_id: this.activityIds.get(seq) ?? 0, seq, timeout_type: timeoutType, attempt }, 30_000);
    return this;
  }

  activityCancelled(seq: number): this {
    this.add("activity_cancelled", { scheduled_event_id: this.activityIds.get(seq) ?? 0, seq }, 100);
    return this;
  }

  timerFired(seq: number): this {
    this.add("timer_fired", { started_event_id: this.timerIds.get(seq) ?? 0, seq }, 1000);
    return this;
  }

  cancelRequested(reason = "user asked"): this {
    this.add("execution_cancel_requested", { reason }, 500);
    return this;
  }

  /** A copy of the events so far. */
  build(): HistoryEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  get length(): number {
    return this.events.length;
  }
}

/** A log sink that stores lines, for assertions. */
export function memorySink(): { lines: string[]; sink: (level: string, message: string) => void } {
  const lines: string[] = [];
  return { lines, sink: (level, message) => void lines.push(`${level}: ${message}`) };
}

/**
 * Runs `def` live through a run's workflow tasks on `h`: each task's commands are recorded, then
 * `between[i]` adds what arrives before the next task; it stops after the task with no `between`.
 * Returns each task's commands (`h` holds the history).
 * @example await driveTasks(wf, h, [(h) => h.activityCompleted(1, null)]) // two tasks
 */
export async function driveTasks(def: WorkflowDefinition, h: HistoryBuilder, between: readonly ((h: HistoryBuilder) => HistoryBuilder)[]): Promise<Command[][]> {
  const tasks: Command[][] = [];
  for (let i = 0; ; i++) {
    const { commands } = await activate(def, h.build(), undefined, { logSink: () => {} });
    tasks.push(commands);
    const next = between[i];
    if (!next) return tasks;
    next(h.complete(commands)).task();
  }
}
