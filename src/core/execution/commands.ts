import type { ActivityOptions, Command, Failure } from "@sundial/sdk/protocol";
import { ValidationError } from "../errors.ts";
import { LIMITS } from "../limits.ts";

/** What the state machine needs to know to judge a batch of commands. */
export interface CommandContext {
  status: "running" | "closed";
  /** Highest activity seq ever scheduled in this run (seqs are 1, 2, 3, … in order). */
  lastActivitySeq: number;
  lastTimerSeq: number;
  /** Activities not yet resolved. */
  pendingActivities: ReadonlySet<number>;
  pendingTimers: ReadonlySet<number>;
  cancelRequested: boolean;
  /** Highest child workflow seq started in this run. */
  lastChildSeq?: number;
  /** Updates offered to the workflow and not yet accepted or rejected. */
  requestedUpdates?: ReadonlySet<string>;
  /** Updates accepted and not yet completed. */
  acceptedUpdates?: ReadonlySet<string>;
  /** Highest step seq recorded in this run. */
  lastStepSeq?: number;
}

/** One effect of a command batch, in order; the ExecutionObject writes each as history + state. */
export type CommandEffect =
  | { kind: "schedule_activity"; seq: number; activityType: string; input: unknown; options: ResolvedActivityOptions }
  | { kind: "cancel_activity"; seq: number }
  | { kind: "start_timer"; seq: number; durationMs: number }
  | { kind: "cancel_timer"; seq: number }
  | { kind: "close"; outcome: "completed"; result: unknown }
  | { kind: "close"; outcome: "failed"; failure: Failure }
  | { kind: "close"; outcome: "cancelled"; details: unknown }
  | { kind: "close"; outcome: "continued_as_new"; input: unknown; executionTimeout: number | undefined }
  | {
      kind: "start_child";
      seq: number;
      workflow: string;
      input: unknown;
      executionId: string | undefined;
      taskQueue: string | undefined;
      executionTimeout: number | undefined;
      policy: "ABANDON" | "REQUEST_CANCEL" | "TERMINATE";
      /** Set when the child cannot start (its input refused by its workflow's schema): recorded as its start's failure. */
      startFailure?: Failure;
    }
  | { kind: "accept_update"; updateId: string }
  | { kind: "reject_update"; updateId: string; failure: Failure }
  | { kind: "complete_update"; updateId: string; result: unknown; failure: Failure | undefined }
  | { kind: "record_step"; seq: number; name: string; result: unknown; failure: Failure | undefined }
  | { kind: "record_patch_marker"; patchId: string; deprecated: boolean };

/** Activity options with every default applied (seconds). */
export interface ResolvedActivityOptions extends ActivityOptions {
  start_to_close_timeout: number;
}

/** Default start-to-close timeout when a call sets neither start-to-close nor schedule-to-close. */
export const DEFAULT_START_TO_CLOSE_SECONDS = 300;

export function resolveActivityOptions(o: ActivityOptions): ResolvedActivityOptions {
  const startToClose = o.start_to_close_timeout ?? o.schedule_to_close_timeout ?? DEFAULT_START_TO_CLOSE_SECONDS;
  return { ...o, start_to_close_timeout: startToClose };
}

/**
 * Validates a workflow task's commands against the run's state and turns them into effects.
 * Rules: the run must be open; activity, timer, child and step seqs continue the run's numbering without gaps;
 * cancels name pending items; at most one closing command, and it comes last; at most
 * LIMITS.maxPendingActivities activities pending at once. Throws a ValidationError (code
 * `invalid_command`, or `limit_exceeded` for the last rule; field `commands.N`) on the first violation.
 */
export function planCommands(ctx: CommandContext, commands: readonly Command[]): CommandEffect[] {
  const bad = (i: number, message: string) => new ValidationError(`commands.${i}: ${message}`, { field: `commands.${i}`, code: "invalid_command" });
  if (ctx.status !== "running" && commands.length > 0) throw bad(0, "the execution is closed");
  let activitySeq = ctx.lastActivitySeq;
  let timerSeq = ctx.lastTimerSeq;
  const activities = new Set(ctx.pendingActivities);
  const timers = new Set(ctx.pendingTimers);
  const effects: CommandEffect[] = [];
  const requested = new Set(ctx.requestedUpdates ?? []);
  let childSeq = ctx.lastChildSeq ?? 0;
  const accepted = new Set(ctx.acceptedUpdates ?? []);
  // Accepted by this very task: update_accepted is written after the task's commands and the
  // handler starts from it, so nothing in this task can have completed it.
  const acceptedNow = new Set<string>();
  let stepSeq = ctx.lastStepSeq ?? 0;
  let scheduled = 0;
  commands.forEach((cmd, i) => {
    if (effects.some((e) => e.kind === "close")) throw bad(i, "no command may follow the one that closes the workflow");
    switch (cmd.type) {
      case "schedule_activity":
        if (cmd.seq !== activitySeq + 1) throw bad(i, `activity seq ${cmd.seq} out of order (expected ${activitySeq + 1})`);
        activitySeq = cmd.seq;
        activities.add(cmd.seq);
        // A cancel in the same task frees no place: a started activity stays pending until its worker stops.
        scheduled += 1;
        if (ctx.pendingActivities.size + scheduled > LIMITS.maxPendingActivities) {
          throw new ValidationError(`commands.${i}: more than ${LIMITS.maxPendingActivities} activities would be pending in this run (the limit); the task is retried once some have finished`, { field: `commands.${i}`, code: "limit_exceeded" });
        }
        effects.push({ kind: "schedule_activity", seq: cmd.seq, activityType: cmd.activity_type, input: cmd.input, options: resolveActivityOptions(cmd.options) });
        break;
      case "request_cancel_activity":
        // A cancel of an activity that finished while this task ran is a recorded no-op, not an
        // error: the workflow could not have known, and replay must find the command in history.
        if (cmd.seq < 1 || cmd.seq > activitySeq) throw bad(i, `activity ${cmd.seq} was never scheduled`);
        activities.delete(cmd.seq);
        effects.push({ kind: "cancel_activity", seq: cmd.seq });
        break;
      case "start_timer":
        if (cmd.seq !== timerSeq + 1) throw bad(i, `timer seq ${cmd.seq} out of order (expected ${timerSeq + 1})`);
        timerSeq = cmd.seq;
        timers.add(cmd.seq);
        effects.push({ kind: "start_timer", seq: cmd.seq, durationMs: Math.round(cmd.duration * 1000) });
        break;
      case "cancel_timer":
        if (cmd.seq < 1 || cmd.seq > timerSeq) throw bad(i, `timer ${cmd.seq} was never started`);
        timers.delete(cmd.seq);
        effects.push({ kind: "cancel_timer", seq: cmd.seq });
        break;
      case "complete_workflow":
        effects.push({ kind: "close", outcome: "completed", result: cmd.result });
        break;
      case "fail_workflow":
        effects.push({ kind: "close", outcome: "failed", failure: cmd.failure });
        break;
      case "start_child_workflow":
        if (cmd.seq !== childSeq + 1) throw bad(i, `child workflow seq ${cmd.seq} out of order (expected ${childSeq + 1})`);
        childSeq = cmd.seq;
        effects.push({ kind: "start_child", seq: cmd.seq, workflow: cmd.workflow, input: cmd.input, executionId: cmd.execution_id, taskQueue: cmd.task_queue, executionTimeout: cmd.execution_timeout, policy: cmd.parent_close_policy });
        break;
      case "continue_as_new":
        effects.push({ kind: "close", outcome: "continued_as_new", input: cmd.input, executionTimeout: cmd.execution_timeout });
        break;
      case "accept_update":
      case "reject_update":
        if (!requested.has(cmd.update_id)) throw bad(i, `update ${cmd.update_id} is not waiting for validation`);
        requested.delete(cmd.update_id);
        if (cmd.type === "accept_update") {
          accepted.add(cmd.update_id);
          acceptedNow.add(cmd.update_id);
          effects.push({ kind: "accept_update", updateId: cmd.update_id });
        } else {
          effects.push({ kind: "reject_update", updateId: cmd.update_id, failure: cmd.failure });
        }
        break;
      case "complete_update":
        if (acceptedNow.has(cmd.update_id)) throw bad(i, `update ${cmd.update_id} is accepted by this task: its handler runs from the next workflow task, so it cannot complete in this one`);
        if (!accepted.has(cmd.update_id)) throw bad(i, `update ${cmd.update_id} was not accepted (or is already complete)`);
        accepted.delete(cmd.update_id);
        effects.push({ kind: "complete_update", updateId: cmd.update_id, result: cmd.result, failure: cmd.failure });
        break;
      case "record_step":
        if (cmd.seq !== stepSeq + 1) throw bad(i, `step seq ${cmd.seq} out of order (expected ${stepSeq + 1})`);
        if (cmd.result !== undefined && cmd.failure !== undefined) throw bad(i, "a step has a result or a failure, not both");
        stepSeq = cmd.seq;
        effects.push({ kind: "record_step", seq: cmd.seq, name: cmd.name, result: cmd.result, failure: cmd.failure });
        break;
      case "set_patch_marker":
        // No state to check: a marker only tells a replay which branch the run took. The SDK sends
        // one per patch id and run; the id was bounded by the wire schema.
        effects.push({ kind: "record_patch_marker", patchId: cmd.patch_id, deprecated: cmd.deprecated });
        break;
      case "cancel_workflow":
        if (!ctx.cancelRequested) throw bad(i, "cancel_workflow is only valid after cancellation was requested");
        effects.push({ kind: "close", outcome: "cancelled", details: cmd.details });
        break;
    }
  });
  return effects;
}

/**
 * Temporal's UnhandledCommand rule: a task whose commands close the run (complete, fail, cancel,
 * continue-as-new) while events arrived after it started (`newEventsPending`: a signal, an update,
 * an activity's outcome, …) must not close it, or the workflow would end without having seen them
 * and they would be lost. The task fails instead, with this failure, and a new one delivers them.
 * Null when the task may complete.
 * @example
 * unhandledCommandFailure([{ kind: "close", outcome: "completed", result: 1 }], true)?.type // "UnhandledCommand"
 */
export function unhandledCommandFailure(effects: readonly CommandEffect[], newEventsPending: boolean): Failure | null {
  if (!newEventsPending || !effects.some((e) => e.kind === "close")) return null;
  return {
    message: "new events arrived while this workflow task ran: the run was not closed, and a new workflow task delivers them to the workflow",
    type: "UnhandledCommand",
    non_retryable: false,
  };
}
