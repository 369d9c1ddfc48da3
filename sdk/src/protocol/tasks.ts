import { z } from "zod";
import { Command } from "./commands.ts";
import { Failure, resultOrFailure } from "./failure.ts";
import { HistoryEvent } from "./history.ts";
import { DEFAULT_TASK_QUEUE, Name } from "./execution.ts";
import { KeyKind } from "./keys.ts";

const Identity = z.string().min(1).max(200);

/** Most types one poll may name ({@link PollRequest} `types`). */
export const MAX_POLL_TYPES = 1000;
const TaskToken = z.string().min(1).max(2048);

/** POST /v1/workflows/tasks/poll */
export const PollRequest = z.strictObject({
  task_queue: Name.default(DEFAULT_TASK_QUEUE),
  kind: z.enum(["workflow", "activity"]),
  identity: Identity,
  /** How long to hold the poll when nothing is queued (seconds, capped by the platform). */
  wait_seconds: z.number().min(0).max(60).optional(),
  /**
   * The workflow names (kind "workflow") or activity types (kind "activity") this worker runs: the
   * poll gets only tasks of those types, and the others wait for a worker that runs them. Omitted:
   * any task of the kind (the SDK omits it only past {@link MAX_POLL_TYPES} types).
   */
  types: z.array(Name).min(1).max(MAX_POLL_TYPES).optional(),
});
export type PollRequest = z.input<typeof PollRequest>;

export const WorkflowTask = z.object({
  kind: z.literal("workflow"),
  task_token: z.string(),
  execution_id: z.string(),
  run_id: z.string(),
  workflow: z.string(),
  attempt: z.number(),
  /**
   * The run's number: 1, then +1 with each continue-as-new or reset, and with a start (or
   * signal-with-start) that uses the execution id again once its last run closed: numbers never
   * repeat under one id. Default child ids include it from 2 on (`defaultChildExecutionId`). A
   * platform older than the field omits it: taken as 1.
   */
  run_number: z.number().int().positive().optional(),
  /**
   * The run's history up to and including this task's `workflow_task_started` — all of it, or,
   * when it is larger than the platform sends with a task (1 MiB), its newest events: then the
   * first event is not event 1, and a worker that has not cached the run up to there reads the
   * events before it with POST /v1/workflows/tasks/workflow/history ({@link TaskHistoryRequest}).
   */
  history: z.array(HistoryEvent).min(1),
  /** Past 10,000 events or 10 MiB of history the platform suggests continue-as-new. */
  continue_as_new_suggested: z.boolean(),
  /** Updates waiting for the workflow's validator: answer each with accept_update or reject_update. */
  updates: z.array(z.object({ update_id: z.string(), name: z.string(), input: z.unknown() })).optional(),
  /**
   * Present on a query task: replay the history (emit no commands), run the query handler and
   * answer through POST /v1/workflows/tasks/query/respond. Queries work on closed executions too.
   */
  query: z.object({ query_id: z.string(), name: z.string(), input: z.unknown() }).optional(),
  /**
   * When the task became available to pollers (RFC 3339): when it was queued, or, for the first
   * task of a scheduled run prepared ahead of its fire time, when the queue released it.
   */
  available_at: z.string().optional(),
});
export type WorkflowTask = z.output<typeof WorkflowTask>;

export const ActivityTask = z.object({
  kind: z.literal("activity"),
  task_token: z.string(),
  execution_id: z.string(),
  run_id: z.string(),
  workflow: z.string(),
  activity_type: z.string(),
  seq: z.number(),
  input: z.unknown(),
  attempt: z.number(),
  heartbeat_timeout: z.number().nullable(),
  start_to_close_timeout: z.number(),
  heartbeat_details: z.unknown().optional(),
  /** When the task became available to pollers (RFC 3339). */
  available_at: z.string().optional(),
});
export type ActivityTask = z.output<typeof ActivityTask>;

export const Task = z.discriminatedUnion("kind", [WorkflowTask, ActivityTask]);
export type Task = z.output<typeof Task>;

/** Most tasks one completion may ask to be handed back (eager dispatch). */
export const MAX_EAGER_ACTIVITY_SLOTS = 100;

export const CompleteWorkflowTaskRequest = z.strictObject({
  task_token: TaskToken,
  commands: z.array(Command).max(10_000),
  /**
   * Eager activity dispatch: the worker has this many free activity slots. The first that many
   * activities these commands schedule on the run's own task queue are leased to it and returned
   * in `activity_tasks` instead of being queued. Offer only activity types the worker runs.
   */
  eager_activity_slots: z.number().int().min(0).max(MAX_EAGER_ACTIVITY_SLOTS).optional(),
  /** The worker's identity, recorded in history for the tasks handed back eagerly (default: the API key's id). */
  identity: Identity.optional(),
});
export const FailWorkflowTaskRequest = z.strictObject({
  task_token: TaskToken,
  failure: Failure,
  /**
   * No retry can succeed (the task's commands were refused as too large: a retry would compute
   * them again): record the failure, then terminate the run with the failure's message as reason.
   */
  terminate_run: z.boolean().optional(),
});
export const CompleteActivityTaskRequest = z.strictObject({
  task_token: TaskToken,
  result: z.unknown().optional(),
  /**
   * The worker has a free workflow task slot: if this completion schedules the run's next workflow
   * task (and the activity ran on the run's own task queue), it is leased to the worker and
   * returned in `workflow_task` instead of being queued.
   */
  eager_workflow_task: z.boolean().optional(),
  /** The worker's identity, recorded in history for a task handed back eagerly (default: the API key's id). */
  identity: Identity.optional(),
});
export const FailActivityTaskRequest = z.strictObject({ task_token: TaskToken, failure: Failure });
/** POST /v1/workflows/tasks/ack: "I received this task" (any result or heartbeat also counts). */
export const AckTaskRequest = z.strictObject({ task_token: TaskToken });
/**
 * POST /v1/workflows/tasks/workflow/history: events of a workflow or query task's run with ids
 * after `after_event_id` and before `before_event_id`, oldest first, answered as a
 * {@link HistoryPage} bounded by size (4 MiB, at least one event); read on from the last event's id
 * while `next_page_token` is set. A 409 stale_task once the run is not the task's any more.
 */
export const TaskHistoryRequest = z
  .strictObject({ task_token: TaskToken, after_event_id: z.number().int().min(0), before_event_id: z.number().int().min(2) })
  .refine((r) => r.before_event_id > r.after_event_id + 1, { message: "before_event_id must leave at least one event after after_event_id", path: ["before_event_id"] });
export type TaskHistoryRequest = z.input<typeof TaskHistoryRequest>;
/** POST /v1/workflows/tasks/query/respond: the query handler's result or its failure (not both). */
export const QueryResponseRequest = z.strictObject({ task_token: TaskToken, result: z.unknown().optional(), failure: Failure.optional() }).superRefine(resultOrFailure);
export const HeartbeatRequest = z.strictObject({ task_token: TaskToken, details: z.unknown().optional() });
export const HeartbeatResponse = z.object({ cancel_requested: z.boolean() });
export type HeartbeatResponse = z.output<typeof HeartbeatResponse>;

/**
 * Outcome of a completion: `accepted`, or `duplicate` when this exact completion was already
 * applied. When the worker offered slots, the tasks the completion leased to it: run them exactly
 * like polled ones (a task handed back here and never acknowledged is handed out again).
 */
export const TaskCompletionResponse = z.object({
  status: z.enum(["accepted", "duplicate"]),
  activity_tasks: z.array(ActivityTask).optional(),
  workflow_task: WorkflowTask.optional(),
});
export type TaskCompletionResponse = z.output<typeof TaskCompletionResponse>;

/** One workflow type a worker registers. */
export const WorkflowRegistration = z.strictObject({
  name: Name,
  /** JSON Schema of the workflow input (from its zod schema); the platform validates starts against it. */
  input_schema: z.record(z.string(), z.unknown()).optional(),
  /** Default execution timeout of the workflow (seconds), from its definition; used for starts and scheduled runs that do not set one. */
  execution_timeout: z.number().min(1).max(86_400 * 365).optional(),
  /** Schedules declared in code, upserted at registration. */
  schedules: z.array(z.record(z.string(), z.unknown())).max(100).default([]),
});

/** POST /v1/workflows/workers/register */
export const RegisterWorkerRequest = z.strictObject({
  task_queue: Name.default(DEFAULT_TASK_QUEUE),
  identity: Identity,
  /**
   * Identifies the worker's code version; different definitions under different versions are
   * reported as conflicts, and so is one build's registration of a workflow from a task queue
   * sorting after the one it was registered on less than 10 minutes ago, while workers still poll
   * that one for it.
   */
  build_id: z.string().max(200).optional(),
  workflows: z.array(WorkflowRegistration).max(1000),
  activities: z.array(Name).max(10_000),
});
export type RegisterWorkerRequest = z.input<typeof RegisterWorkerRequest>;

/**
 * Answer to a registration: per workflow, the ids of its schedules declared in code and whether
 * this registration applied them; `conflicts` names each workflow whose changed schedules were kept
 * back (another build registered a different definition less than 10 minutes ago, or the same
 * build registered the workflow on a task queue sorting before this one's, which workers still poll
 * for it) and why.
 */
export const RegisterWorkerResponse = z.object({
  namespace: z.string(),
  task_queue: z.string(),
  workflows: z.array(z.object({ name: z.string(), schedules: z.array(z.string()), applied: z.boolean() })),
  activities: z.array(z.string()),
  conflicts: z.array(z.object({ workflow: z.string(), message: z.string() })),
});
export type RegisterWorkerResponse = z.output<typeof RegisterWorkerResponse>;

/** GET /v1/workflows/workers/whoami (the Mistral seed's shape, plus the key's identity). */
export const WhoAmIResponse = z.object({
  scheduler_url: z.string(),
  namespace: z.string(),
  tls: z.boolean(),
  key_id: z.string(),
  key_kind: KeyKind,
});
export type WhoAmIResponse = z.output<typeof WhoAmIResponse>;
