/**
 * `@sundial/sdk/client`: talk to the Sundial API from any Node (or Worker) code.
 * @example
 * import { SundialClient, SundialApiError } from "@sundial/sdk/client";
 */
export { SundialClient, type Health, type WhoAmI } from "./client.ts";
export type { CallOptions } from "./call-options.ts";
export { WORKFLOW_METADATA_QUERY } from "../workflow/context.ts";
export { ExecutionsClient } from "./executions.ts";
export type {
  Execution,
  ExecutionPage,
  ExecutionResult,
  ExecutionStatus,
  ExecutionSummary,
  FailureInfo,
  HistoryEventInfo,
  HistoryOptions,
  HistoryPageInfo,
  IdReusePolicy,
  ListExecutionsOptions,
  StartedExecution,
  StartExecutionOptions,
  ExecuteOptions,
  SignalOptions,
  SignalResult,
  SignalWithStartOptions,
  QueryOptions,
  ResetOptions,
  ResultOptions,
  UpdateOptions,
} from "./execution-options.ts";
export {
  SchedulesClient,
  schedules,
  type BackfillOptions,
  type BackfillResult,
  type CreatedSchedule,
  type CreateScheduleOptions,
  type FireTime,
  type ListSchedulesOptions,
  type PreviewOptions,
  type Schedule,
  type SchedulePage,
  type SchedulePreview,
  type ScheduleStatus,
  type ScheduleSummary,
  type ScheduleUpdate,
  type TriggerOptions,
  type TriggerResult,
} from "./schedules.ts";
export { KeysClient, type ApiKey, type CreatedKey, type CreateKeyOptions, type KeyKind, type KeyPage, type ListKeysOptions } from "./keys.ts";
export { collect, everyItem, type PageOf } from "./pages.ts";
export { WorkflowTypesClient, type ListWorkflowTypesOptions, type WorkflowType, type WorkflowTypePage } from "./workflow-types.ts";
export { TaskQueuesClient, type TaskQueueDescription } from "./task-queues.ts";
export {
  instantToWire,
  scheduleDefinitionToWire,
  schedulePolicyToWire,
  scheduleSpecToWire,
  type ScheduleSpecOptions,
  type ScheduleSpecShorthands,
  type WireScheduleDefinition,
  type WireSchedulePolicy,
  type WireScheduleSpec,
} from "./schedule-wire.ts";
export type { Duration } from "../workflow/duration.ts";
export type { Instant, OverlapPolicy, SchedulePolicy, ScheduleDefinition } from "../workflow/schedule.ts";
export { ScheduleOverlapPolicy } from "../workflow/schedule.ts";
export { DEFAULT_REQUEST_TIMEOUT_MS, HttpTransport, type ConnectionOptions, type HttpResponse, type RequestOptions } from "./http.ts";
export { SundialApiError, SundialConnectionError, ResultTimeoutError, UpdateFailedError, UpdateTimeoutError, isTransient } from "./errors.ts";
export { camelize, type Camelize, type CamelCase } from "./camel.ts";
export { backoffDelay, sleep } from "./backoff.ts";
