import type { EventOf, HistoryEvent, HistoryEventType } from "../protocol/history.ts";

/** Events that record a command the workflow sent (matched one by one against the code's commands). */
export const COMMAND_EVENT_TYPES: ReadonlySet<HistoryEventType> = new Set<HistoryEventType>([
  "activity_scheduled",
  "activity_cancel_requested",
  "timer_started",
  "timer_cancelled",
  "update_completed",
  "step_recorded",
  "marker_recorded",
  "child_workflow_initiated",
  "execution_completed",
  "execution_failed",
  "execution_cancelled",
]);

/** Events the workflow reacts to: they resolve or reject its pending promises. */
export const RESOLUTION_EVENT_TYPES: ReadonlySet<HistoryEventType> = new Set<HistoryEventType>([
  "activity_completed",
  "activity_failed",
  "activity_timed_out",
  "activity_cancelled",
  "timer_fired",
  "signal_received",
  // Written by the platform for an accept_update command, after that task's command events: not a
  // command event (never matched), but the point in history where the update's handler starts.
  "update_accepted",
  "child_workflow_started",
  "child_workflow_start_failed",
  "child_workflow_completed",
  "child_workflow_failed",
  "execution_cancel_requested",
]);

const TASK_OUTCOMES: ReadonlySet<HistoryEventType> = new Set<HistoryEventType>([
  "workflow_task_started",
  "workflow_task_completed",
  "workflow_task_failed",
  "workflow_task_timed_out",
]);

/**
 * One activation: the events the workflow saw when it ran for one workflow task. `events` are the
 * history events after the previous activation's `workflow_task_started` up to and including
 * `started`; they hold (first) the recorded commands of the previous activation and the
 * resolutions this activation reacts to.
 */
export interface Activation {
  events: HistoryEvent[];
  /** The `workflow_task_started` that ends the batch; null for a trailing batch with no task. */
  started: EventOf<"workflow_task_started"> | null;
  /**
   * True when that task was completed, so the commands it produced are recorded in history (the
   * activation is a replay); false for the task being processed now.
   */
  replay: boolean;
}

/**
 * Splits history into activations. A `workflow_task_started` whose task then failed or timed out
 * is not a boundary: that attempt produced nothing, and the retry saw the merged batch (with the
 * retry's start time as `now`), exactly as Temporal treats failed workflow tasks.
 * @example
 * splitActivations(task.history).map((a) => a.started?.id) // [3, 9, 14]
 */
export function splitActivations(events: readonly HistoryEvent[]): Activation[] {
  // Outcome of each workflow_task_started: the next task lifecycle event after it, in one backward pass.
  const outcome = new Array<HistoryEventType | undefined>(events.length);
  let next: HistoryEventType | undefined;
  for (let i = events.length - 1; i >= 0; i--) {
    const type = events[i]!.type;
    outcome[i] = next;
    if (TASK_OUTCOMES.has(type)) next = type;
  }
  const activations: Activation[] = [];
  let batch: HistoryEvent[] = [];
  events.forEach((event, i) => {
    batch.push(event);
    if (event.type !== "workflow_task_started") return;
    const after = outcome[i];
    if (after !== undefined && after !== "workflow_task_completed") return;
    activations.push({ events: batch, started: event, replay: after === "workflow_task_completed" });
    batch = [];
  });
  if (batch.length > 0) activations.push({ events: batch, started: null, replay: true });
  return activations;
}

/**
 * The activations a query replays: all of them, up to and including a workflow task still in
 * flight (started, not yet completed, failed or timed out). Events recorded after that task
 * started — a signal, a fired timer, a terminate, a timeout — belong to the next activation, which
 * has not happened: history does not yet hold the in-flight task's commands, so replaying past it
 * would match them against nothing and report non-determinism that is not there.
 * @example
 * activationsForQuery(queryTask.history).at(-1)?.started?.id // the in-flight task's start, when there is one
 */
export function activationsForQuery(events: readonly HistoryEvent[]): Activation[] {
  const activations = splitActivations(events);
  const inFlight = activations.findIndex((a) => a.started !== null && !a.replay);
  return inFlight === -1 ? activations : activations.slice(0, inFlight + 1);
}

/**
 * The command events history recorded for the activation before `next`: they open `next`'s batch
 * (the previous task's completion wrote them). Empty when there is no next activation yet.
 */
export function recordedCommandsOf(next: Activation | undefined): HistoryEvent[] {
  return next === undefined ? [] : next.events.filter((e) => COMMAND_EVENT_TYPES.has(e.type));
}
