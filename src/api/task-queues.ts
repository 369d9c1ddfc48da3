import { Hono } from "hono";
import { Name, toRfc3339, type TaskQueueDescription, type TaskQueueKindState } from "@sundial/sdk/protocol";
import { ValidationError } from "../core/errors.ts";
import { mergePartitions, type KindState, type PartitionState } from "../core/task-queue-pollers.ts";
import { partitionCount, taskQueueStub } from "../objects/names.ts";
import { requireKind, type AppEnv } from "./auth.ts";

/**
 * /v1/workflows/task-queues/{task_queue}: is any worker polling this queue, and what waits on it
 * (Temporal's DescribeTaskQueue). The first thing to look at when runs do not start.
 */
export const taskQueueRoutes = new Hono<AppEnv>();
taskQueueRoutes.use("*", requireKind("app"));

taskQueueRoutes.get("/:task_queue", async (c) => {
  const name = Name.safeParse(c.req.param("task_queue"));
  if (!name.success) throw new ValidationError(`task_queue: ${name.error.issues[0]?.message ?? "invalid"}`, { field: "task_queue" });
  const namespace = c.get("principal").namespace;
  const partitions = partitionCount(c.env);
  const parts = await Promise.all(Array.from({ length: partitions }, (_, i) => taskQueueStub(c.env, namespace, name.data, i).describe() as Promise<PartitionState>));
  const merged = mergePartitions(parts);
  const kind = (k: "workflow" | "activity", state: KindState): TaskQueueKindState => ({
    backlog: state.backlog,
    oldest_available_at: state.oldestAvailableAt === null ? null : toRfc3339(state.oldestAvailableAt),
    pollers: merged.pollers.filter((p) => p.kind === k).map((p) => ({ identity: p.identity, last_poll_at: toRfc3339(p.lastPollAt), types: p.types === null ? null : [...p.types], polling: p.polling })),
  });
  const answer: TaskQueueDescription = {
    task_queue: name.data,
    partitions,
    workflow_tasks: { ...kind("workflow", merged.workflow), delayed: merged.workflow.delayed },
    activity_tasks: kind("activity", merged.activity),
  };
  return c.json(answer);
});
