import type { EventOf } from "../protocol/history.ts";
import type { ActivityCallOptions } from "./activity-options.ts";
import type { ChildWorkflowOptions } from "./child-workflows.ts";
import type { RunLabel } from "./command-matcher.ts";
import { scheduleInfo, type HandlerOptions, type QueryHandler, type SignalHandler, type UpdateHandler, type UpdateHandlerOptions, type WorkflowContext } from "./context.ts";
import type { ActivityDefinition } from "./define-activity.ts";
import type { WorkflowDefinition } from "./define-workflow.ts";
import type { Duration } from "./duration.ts";
import type { MessageHandlers } from "./handlers.ts";
import { replayAwareLogger, type LogSink } from "./logger.ts";
import type { Operations } from "./operations.ts";
import type { Patches } from "./patches.ts";
import { DeterministicRandom } from "./random.ts";
import type { Steps } from "./steps.ts";

/** The parts of a workflow instance that `ctx` forwards to, and the run state it reads. */
export interface ContextHost {
  readonly label: RunLabel;
  readonly started: EventOf<"execution_started">;
  readonly logSink: LogSink;
  readonly operations: Operations;
  readonly handlers: MessageHandlers;
  readonly steps: Steps;
  readonly patches: Patches;
  replaying(): boolean;
  cancelRequested(): boolean;
  continueAsNewSuggested(): boolean;
  /** The current workflow task's start time: what `ctx.now()` says. */
  nowMs(): number;
  continueAsNew(input: unknown, options?: { executionTimeout?: Duration }): never;
}

/**
 * Builds the frozen `ctx` a workflow's `run` receives: run facts, and methods that forward to the
 * part of the run that implements them. `ctx.random()` and `ctx.uuid()` draw from a generator
 * seeded with the run id `execution_started` records, so a replay draws the same values.
 */
export function makeContext(host: ContextHost): WorkflowContext {
  const { label, started, operations, handlers, steps, patches } = host;
  const rng = new DeterministicRandom(started.run_id);
  const schedule = scheduleInfo(started.schedule);
  const log = replayAwareLogger(host.logSink, () => host.replaying(), () => ({ workflow: label.workflow, execution_id: label.executionId, run_id: label.runId }));
  const context = {
    executionId: label.executionId,
    runId: label.runId,
    workflowName: label.workflow,
    taskQueue: started.task_queue,
    attempt: started.attempt,
    schedule,
    log,
    get continueAsNewSuggested() {
      return host.continueAsNewSuggested();
    },
    get cancelRequested() {
      return host.cancelRequested();
    },
    get isReplaying() {
      return host.replaying();
    },
    executeActivity: (activity: ActivityDefinition | string, input?: unknown, options?: ActivityCallOptions) => operations.executeActivity(activity, input, options),
    sleep: (duration: Duration) => operations.sleep(duration),
    executeChildWorkflow: (workflow: WorkflowDefinition | string, input?: unknown, options?: ChildWorkflowOptions) => operations.executeChildWorkflow(workflow, input, options),
    continueAsNew: (input: unknown, options?: { executionTimeout?: Duration }) => host.continueAsNew(input, options),
    step: Object.freeze({
      run: (name: string, ...rest: unknown[]) => {
        handlers.assertWritable("ctx.step.run()");
        return steps.call(name, rest);
      },
    }),
    patched: (patchId: string) => {
      handlers.assertWritable("ctx.patched()");
      return patches.patch(patchId, false);
    },
    deprecatePatch: (patchId: string) => {
      handlers.assertWritable("ctx.deprecatePatch()");
      patches.patch(patchId, true);
    },
    now: () => new Date(host.nowMs()),
    random: () => {
      handlers.assertWritable("ctx.random()");
      return rng.next();
    },
    uuid: () => {
      handlers.assertWritable("ctx.uuid()");
      return rng.uuid();
    },
    setSignalHandler: (name: string, handler: SignalHandler<never> | undefined, options?: HandlerOptions) => handlers.setSignalHandler(name, handler as SignalHandler<unknown> | undefined, options),
    setQueryHandler: (name: string, handler: QueryHandler<never, unknown> | undefined, options?: HandlerOptions) => handlers.setQueryHandler(name, handler as QueryHandler<unknown, unknown> | undefined, options),
    setUpdateHandler: (name: string, handler: UpdateHandler<never, unknown> | undefined, options?: UpdateHandlerOptions<never>) =>
      handlers.setUpdateHandler(name, handler as UpdateHandler<unknown, unknown> | undefined, options as UpdateHandlerOptions<unknown> | undefined),
    waitCondition: (fn: () => boolean, timeout?: Duration) => handlers.waitCondition(fn, timeout),
    allHandlersFinished: () => handlers.allHandlersFinished(),
  };
  return Object.freeze(context) as WorkflowContext;
}
