import type { CommandInput } from "../protocol/commands.ts";
import { MAX_EAGER_ACTIVITY_SLOTS, type ActivityTask, type WorkflowTask } from "../protocol/tasks.ts";
import type { WorkerLogger } from "./logger.ts";
import type { Slots } from "./poller.ts";

/**
 * Eager dispatch, the worker's side (Temporal's eager activity execution). A completion offers the
 * slots this worker has free right now — activity slots for the activities a workflow task
 * schedules, a workflow task slot for the workflow task an activity result causes — and the
 * platform hands those tasks back in the completion's response, already leased to this worker,
 * instead of queueing them for a poll. They run exactly like polled tasks, on the slots taken for
 * the offer: the same concurrency limits, acknowledgement and heartbeats. Slots not used are freed.
 */
export interface EagerDispatch {
  /**
   * Takes free activity slots for the activities `commands` schedule on this worker's task queue:
   * the first ones in order (the platform hands back the first that many), stopping at a type this
   * worker does not run. One release function per slot taken; none while shutting down.
   */
  reserveActivitySlots(commands: readonly CommandInput[]): (() => void)[];
  /**
   * Runs the activity tasks a completion handed back, one per reserved slot, and frees the slots
   * left over. Once shutdown started, it hands them back at once instead: a stopping worker takes
   * nothing new, even a task the platform leased to it in answer to an offer made before.
   */
  runActivityTasks(tasks: readonly ActivityTask[], reserved: readonly (() => void)[]): void;
  /** Takes a free workflow task slot for the next task of a run of `workflow`; null when none is free, the workflow is not this worker's, or it is shutting down. */
  reserveWorkflowSlot(workflow: string): (() => void) | null;
  /** Runs the workflow task a completion handed back on the reserved slot (hands it back once shutdown started, as above), or frees the slot when there is none. */
  runWorkflowTask(task: WorkflowTask | undefined, slot: () => void): void;
}

/** What {@link eagerDispatch} needs from the worker. */
export interface EagerDispatchOptions {
  taskQueue: string;
  activities: ReadonlyMap<string, unknown>;
  workflows: ReadonlyMap<string, unknown>;
  activitySlots: Slots;
  workflowSlots: Slots;
  /** False once shutdown started: nothing more is offered. */
  accepting: () => boolean;
  /** Runs a task on a slot, exactly as the poll loops do. */
  runActivity: (task: ActivityTask, release: () => void) => void;
  runWorkflow: (task: WorkflowTask, release: () => void) => void;
  /** Fails a task with the shutdown's retryable hand-back failure, so another worker takes it at once. */
  handBack: (task: ActivityTask | WorkflowTask) => void;
  logger: WorkerLogger;
}

export function eagerDispatch(o: EagerDispatchOptions): EagerDispatch {
  return {
    reserveActivitySlots(commands) {
      if (!o.accepting()) return [];
      let wanted = 0;
      for (const c of commands) {
        if (c.type !== "schedule_activity" || (c.options?.task_queue ?? o.taskQueue) !== o.taskQueue) continue;
        if (!o.activities.has(c.activity_type)) break;
        wanted++;
      }
      const reserved: (() => void)[] = [];
      while (reserved.length < Math.min(wanted, MAX_EAGER_ACTIVITY_SLOTS)) {
        const release = o.activitySlots.tryAcquire();
        if (!release) break;
        reserved.push(release);
      }
      return reserved;
    },
    runActivityTasks(tasks, reserved) {
      if (!o.accepting()) {
        for (const release of reserved) release();
        for (const task of tasks) o.handBack(task);
        return;
      }
      tasks.forEach((task, i) => {
        const release = reserved[i];
        if (release) o.runActivity(task, release);
        // Never happens with a conforming platform; unrun, the task is handed out again after the ack timeout.
        else o.logger.warn("the platform handed back more activity tasks than slots were offered; leaving the extra one to its timeout", { execution_id: task.execution_id, seq: task.seq });
      });
      for (const release of reserved.slice(tasks.length)) release();
    },
    reserveWorkflowSlot(workflow) {
      if (!o.accepting() || !o.workflows.has(workflow)) return null;
      return o.workflowSlots.tryAcquire();
    },
    runWorkflowTask(task, slot) {
      if (task && o.accepting()) return o.runWorkflow(task, slot);
      slot();
      if (task) o.handBack(task);
    },
  };
}
