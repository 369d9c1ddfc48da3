/**
 * `@sundial/sdk/workflow`: define workflows and activities, and the deterministic runtime that
 * replays history into commands. Safe to import from workflow code: no `node:*`, no worker code.
 * @example
 * import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";
 */
export { defineActivity, type ActivityContext, type ActivityDefinition, type ActivityInfo, type AnyActivityDefinition } from "./define-activity.ts";
export { defineWorkflow, DEFAULT_EXECUTION_TIMEOUT_SECONDS, type ScheduleShorthand, type WorkflowDefinition } from "./define-workflow.ts";
export type { ScheduleInfo, StepOptions, WorkflowContext, WorkflowSteps, WorkflowLogger, LogAttributes, SignalHandler, QueryHandler, UpdateHandler, UpdateHandlerOptions, HandlerOptions } from "./context.ts";
export { WORKFLOW_METADATA_QUERY } from "./context.ts";
export { STEP_CHECKPOINT } from "./steps.ts";
export type { ScheduleDefinition, SchedulePolicy, ScheduleSpecShorthands, OverlapPolicy, Instant } from "./schedule.ts";
export { ScheduleOverlapPolicy } from "./schedule.ts";
export { toWireActivityOptions, mergeActivityOptions, type ActivityCallOptions, type RetryOptions } from "./activity-options.ts";
export { toSeconds, type Duration } from "./duration.ts";
export {
  ApplicationFailure,
  ActivityFailure,
  CancelledError,
  ChildWorkflowFailure,
  ContinueAsNew,
  NonDeterminismError,
  ReadOnlyContextError,
  TimeoutError,
  TimeoutFailure,
  type ChildWorkflowFailureStatus,
  type TimeoutType,
} from "./errors.ts";
export type { ChildWorkflowHandle, ChildWorkflowOptions, ChildWorkflowStarted } from "./child-workflows.ts";
export { ParentClosePolicy } from "./child-workflows.ts";
export { errorToFailure, failureToError } from "./failure-convert.ts";
export { checkInputSchema, inputJsonSchema, parseInput } from "./input-schema.ts";
export { activate, canContinue, queryWorkflow, type ActivateOptions, type ActivationResult, type QueryRequestInfo, type WorkflowState } from "./activate.ts";
export type { OfferedUpdate } from "./handlers.ts";
export { splitActivations, type Activation } from "./history-batches.ts";
export { describeCommand, describeEvent } from "./command-matcher.ts";
export { consoleLogSink, type LogLevel, type LogSink } from "./logger.ts";
