import * as P from "@sundial/sdk/protocol";
import { errorResponses, problemSchema, type ErrorFacts } from "./openapi-errors.ts";
import { SchemaComponents } from "./openapi-schemas.ts";

/**
 * `optionalBody`: the route reads an empty body as `{}` (every field of its schema is optional).
 * `alsoOk`: the route's other success statuses, with when each is the answer.
 * `ifMatch`: the route reads an `If-Match` header. `okHeaders`: the headers its success answers carry.
 */
type Op = ErrorFacts & { summary: string; optionalBody?: true; ok: number; alsoOk?: Readonly<Record<number, string>>; ifMatch?: true; okHeaders?: readonly (keyof typeof OK_HEADERS)[] };

/** The headers a success answer carries beyond its body (`okHeaders`: on every success status of the route). */
const OK_HEADERS = {
  ETag: { description: "The schedule's `version` as an entity tag, `\"3\"`: send it back in `If-Match` to update only that version", schema: { type: "string" } },
  Location: {
    description: "The path of the schedule or execution the answer describes: `/v1/workflows/schedules/{schedule_id}` (also when a create updated the schedule holding (workflow, key)), `/v1/workflows/executions/{execution_id}` (also when a start found the execution the id names)",
    schema: { type: "string" },
  },
} as const;

/** PATCH's optimistic concurrency over HTTP (`ifMatch`), the body's `version` by another name: sending both, they must agree (else a 422 naming `If-Match`). */
const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  description: "`*` (any version), or the schedule's ETag (`\"3\"`, or `W/\"3\"`): the update applies only at that version, else a 409 `version_conflict` naming `If-Match`; anything else is a 422 `validation_failed` naming it",
  schema: { type: "string" },
};

/** The codes of the task routes beyond the generic ones: a token not of this namespace, or no longer current. */
const TASK_ERRORS = { 404: ["task_not_found"], 409: ["stale_task"] } as const;
const KEY_ERRORS = { 404: ["namespace_not_found"] } as const;

/**
 * Every route, its request schema (from the shared protocol module), success status, and the error
 * codes only it answers with (openapi-errors.ts adds those that follow from the rest: 401, 403,
 * 404 of a path id, 400/413/422 of a body or query, 500, 503).
 */
const ROUTES: Record<string, Record<string, Op>> = {
  "/v1/health": { get: { summary: "Liveness (no key needed)", ok: 200, kind: "any" } },
  "/v1/workflows/schedules": {
    post: { summary: "Create a schedule, or update the one with the same (workflow, key)", body: P.CreateScheduleRequest, ok: 201, alsoOk: { 200: "updated: the schedule holding (workflow, key), same schedule_id" }, kind: "app", okHeaders: ["Location"], errors: { 409: ["schedule_key_taken", "schedule_exists"], 422: ["invalid_cron", "invalid_input", "limit_exceeded"] } },
    get: { summary: "List schedules (D1 index, cursor pagination)", ok: 200, kind: "app", query: ["key", "workflow", "status", "source", "page_size", "page_token"], indexOnly: true },
  },
  "/v1/workflows/schedules/preview": { post: { summary: "Next N fire times of a spec, creating nothing", body: P.PreviewRequest, ok: 200, kind: "app", indexOnly: true, errors: { 422: ["invalid_cron"] } } },
  "/v1/workflows/schedules/{schedule_id}": {
    get: { summary: "Describe a schedule", ok: 200, kind: "app", okHeaders: ["ETag"] },
    patch: { summary: "Partial update (If-Match or version for optimistic concurrency)", body: P.UpdateScheduleRequest, ok: 200, kind: "app", ifMatch: true, okHeaders: ["ETag"], errors: { 409: ["version_conflict"], 422: ["invalid_cron", "invalid_input"] } },
    delete: { summary: "Delete a schedule (its runs keep running)", ok: 204, kind: "app" },
  },
  "/v1/workflows/schedules/{schedule_id}/pause": { post: { summary: "Pause with a note", optionalBody: true, body: P.PauseRequest, ok: 200, kind: "app", errors: { 409: ["schedule_not_active"] } } },
  "/v1/workflows/schedules/{schedule_id}/resume": { post: { summary: "Resume, planning from now (catch_up: true also runs the fires due while paused, within the catch-up window)", optionalBody: true, body: P.ResumeRequest, ok: 200, kind: "app" } },
  "/v1/workflows/schedules/{schedule_id}/trigger": { post: { summary: "Run now (works while paused)", optionalBody: true, body: P.TriggerRequest, ok: 202, kind: "app", errors: { 422: ["invalid_input", "limit_exceeded"] } } },
  "/v1/workflows/schedules/{schedule_id}/backfill": { post: { summary: "Start the fires of a past range, in bounded batches, as runs {nominal}:backfill-{backfill_id} (202 {backfill_id, fires}; a repeated request_id gets the first answer and queues nothing)", body: P.BackfillRequest, ok: 202, kind: "app", errors: { 409: ["empty_backfill"], 422: ["limit_exceeded"] } } },
  "/v1/workflows/executions": {
    post: { summary: "Start a workflow execution", body: P.StartExecutionRequest, ok: 201, alsoOk: { 200: "the execution the id already names (id_reuse_policy use_existing)" }, kind: "app", okHeaders: ["Location"], errors: { 409: ["execution_exists"], 422: ["invalid_input"] } },
    get: { summary: "List executions, newest first by first start (D1 index, cursor pagination)", ok: 200, kind: "app", query: ["workflow", "status", "schedule_id", "started_after", "started_before", "page_size", "page_token"], indexOnly: true },
  },
  "/v1/workflows/executions/signal-with-start": { post: { summary: "Start the execution unless it runs, then signal it (one idempotent call)", body: P.SignalWithStartRequest, ok: 201, alsoOk: { 200: "signalled without starting (started: false)" }, kind: "app", okHeaders: ["Location"], errors: { 409: ["execution_exists", "execution_closed"], 422: ["invalid_input", "limit_exceeded"] } } },
  "/v1/workflows/executions/{execution_id}/signals/{name}": { post: { summary: "Send a signal (recorded before the 202; request_id de-duplicates)", optionalBody: true, body: P.SignalRequest, ok: 202, kind: "app", errors: { 409: ["execution_closed"], 422: ["limit_exceeded"] } } },
  "/v1/workflows/executions/{execution_id}/queries/{name}": { post: { summary: "Query replayed state through a worker (408 query_timeout when none answers)", optionalBody: true, body: P.QueryRequest, ok: 200, kind: "app", errors: { 408: ["query_timeout"], 422: ["query_failed"] } } },
  "/v1/workflows/executions/{execution_id}/updates/{name}": { post: { summary: "Send an update and wait for its result (422 update_rejected by the validator)", optionalBody: true, body: P.UpdateRequest, ok: 200, alsoOk: { 202: "still pending after wait_seconds (status pending)" }, kind: "app", errors: { 409: ["update_id_reused", "execution_closed"], 422: ["update_rejected", "limit_exceeded"] } } },
  "/v1/workflows/tasks/query/respond": { post: { summary: "Answer a query task", body: P.QueryResponseRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/tasks/ack": { post: { summary: "Acknowledge receipt of a task (else re-dispatched after 5 s)", body: P.AckTaskRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/executions/{execution_id}/reset": { post: { summary: "Reset to a workflow_task_completed event (reason recorded; signals/updates after it re-applied unless excluded)", body: P.ResetRequest, ok: 200, kind: "app", errors: { 422: ["invalid_reset_point"] } } },
  "/v1/workflows/executions/{execution_id}": { get: { summary: "Describe an execution", ok: 200, kind: "app" } },
  "/v1/workflows/executions/{execution_id}/history": { get: { summary: "History events, paged", ok: 200, kind: "app", query: ["page_size", "page_token"], errors: { 409: ["history_changed"] } } },
  "/v1/workflows/executions/{execution_id}/result": { get: { summary: "Outcome; waits up to wait_seconds for the run to close (202 while running)", ok: 200, kind: "app", query: ["wait_seconds"], alsoOk: { 202: "still running after wait_seconds" } } },
  "/v1/workflows/executions/{execution_id}/cancel": { post: { summary: "Request cancellation (delivered to the workflow)", optionalBody: true, body: P.CancelRequest, ok: 202, kind: "app", errors: { 409: ["execution_closed"] } } },
  "/v1/workflows/executions/{execution_id}/terminate": { post: { summary: "Terminate immediately", optionalBody: true, body: P.TerminateRequest, ok: 200, kind: "app", errors: { 409: ["execution_closed"] } } },
  "/v1/workflows/types": { get: { summary: "Registered workflows (name, task queue, input JSON Schema), by name, paged", ok: 200, kind: "app", query: ["page_size", "page_token"], indexOnly: true } },
  "/v1/workflows/task-queues/{task_queue}": { get: { summary: "A task queue's backlog per kind and the workers seen polling it in the last 5 minutes, over its partitions", ok: 200, kind: "app" } },
  "/v1/workflows/types/{name}": { get: { summary: "One registered workflow", ok: 200, kind: "app", indexOnly: true, errors: { 404: ["workflow_not_found"] } } },
  "/v1/workflows/workers/register": { post: { summary: "Register workflows (input schemas, schedules in code) and activities", body: P.RegisterWorkerRequest, ok: 200, kind: "worker", errors: { 409: ["schedule_key_taken", "schedule_exists"], 422: ["duplicate_workflow", "invalid_input_schema", "duplicate_key", "invalid_cron", "invalid_input", "limit_exceeded"] } } },
  "/v1/workflows/workers/whoami": { get: { summary: "Which platform and namespace this key reaches", ok: 200, kind: "any", indexOnly: true } },
  "/v1/workflows/tasks/poll": { post: { summary: "Long-poll for a workflow or activity task (204 when none arrived)", body: P.PollRequest, ok: 200, alsoOk: { 204: "no task arrived within the hold" }, kind: "worker" } },
  "/v1/workflows/tasks/workflow/complete": { post: { summary: "Complete a workflow task with commands", body: P.CompleteWorkflowTaskRequest, ok: 200, kind: "worker", errors: { ...TASK_ERRORS, 422: ["invalid_command", "invalid_input", "limit_exceeded"] } } },
  "/v1/workflows/tasks/workflow/history": { post: { summary: "Events of a workflow or query task's run before the newest ones it carried, in pages bounded by size", body: P.TaskHistoryRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/tasks/workflow/fail": { post: { summary: "Fail a workflow task (retried with backoff)", body: P.FailWorkflowTaskRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/tasks/activity/complete": { post: { summary: "Complete an activity attempt", body: P.CompleteActivityTaskRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/tasks/activity/fail": { post: { summary: "Fail an activity attempt (retried per policy)", body: P.FailActivityTaskRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/workflows/tasks/activity/heartbeat": { post: { summary: "Heartbeat; answers whether cancellation was requested", body: P.HeartbeatRequest, ok: 200, kind: "worker", errors: TASK_ERRORS } },
  "/v1/admin/keys": {
    post: { summary: "Create an API key (the secret is shown once)", body: P.CreateKeyRequest, ok: 201, kind: "admin", indexOnly: true, errors: KEY_ERRORS },
    get: { summary: "List API keys of a namespace, oldest first, paged (another one's: operator admins of namespace default only)", ok: 200, kind: "admin", query: ["namespace", "page_size", "page_token"], indexOnly: true, errors: KEY_ERRORS },
  },
  "/v1/admin/keys/{key_id}": { delete: { summary: "Revoke an API key", ok: 204, kind: "admin", query: ["namespace"], indexOnly: true, errors: KEY_ERRORS } },
};

let cached: unknown = null;

/** `post /v1/workflows/tasks/workflow/complete` → `PostTasksWorkflowComplete`: a component name prefix. */
const operationName = (method: string, path: string) =>
  [method, ...path.replace(/^\/v1(\/workflows)?\//, "").split(/[/{}_-]+/)].filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");

/** The OpenAPI 3.1 document, generated from the same zod schemas the server validates with. */
export function openApiDocument(): unknown {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  const components = new SchemaComponents();
  const problem = problemSchema(components);
  for (const [path, ops] of Object.entries(ROUTES)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const params: Record<string, unknown>[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
      for (const q of op.query ?? []) params.push({ name: q, in: "query", required: false, schema: { type: "string" } });
      if (op.ifMatch) params.push(IF_MATCH);
      const headers = op.okHeaders?.length ? { headers: Object.fromEntries(op.okHeaders.map((h) => [h, OK_HEADERS[h]])) } : {};
      paths[path]![method] = {
        summary: op.summary,
        ...(op.kind === "any" && path === "/v1/health" ? { security: [] } : {}),
        "x-key-kinds": op.kind === "any" ? ["admin", "app", "worker"] : op.kind === "admin" ? ["admin"] : ["admin", op.kind],
        ...(params.length ? { parameters: params } : {}),
        ...(op.body ? { requestBody: { required: !op.optionalBody, content: { "application/json": { schema: components.jsonSchema(op.body, "input", operationName(method, path)) } } } } : {}),
        responses: {
          [String(op.ok)]: { description: "success", ...headers },
          ...Object.fromEntries(Object.entries(op.alsoOk ?? {}).map(([status, when]) => [status, { description: `success: ${when}`, ...headers }])),
          ...errorResponses(path, op),
        },
      };
    }
  }
  cached = {
    openapi: "3.1.0",
    info: { title: "Sundial", version: "0.1.0", description: "Durable workflow scheduler on Cloudflare Workers. JSON is snake_case; times are RFC 3339 UTC; durations are seconds or \"90s\"/\"5m\"/\"2h\"/\"1d\"." },
    components: { schemas: { Problem: problem, ...components.schemas }, securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "<key_id>.<secret>" } } },
    security: [{ bearer: [] }],
    paths,
  };
  return cached;
}
