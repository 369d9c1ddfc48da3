import type { Failure, HistoryEvent } from "@sundial/sdk/protocol";
import { childEntryKey } from "../core/execution/children.ts";
import { ValidationError, withArticle } from "../core/errors.ts";
import { SIGNAL_MARK_PREFIX, signalMarkKey } from "../core/execution/signal-marks.ts";
import { LIMITS } from "../core/limits.ts";
import { executionClosedFailure, isExecutionClosedFailure } from "../core/execution/update-close.ts";
import { dropChildStops } from "./execution-children.ts";
import type { ChildLookup } from "./execution-outbox.ts";
import { activityDispatch, applyParentClosePolicy, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import { newActivityRow, parseJson, type ExecutionStore, type RunRow, type UpdateRow } from "./execution-store.ts";
import { indexRow } from "./execution-view.ts";

export interface ResetOptions {
  eventId: number;
  reason: string;
  excludeSignals: boolean;
  excludeUpdates: boolean;
}

const RESOLVES_ACTIVITY = new Set(["activity_completed", "activity_failed", "activity_timed_out", "activity_cancelled"]);
const RESOLVES_TIMER = new Set(["timer_fired", "timer_cancelled"]);
const CLOSES_CHILD = new Set(["child_workflow_completed", "child_workflow_failed", "child_workflow_start_failed"]);

/**
 * Reset (the Mistral seed's `reset_workflow`): the current run ends and a new run starts from a
 * `workflow_task_completed` event. History up to that task's start is copied; that task is
 * recorded as failed with the reason, so current code re-runs it and everything after; signals
 * and updates received later are re-applied unless excluded. Pending activities, timers and
 * accepted updates of the copied part are restored, so the workflow finds them as it left them.
 * What answers a message sent again is rebuilt from the kept history too: signal request ids and
 * completed updates; an excluded update is closed (409 to its caller), and updates requested but
 * not yet accepted are offered to the new run. Children of the kept history stay the new run's;
 * a running old run's children started after the reset point follow its parent close policy.
 */
export function resetRun(store: ExecutionStore, now: number, o: ResetOptions, out: Dispatch[]): void {
  const old = store.run();
  if (!old) throw new ValidationError("execution not found", { field: "execution_id" });
  const target = store.event(o.eventId);
  if (!target || target.type !== "workflow_task_completed") {
    throw new ValidationError(`event_id: event ${o.eventId} is ${target ? withArticle(target.type) : "not in this run's history"}; reset needs a workflow_task_completed event`, { field: "event_id", code: "invalid_reset_point" });
  }
  const ts = (e: HistoryEvent) => Date.parse(e.ts);
  const seqOf = (e: HistoryEvent) => (e as { seq?: number }).seq ?? 0;
  const prefix = () => store.eventsFrom(1, o.eventId - 1);

  // What the kept history resolved, in one pass (a history of 50,000 events is read a page at a
  // time, and never searched once per event).
  const resolvedActivities = new Set<number>();
  const cancelRequestedActivities = new Set<number>();
  const resolvedTimers = new Set<number>();
  const keptChildren = new Set<number>();
  const closedChildren = new Set<number>();
  const startedChildren = new Set<number>();
  const completedUpdates = new Set<string>();
  let cancelKept = false;
  for (const e of prefix()) {
    if (e.type === "execution_cancel_requested") cancelKept = true;
    if (RESOLVES_ACTIVITY.has(e.type)) resolvedActivities.add(seqOf(e));
    else if (e.type === "activity_cancel_requested") cancelRequestedActivities.add(seqOf(e));
    else if (RESOLVES_TIMER.has(e.type)) resolvedTimers.add(seqOf(e));
    else if (CLOSES_CHILD.has(e.type)) closedChildren.add(seqOf(e));
    else if (e.type === "child_workflow_started") startedChildren.add(e.seq);
    else if (e.type === "child_workflow_initiated") keptChildren.add(e.seq);
    else if (e.type === "update_completed") completedUpdates.add(e.update_id);
  }

  // Which run started each child, and the updates not in history (requested, not yet accepted, or
  // rejected by a validator): the old run's tables are emptied, and these are not rebuilt from history.
  // An update failed with ExecutionClosed when the old run closed was not refused by the workflow:
  // it is forgotten, and a retry is a new request to the new run (one the old run had accepted is
  // rebuilt from the history, like every accepted update). One a reset excluded (details.excluded_by_reset)
  // still answers 409 after a later reset.
  const parentRuns = new Map(store.children().map((c) => [c.seq, c]));
  // Reset ends a running run as a terminate would (Temporal's reset terminates it): the children it
  // started after the reset point, which the new run does not have, follow its parent close policy.
  // Those of the kept history stay the new run's. A closed run applied its policy when it closed.
  if (old.status === "running") applyParentClosePolicy(store, now, old, [...parentRuns.values()].filter((c) => !keptChildren.has(c.seq)), "reset");
  const closedByRun = (u: UpdateRow) => {
    const f = parseJson<Failure>(u.failure);
    return isExecutionClosedFailure(f) && (f.details as { excluded_by_reset?: boolean } | undefined)?.excluded_by_reset !== true;
  };
  const unrecordedUpdates = [...store.updatesIn("requested"), ...store.updatesIn("rejected").filter((u) => !closedByRun(u))];
  // Every signal request id the execution has seen (earlier runs' ones too, handed on by
  // continue-as-new, and those of signals the reset sets aside or excludes: a retry of any of them
  // is a duplicate, never a second delivery), and the outcomes earlier runs handed on.
  const signalMarks = store.marksWithPrefix(SIGNAL_MARK_PREFIX, LIMITS.signalRequestIdsKept);
  const carriedUpdates = store.finishedUpdates(LIMITS.updateOutcomesKept, LIMITS.updateOutcomesKeptBytes, true);

  // The history before the reset point stays as it is — execution_started keeps the original run
  // id, since the SDK seeds ctx.random()/uuid() from it and the replayed part must draw the same
  // values — and the rest is set aside until the messages in it are delivered again.
  store.restartHistoryAt(o.eventId);
  const run: RunRow = {
    ...old,
    run_id: crypto.randomUUID(),
    status: "running",
    result: null,
    failure: null,
    started_at: now,
    closed_at: null,
    deadline: now + old.execution_timeout * 1000,
    wt_state: "none",
    wt_started_at: null,
    wt_dispatched_at: null,
    wt_retry_at: null,
    wt_needed: 0,
    wt_acked: 1,
    run_number: old.run_number + 1,
    previous_run_id: old.run_id,
    last_activity_seq: 0,
    last_timer_seq: 0,
    last_child_seq: 0,
    last_step_seq: 0,
    start_by: null,
    // A cancel request kept before the reset point still holds (the replayed workflow sees it and
    // may cancel); one after it is set aside with the rest of that history, so a later cancel must
    // reach the new run's workflow.
    cancel_requested: cancelKept ? 1 : 0,
  };
  store.insertRun(run);
  for (const m of signalMarks) store.markCompleted(m.task_key, m.at);
  for (const u of carriedUpdates) store.insertUpdate(u);
  const wtScheduled = (target as { scheduled_event_id: number }).scheduled_event_id;
  store.append("workflow_task_failed", now, { scheduled_event_id: wtScheduled, failure: { message: `reset: ${o.reason}`, type: "ResetWorkflow", non_retryable: false } });

  // Restore what the kept history left pending.
  let lastActivity = 0;
  let lastTimer = 0;
  let lastChild = 0;
  let lastStep = 0;
  const acceptedNames = new Map<string, string>();
  for (const e of prefix()) {
    if (e.type === "activity_scheduled") {
      lastActivity = Math.max(lastActivity, e.seq);
      if (resolvedActivities.has(e.seq)) continue;
      if (cancelRequestedActivities.has(e.seq)) {
        // The kept history asked to cancel it: in the new run it has not started, and a cancel of an
        // activity not started takes effect at once (as applyCommandEffects does), rather than
        // handing it out again to a worker that would run it unaware of the cancel.
        store.append("activity_cancelled", now, { scheduled_event_id: e.id, seq: e.seq });
        continue;
      }
      const row = newActivityRow(e.seq, e.id, e.activity_type, e.input, e.options, now);
      store.insertActivity(row);
      out.push(activityDispatch(run, row));
    } else if (e.type === "step_recorded") {
      lastStep = Math.max(lastStep, e.seq);
    } else if (e.type === "timer_started") {
      lastTimer = Math.max(lastTimer, e.seq);
      if (!resolvedTimers.has(e.seq)) store.insertTimer(e.seq, e.id, Date.parse(e.fire_at));
    } else if (e.type === "child_workflow_initiated") {
      lastChild = Math.max(lastChild, e.seq);
      const state = closedChildren.has(e.seq) ? "closed" : startedChildren.has(e.seq) ? "started" : "initiated";
      const before = parentRuns.get(e.seq);
      const parentRun = before?.execution_id === e.execution_id ? before.parent_run : null;
      store.putChild({ seq: e.seq, execution_id: e.execution_id, policy: e.parent_close_policy, state, parent_run: parentRun });
    } else if (e.type === "update_accepted") {
      if (completedUpdates.has(e.update_id)) acceptedNames.set(e.update_id, e.name);
      else store.insertUpdate({ update_id: e.update_id, name: e.name, input: JSON.stringify(e.input ?? null), state: "accepted", result: null, failure: null, created_at: ts(e) });
    } else if (e.type === "update_completed") {
      // A client sending a completed update again gets its outcome, not a second run of its handler.
      const failure = e.failure ? JSON.stringify(e.failure) : null;
      store.insertUpdate({ update_id: e.update_id, name: acceptedNames.get(e.update_id) ?? "", input: "null", state: "completed", result: failure ? null : JSON.stringify(e.result ?? null), failure, created_at: ts(e) });
    } else if (e.type === "signal_received" && e.request_id) {
      // A signal sent again with its request id is still recognised.
      store.markCompleted(signalMarkKey(e.request_id), ts(e));
    }
  }
  store.updateRun({ last_activity_seq: lastActivity, last_timer_seq: lastTimer, last_child_seq: lastChild, last_step_seq: lastStep });

  // Messages that arrived after the reset point are delivered again unless excluded; children
  // that started or closed after it already did, in the world: their news is delivered again too.
  for (const e of store.setAside()) {
    if (e.id === o.eventId) continue; // the reset point itself
    if (e.type === "child_workflow_started" || e.type === "child_workflow_completed" || e.type === "child_workflow_failed" || e.type === "child_workflow_start_failed") {
      const c = store.child(e.seq);
      if (!c || c.state === "closed") continue;
      if (e.type === "child_workflow_started" && !startedChildren.has(e.seq)) {
        store.append("child_workflow_started", now, { seq: e.seq, execution_id: e.execution_id, run_id: e.run_id });
        // Started in the new run's books too: its lookup (askOpenChildren) must not record it again.
        store.putChild({ ...c, state: "started" });
      } else if (e.type !== "child_workflow_started") {
        const { id: _i, type, ts: _t, ...attrs } = e;
        store.append(type, now, attrs);
        store.putChild({ ...c, state: "closed" });
      }
    }
    if (e.type === "signal_received" && !o.excludeSignals) {
      store.append("signal_received", now, { name: e.name, input: e.input ?? null, request_id: e.request_id });
      if (e.request_id) store.markCompleted(signalMarkKey(e.request_id), now);
    }
    if (e.type === "update_accepted" && store.update(e.update_id) === null) {
      if (o.excludeUpdates) {
        // Excluded: its caller (waiting, or sending it again) gets 409 execution_closed, not a wait for a handler that will not run.
        const failure: Failure = executionClosedFailure("the execution was reset to before the update and the reset excluded updates", { excluded_by_reset: true });
        store.insertUpdate({ update_id: e.update_id, name: e.name, input: "null", state: "rejected", result: null, failure: JSON.stringify(failure), created_at: now });
        continue;
      }
      store.append("update_accepted", now, { update_id: e.update_id, name: e.name, input: e.input ?? null });
      store.insertUpdate({ update_id: e.update_id, name: e.name, input: JSON.stringify(e.input ?? null), state: "accepted", result: null, failure: null, created_at: now });
    }
  }
  store.dropSetAside();
  askOpenChildren(store, now);
  // Updates requested but not yet accepted are offered to the new run; validator rejections still answer a retry.
  for (const u of unrecordedUpdates) if (store.update(u.update_id) === null) store.insertUpdate(u);
  scheduleWorkflowTask(store, now, out);
  store.outbox.put("index", indexRow(store.run()!), now);
}

/**
 * Children of the kept history still open in the new run's books may have started or closed while
 * the old run could no longer hear it (it had closed): each one whose start is not still waiting
 * in the outbox gets a `lookup-child:{seq}` entry, which reports what its execution is now. The
 * stops the old run's close policy queued for them and has not delivered yet are dropped: the new
 * run keeps these children, and a stop going out after the reset would end one it waits on (one
 * delivered already is what the lookup reports).
 */
function askOpenChildren(store: ExecutionStore, now: number): void {
  const run = store.run()!;
  for (const c of store.children()) {
    if (c.state === "closed") continue;
    dropChildStops(store, c);
    if (store.outbox.has(`start-child:${c.seq}`) || (c.parent_run !== null && store.outbox.has(childEntryKey("start-child", c.parent_run, c.seq)))) continue;
    const lookup: ChildLookup = { namespace: run.namespace, execution_id: c.execution_id, parent: { execution_id: run.execution_id, run_id: c.parent_run } };
    store.outbox.put(`lookup-child:${c.seq}`, lookup, now);
  }
}
