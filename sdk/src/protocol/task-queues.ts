import { z } from "zod";

/**
 * A worker seen polling a task queue (Temporal's DescribeTaskQueue pollers): who polled for which
 * kind of task, when last, and whether a poll of it is held right now.
 */
export const TaskQueuePoller = z.object({
  identity: z.string(),
  /** When it last polled (RFC 3339): a poll's start or end. */
  last_poll_at: z.string(),
  /** The workflow names or activity types it polls for; null: any. */
  types: z.array(z.string()).nullable(),
  /** Whether one of its polls is being held on the queue now. */
  polling: z.boolean(),
});
export type TaskQueuePoller = z.infer<typeof TaskQueuePoller>;

/** One kind of task on a queue: what waits, since when, and who polls for it. */
export const TaskQueueKindState = z.object({
  /**
   * Tasks queued and visible to polls. Approximate, as Temporal's backlog count: an entry whose task
   * was meanwhile started elsewhere or whose run closed counts until a poll drops it.
   */
  backlog: z.number().int(),
  /** When the oldest of them became available (RFC 3339), or null with no backlog. */
  oldest_available_at: z.string().nullable(),
  /** Workers seen polling for this kind in the last 5 minutes, most recent first. */
  pollers: z.array(TaskQueuePoller),
});
export type TaskQueueKindState = z.infer<typeof TaskQueueKindState>;

/** `GET /v1/workflows/task-queues/{task_queue}`: a queue's backlog and pollers, over its partitions. */
export const TaskQueueDescription = z.object({
  task_queue: z.string(),
  partitions: z.number().int(),
  workflow_tasks: TaskQueueKindState.extend({
    /** First tasks of scheduled runs prepared ahead of their fire time, not visible to polls yet. */
    delayed: z.number().int(),
  }),
  activity_tasks: TaskQueueKindState,
});
export type TaskQueueDescription = z.infer<typeof TaskQueueDescription>;
