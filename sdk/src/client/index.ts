/**
 * `@sundial/sdk/client`: talk to the Sundial API from any Node (or Worker) code.
 * @example
 * import { SundialClient, SundialApiError } from "@sundial/sdk/client";
 */
export { SundialClient } from "./client.ts";
export {
  ExecutionsClient,
  type Execution,
  type ExecutionPage,
  type ExecutionResult,
  type ExecutionStatus,
  type ExecutionSummary,
  type FailureInfo,
  type HistoryEventInfo,
  type HistoryPageInfo,
  type IdReusePolicy,
  type StartedExecution,
  type StartExecutionOptions,
} from "./executions.ts";
export { HttpTransport, type ConnectionOptions, type HttpResponse, type RequestOptions } from "./http.ts";
export { SundialApiError, SundialConnectionError, ResultTimeoutError, isTransient } from "./errors.ts";
export { camelize, type Camelize, type CamelCase } from "./camel.ts";
export { backoffDelay, sleep } from "./backoff.ts";
