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

/** A command a replay may drop when history has no marker for it there (see {@link verifyRecordedCommands}). */
export function isSkippableCommand(cmd: Command): boolean {
  return cmd.type === "set_patch_marker" && cmd.deprecated;
}

/**
 * Walks recorded command events and emitted commands together: a pair that matches moves both on,
 * a deprecated marker on either side that does not match the other side is passed over, and
 * anything else stops the walk (or, `positional`, is paired anyway). Returns where each side
 * stopped.
 */
function walk(recorded: readonly HistoryEvent[], emitted: readonly Command[], positional: boolean): { event: number; command: number; paired: number } {
  let event = 0;
  let command = 0;
  let paired = 0;
  while (event < recorded.length && command < emitted.length) {
    const ev = recorded[event]!;
    const cmd = emitted[command]!;
    if (!commandMatches(cmd, ev)) {
      if (isSkippableMarker(ev)) {
        event++;
        continue;
      }
      if (isSkippableCommand(cmd)) {
        command++;
        continue;
      }
      if (!positional) break;
    }
    event++;
    command++;
    paired++;
  }
  return { event, command, paired };
}

/**
 * Whether every recorded event and emitted command can be paired in order, passing over only
 * deprecated markers (either side's) that have no partner: a search over the positions reachable
 * from the start, each visited once.
 */
function alignable(recorded: readonly HistoryEvent[], emitted: readonly Command[]): boolean {
  const width = emitted.length + 1;
  const seen = new Set<number>([0]);
  const todo = [0];
  while (todo.length > 0) {
    const at = todo.pop()!;
    const event = Math.floor(at / width);
    const command = at % width;
    if (event === recorded.length && command === emitted.length) return true;
    const ev = recorded[event];
    const cmd = emitted[command];
    const next: number[] = [];
    if (ev !== undefined && cmd !== undefined && commandMatches(cmd, ev)) next.push(at + width + 1);
    if (ev !== undefined && isSkippableMarker(ev)) next.push(at + width);
    if (cmd !== undefined && isSkippableCommand(cmd)) next.push(at + 1);
    for (const n of next) {
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return false;
}

/**
 * The command event history recorded where the next command of `emitted` goes, aligned as
 * {@link verifyRecordedCommands} aligns them: deprecated patch markers on either side that the
 * other does not have there are passed over, and so is a recorded one standing at that place (the
 * next command is not known yet; a code that emits the marker there matches it anyway). It follows
 * the greedy walk: where only {@link alignable}'s search lines an activation up (two patch ids
 * edited at once), a later command may get no recorded event here, which matters only for a
 * payload today's limit refuses and an older platform recorded.
 */
export function recordedCommandAt(recorded: readonly HistoryEvent[], emitted: readonly Command[]): HistoryEvent | undefined {
  const at = walk(recorded, emitted, true);
  if (at.command < emitted.length) return undefined;
  return recorded.slice(at.event).find((ev) => !isSkippableMarker(ev));
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
 * or a command the code emits that history never recorded. Deprecated patch markers are passed
 * over where the other side has none (Temporal core's rules): one in history the code does not
 * emit there (the last step of a patch's life cycle removes the `ctx.deprecatePatch()` call, and
 * histories written with it must still replay), and one the code emits where history has none
 * ("replaying, no marker, deprecate_patch: allowed": a `ctx.deprecatePatch()` call moved later in
 * the run, whose marker history holds where the call used to be). A marker that is not deprecated
 * is matched like any command.
 */
export function verifyRecordedCommands(run: RunLabel, emitted: readonly Command[], batch: readonly HistoryEvent[]): void {
  const anchor = batch.findLast((ev) => ev.type === "workflow_task_completed");
  const recorded = batch.filter((ev) => COMMAND_EVENT_TYPES.has(ev.type));
  const at = walk(recorded, emitted, false);
  const ev = recorded.slice(at.event).find((e) => !isSkippableMarker(e));
  const cmd = emitted.slice(at.command).find((c) => !isSkippableCommand(c));
  // The walk passes over a deprecated marker greedily; when it is stuck, another choice of which
  // deprecated markers to pass over may still line everything up (two patch ids edited at once).
  if ((ev !== undefined || cmd !== undefined) && alignable(recorded, emitted)) return;
  if (ev !== undefined && cmd !== undefined) {
    throw nonDeterminism(run, ev, describeEvent(ev), describeCommand(cmd), `history recorded ${describeEvent(ev)} but the workflow code emitted ${describeCommand(cmd)}`);
  }
  if (ev !== undefined) {
    // The code may have emitted this very marker elsewhere, as deprecated: say so, it is the likely mistake.
    const moved = ev.type === "marker_recorded" ? emitted.find((c) => isSkippableCommand(c) && commandMatches(c, ev)) : undefined;
    const what = moved
      ? `history recorded ${describeEvent(ev)} here but the workflow code emitted ${describeCommand(moved)} at another place in this workflow task: a marker that is not deprecated (written by ctx.patched()) must stay where history recorded it`
      : `history recorded ${describeEvent(ev)} but the workflow code emitted nothing for it (it emitted ${counted(emitted)} in this workflow task)`;
    throw nonDeterminism(run, ev, describeEvent(ev), moved ? describeCommand(moved) : "nothing", what);
  }
  if (cmd !== undefined) {
    const where = anchor ?? batch[0];
    if (where === undefined) return;
    const n = at.paired;
    throw nonDeterminism(run, where, `${n} command${n === 1 ? "" : "s"}`, describeCommand(cmd), `history recorded ${n} command${n === 1 ? "" : "s"} for this workflow task but the workflow code emitted ${counted(emitted, false)}; the first extra one is ${describeCommand(cmd)}`);
  }
}

/** "3 commands" (`noun`) or "3", followed by " (and 1 deprecated patch marker, …)" when the code emitted some. */
function counted(emitted: readonly Command[], noun = true): string {
  const markers = emitted.filter(isSkippableCommand).length;
  const others = emitted.length - markers;
  const n = noun ? `${others} command${others === 1 ? "" : "s"}` : String(others);
  return markers === 0 ? n : `${n} (and ${markers} deprecated patch marker${markers === 1 ? "" : "s"}, which history need not have)`;
}
