import type { Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { NonDeterminismError } from "./errors.ts";
import { COMMAND_EVENT_TYPES } from "./history-batches.ts";

/** How a command reads in a non-determinism message, e.g. `schedule_activity(seq 1, activity_type "charge")`. */
export function describeCommand(cmd: Command): string {
  switch (cmd.type) {
    case "schedule_activity":
      return `schedule_activity(seq ${cmd.seq}, activity_type ${JSON.stringify(cmd.activity_type)})`;
    case "start_timer":
      return `start_timer(seq ${cmd.seq}, duration ${cmd.duration}s)`;
    case "request_cancel_activity":
    case "cancel_timer":
      return `${cmd.type}(seq ${cmd.seq})`;
    case "complete_update":
    case "accept_update":
    case "reject_update":
      return `${cmd.type}(update_id ${JSON.stringify(cmd.update_id)})`;
    case "start_child_workflow":
      return `start_child_workflow(seq ${cmd.seq}, workflow ${JSON.stringify(cmd.workflow)})`;
    case "record_step":
      return `record_step(seq ${cmd.seq}, name ${JSON.stringify(cmd.name)})`;
    case "set_patch_marker":
      return `set_patch_marker(patch_id ${JSON.stringify(cmd.patch_id)}${cmd.deprecated ? ", deprecated" : ""})`;
    default:
      return cmd.type;
  }
}

/** How a recorded command event reads, e.g. `activity_scheduled(seq 1, activity_type "charge")`. */
export function describeEvent(ev: HistoryEvent): string {
  switch (ev.type) {
    case "activity_scheduled":
      return `activity_scheduled(seq ${ev.seq}, activity_type ${JSON.stringify(ev.activity_type)})`;
    case "timer_started":
      return `timer_started(seq ${ev.seq}, duration ${ev.duration}s)`;
    case "activity_cancel_requested":
    case "timer_cancelled":
      return `${ev.type}(seq ${ev.seq})`;
    case "update_completed":
      return `update_completed(update_id ${JSON.stringify(ev.update_id)})`;
    case "child_workflow_initiated":
      return `child_workflow_initiated(seq ${ev.seq}, workflow ${JSON.stringify(ev.workflow)})`;
    case "step_recorded":
      return `step_recorded(seq ${ev.seq}, name ${JSON.stringify(ev.name)})`;
    case "marker_recorded":
      return `marker_recorded(patch_id ${JSON.stringify(ev.patch_id)}${ev.deprecated ? ", deprecated" : ""})`;
    default:
      return ev.type;
  }
}

/**
 * Whether a command is the one a history event recorded. Kind, `seq` and activity type (child
 * workflow name) must agree; inputs, durations and options may change between versions (as in
 * Temporal), since they only take effect when the command is first sent. `continue_as_new` has no
 * event: the platform replaces the run's history, so it is never replayed.
 */
export function commandMatches(cmd: Command, ev: HistoryEvent): boolean {
  switch (ev.type) {
    case "activity_scheduled":
      return cmd.type === "schedule_activity" && cmd.seq === ev.seq && cmd.activity_type === ev.activity_type;
    case "timer_started":
      return cmd.type === "start_timer" && cmd.seq === ev.seq;
    case "activity_cancel_requested":
      return cmd.type === "request_cancel_activity" && cmd.seq === ev.seq;
    case "timer_cancelled":
      return cmd.type === "cancel_timer" && cmd.seq === ev.seq;
    case "update_completed":
      return cmd.type === "complete_update" && cmd.update_id === ev.update_id;
    case "child_workflow_initiated":
      return cmd.type === "start_child_workflow" && cmd.seq === ev.seq && cmd.workflow === ev.workflow;
    case "step_recorded":
      return cmd.type === "record_step" && cmd.seq === ev.seq && cmd.name === ev.name;
    case "marker_recorded":
      // `deprecated` may differ: code that moved from patched() to deprecatePatch() (or back) replays.
      return cmd.type === "set_patch_marker" && cmd.patch_id === ev.patch_id;
    case "execution_completed":
      return cmd.type === "complete_workflow";
    case "execution_failed":
      return cmd.type === "fail_workflow";
    case "execution_cancelled":
      return cmd.type === "cancel_workflow";
    default:
      return false;
  }
}

/** A history marker a replay may skip when the code does not emit it there (see {@link verifyRecordedCommands}). */
export function isSkippableMarker(ev: HistoryEvent): boolean {
  return ev.type === "marker_recorded" && ev.deprecated;
}

/**
 * The command event history recorded where the next command of `emitted` goes, aligned as
 * {@link verifyRecordedCommands} aligns them: deprecated patch markers the code did not emit
 * where they stand are passed over, and so is one standing at that place (the next command is
 * not known yet; a code that emits the marker there matches it anyway).
 */
export function recordedCommandAt(recorded: readonly HistoryEvent[], emitted: readonly Command[]): HistoryEvent | undefined {
  let position = 0;
  for (const ev of recorded) {
    const cmd = emitted[position];
    if (isSkippableMarker(ev) && (cmd === undefined || !commandMatches(cmd, ev))) continue;
    if (cmd === undefined) return ev;
    position++;
  }
  return undefined;
}

/** Who the message is about. */
export interface RunLabel {
  workflow: string;
  executionId: string;
  runId: string;
}

function nonDeterminism(run: RunLabel, ev: HistoryEvent, recorded: string, emitted: string, what: string): NonDeterminismError {
  const message =
    `Non-deterministic workflow "${run.workflow}" (execution ${run.executionId}, run ${run.runId}) ` +
    `at history event ${ev.id} (${ev.type}): ${what}. ` +
    `Restore the previous code for running executions, guard the change with ctx.patched(id), or use ctx.now()/ctx.random() instead of Date/Math.random.`;
  return new NonDeterminismError(message, { eventId: ev.id, eventType: ev.type, recorded, emitted });
}

/**
 * Matches the commands one activation emitted against the command events history recorded for it,
 * position by position, and throws a {@link NonDeterminismError} naming the event and both sides on
 * the first difference: a different command, a command history has and the code no longer emits,
 * or a command the code emits that history never recorded. A deprecated patch marker the code does
 * not emit there is skipped (Temporal core's rule): the last step of a patch's life cycle removes
 * the `ctx.deprecatePatch()` call, and histories written with it must still replay. A marker that
 * is not deprecated is matched like any command.
 */
export function verifyRecordedCommands(run: RunLabel, emitted: readonly Command[], batch: readonly HistoryEvent[]): void {
  let position = 0;
  let anchor: HistoryEvent | undefined;
  for (const ev of batch) {
    if (ev.type === "workflow_task_completed") anchor = ev;
    if (!COMMAND_EVENT_TYPES.has(ev.type)) continue;
    const cmd = emitted[position];
    if (isSkippableMarker(ev) && (cmd === undefined || !commandMatches(cmd, ev))) continue;
    if (cmd === undefined) {
      throw nonDeterminism(run, ev, describeEvent(ev), "nothing", `history recorded ${describeEvent(ev)} but the workflow code emitted nothing for it (it emitted ${emitted.length} command${emitted.length === 1 ? "" : "s"} in this workflow task)`);
    }
    if (!commandMatches(cmd, ev)) {
      throw nonDeterminism(run, ev, describeEvent(ev), describeCommand(cmd), `history recorded ${describeEvent(ev)} but the workflow code emitted ${describeCommand(cmd)}`);
    }
    position++;
  }
  const extra = emitted[position];
  if (extra !== undefined) {
    const at = anchor ?? batch[0];
    if (at === undefined) return;
    throw nonDeterminism(run, at, `${position} command${position === 1 ? "" : "s"}`, describeCommand(extra), `history recorded ${position} command${position === 1 ? "" : "s"} for this workflow task but the workflow code emitted ${emitted.length}; the first extra one is ${describeCommand(extra)}`);
  }
}
