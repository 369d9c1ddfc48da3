import { toRfc3339, type ActivityTask, type WorkflowTask } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import type { Env } from "../env.ts";
import type { QueuedTask } from "../objects/task-queue-object.ts";
import { executionStub, partitionCount, partitionFor, taskQueueStub } from "../objects/names.ts";

// Handing a queued task to a worker: the queue entry only points at the run, which leases it. Used
// by polls (src/api/tasks.ts) and by completions that offer a free workflow task slot.

/** A task whose run could not be reached when a poll took it goes back to its queue for this long first. */
export const PUT_BACK_DELAY_MS = 1_000;

/**
 * Leases a task a queue handed out with the run that owns it: the task a worker runs, or null when
 * the entry was stale (already started elsewhere, or its run closed). When the run cannot be
 * reached, the task goes back to its queue as it was (with when it became available) instead of
 * waiting for the run's dispatch timeout, and the error is rethrown. It waits a second there, so a
 * run that keeps failing is not handed out again at once to every poller.
 */
export async function leaseQueuedTask(env: Env, namespace: string, taskQueue: string, task: QueuedTask, identity: string): Promise<WorkflowTask | ActivityTask | null> {
  const exec = executionStub(env, namespace, task.execution_id);
  let leased;
  try {
    leased = task.kind === "workflow" ? await exec.startWorkflowTask(task.ref, identity, task.available_at) : await exec.startActivityTask(task.ref, task.attempt, identity);
  } catch (err) {
    await taskQueueStub(env, namespace, taskQueue, partitionFor(env, task.execution_id))
      .enqueue({ ...task, visible_at: clock.now() + PUT_BACK_DELAY_MS })
      .catch(() => {});
    throw err;
  }
  if (!leased) return null;
  return {
    ...leased,
    ...(task.available_at === undefined ? {} : { available_at: toRfc3339(task.available_at) }),
    ...(task.more_queued === undefined ? {} : { more_queued: task.more_queued }),
  };
}

/**
 * The oldest workflow task waiting in a task queue (any partition), leased to `identity`, without
 * waiting; null when none waits. Stale entries are skipped. A completion that offered a free slot
 * gets it back in its response instead of the worker polling for it.
 */
export async function takeWaitingWorkflowTask(env: Env, namespace: string, taskQueue: string, identity: string): Promise<WorkflowTask | null> {
  const partitions = partitionCount(env);
  const first = Math.floor(Math.random() * partitions);
  for (let k = 0; k < partitions; k++) {
    const queue = taskQueueStub(env, namespace, taskQueue, (first + k) % partitions);
    for (let task = await queue.poll("workflow", 0); task; task = await queue.poll("workflow", 0)) {
      const leased = await leaseQueuedTask(env, namespace, taskQueue, task, identity);
      if (leased) return leased as WorkflowTask;
    }
  }
  return null;
}
