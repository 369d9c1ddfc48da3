import { signToken } from "../core/crypto.ts";
import { LIMITS } from "../core/limits.ts";
import { toRfc3339, type ActivityTask, type Command, type WorkflowTask } from "@sundial/sdk/protocol";
import { secretsFor } from "../api/auth.ts";
import type { Env } from "../env.ts";
import { activityDispatch, requeueAttempt, scheduleWorkflowTask, type Dispatch } from "./execution-effects.ts";
import { cancelLostAttempt, MAX_LOST_DELIVERIES } from "./execution-timeouts.ts";
import type { TokenPayload } from "./execution-types.ts";
import type { QueryBroker } from "./execution-queries.ts";
import type { ActivityRow, ExecutionStore, RunRow } from "./execution-store.ts";

// Leasing a task: the queue entry only points here; these decide whether it is still current,
// record the start and mint the token. Signing is an await, so each lease either re-checks state
// after signing (a poll: another poll may have leased the same task meanwhile), or signs ahead
// for the task it expects and records the start only if that task is still exactly what it
// signed for (eager dispatch: the lease goes into the completion's own write, see below).

function workflowToken(run: RunRow, scheduledEventId: number, attempt: number): TokenPayload {
  return { n: run.namespace, e: run.execution_id, r: run.run_id, k: "w", i: scheduledEventId, a: attempt };
}

function activityToken(run: RunRow, seq: number, attempt: number, lease: number): TokenPayload {
  return { n: run.namespace, e: run.execution_id, r: run.run_id, k: "a", i: seq, a: attempt, l: lease };
}

/** Records the start of the scheduled workflow task (synchronous) and builds the task a worker runs. */
function recordWorkflowTaskStart(store: ExecutionStore, at: number, token: string, identity: string): WorkflowTask {
  const run = store.run()!;
  const suggest = store.eventCount() + 1 >= LIMITS.continueAsNewSuggestedEvents || store.historyBytes() >= LIMITS.continueAsNewSuggestedBytes;
  // Recorded, so a workflow that branches on the suggestion replays the same way.
  store.append("workflow_task_started", at, { scheduled_event_id: run.wt_scheduled_event_id, identity, suggest_continue_as_new: suggest });
  store.updateRun({ wt_state: "started", wt_started_at: at, wt_acked: 0 });
  return {
    kind: "workflow",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    attempt: run.wt_attempt,
    run_number: run.run_number,
    history: store.eventsTail(LIMITS.taskHistoryBytes),
    continue_as_new_suggested: suggest,
    updates: store.updatesIn("requested").map((u) => ({ update_id: u.update_id, name: u.name, input: JSON.parse(u.input) })),
  };
}

/** Records the lease of a scheduled activity attempt (synchronous) and builds the task a worker runs. */
function recordActivityStart(store: ExecutionStore, at: number, run: RunRow, row: ActivityRow, token: string, identity: string): ActivityTask {
  store.updateActivity(row.seq, { state: "started", started_at: at, last_heartbeat_at: at, identity, acked: 0, lease: row.lease + 1 });
  const options = JSON.parse(row.options) as { heartbeat_timeout?: number; start_to_close_timeout: number };
  return {
    kind: "activity",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    activity_type: row.activity_type,
    seq: row.seq,
    input: JSON.parse(row.input),
    attempt: row.attempt,
    heartbeat_timeout: options.heartbeat_timeout ?? null,
    start_to_close_timeout: options.start_to_close_timeout,
    ...(row.heartbeat_details !== null ? { heartbeat_details: JSON.parse(row.heartbeat_details) } : {}),
  };
}

/** What a poll takes: tasks of its task queue (null: not said) and of the types its worker runs (null: any). */
export interface PollScope {
  queue: string | null;
  types: readonly string[] | null;
}

export const ANY_POLL: PollScope = { queue: null, types: null };

/**
 * Whether a poll of `scope` may lease the task `current` says (the task as the run has it now).
 * The queue checks the entry's type, but the entry can be older than the run's row: one taken just
 * before a reset queued the new code's task for the same (seq, attempt) under another type or in
 * another task queue, one left in the queue the old code used, one queued before entries had
 * types, or a query queued for a run the execution has replaced with a run of another workflow.
 * Such an entry leases nothing to a worker that lacks the current type or polls another queue,
 * and is sent again as the run has it: the queue keeps one entry per (execution, ref, attempt),
 * so if the current entry is already queued this only confirms it.
 */
function pollRuns(scope: PollScope, current: Dispatch, out: Dispatch[]): boolean {
  if ((scope.types === null || scope.types.includes(current.type)) && (scope.queue === null || scope.queue === current.queue)) return true;
  out.push(current);
  return false;
}

/** The queue entry of query `ref` to the run as it stands (its workflow and task queue). */
export function queryDispatch(run: RunRow, ref: number): Dispatch {
  return { namespace: run.namespace, queue: run.task_queue, executionId: run.execution_id, kind: "workflow", type: run.workflow, ref, attempt: 0 };
}

/**
 * Whether a poll of `scope` may lease workflow task `ref` (true too when `ref` is not the run's
 * scheduled task: the lease then finds the entry stale). Asked before anything else a lease does,
 * since a prepared run's first lease settles its start: a task not for this poll goes again to the
 * run's queue, held until the run's start as a prepared run's first task is (an entry the run's
 * withdrawn predecessor left in the queue it used may be released earlier).
 */
export function workflowTaskInScope(store: ExecutionStore, now: number, ref: number, scope: PollScope, out: Dispatch[]): boolean {
  const run = store.run();
  if (!run || run.status !== "running" || run.wt_state !== "scheduled" || run.wt_scheduled_event_id !== ref) return true;
  const visibleAt = Math.max(now, run.started_at);
  const current: Dispatch = { namespace: run.namespace, queue: run.task_queue, executionId: run.execution_id, kind: "workflow", type: run.workflow, ref, attempt: run.wt_attempt };
  return pollRuns(scope, visibleAt > now ? { ...current, visibleAt } : current, out);
}

/** Leases the workflow task a queue entry refers to (one {@link workflowTaskInScope} let through); null when the entry is stale. */
export async function leaseWorkflowTask(store: ExecutionStore, env: Env, now: () => number, scheduledEventId: number, identity: string): Promise<WorkflowTask | null> {
  const run = store.run();
  if (!run || run.status !== "running" || run.wt_state !== "scheduled" || run.wt_scheduled_event_id !== scheduledEventId) return null;
  const token = await signToken(secretsFor(env).tokenSecret, workflowToken(run, scheduledEventId, run.wt_attempt));
  // Re-check after the await: another poll may have leased it meanwhile (or a prepared run been forgotten).
  const fresh = store.run();
  if (!fresh || fresh.run_id !== run.run_id || fresh.wt_state !== "scheduled" || fresh.wt_scheduled_event_id !== scheduledEventId || fresh.wt_attempt !== run.wt_attempt) return null;
  return recordWorkflowTaskStart(store, now(), token, identity);
}

/** A query task: the whole history to replay read-only, and the query to answer (null, re-sent to `out`, when not for a poll of `scope`). */
export async function leaseQueryTask(store: ExecutionStore, env: Env, queries: QueryBroker, ref: number, scope: PollScope, out: Dispatch[]): Promise<WorkflowTask | null> {
  const run = store.run();
  const q = queries.get(ref);
  if (!run || !q || !pollRuns(scope, queryDispatch(run, ref), out)) return null;
  const token = await signToken(secretsFor(env).tokenSecret, { n: run.namespace, e: run.execution_id, r: run.run_id, k: "q", i: ref, a: 0 } satisfies TokenPayload);
  return {
    kind: "workflow",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    attempt: 1,
    run_number: run.run_number,
    history: store.eventsTail(LIMITS.taskHistoryBytes),
    continue_as_new_suggested: false,
    query: { query_id: String(-ref), name: q.name, input: q.input },
  };
}

/** Leases the activity attempt a queue entry refers to; null when the entry is stale (or, re-sent to `out`, not for a poll of `scope`). */
export async function leaseActivityTask(store: ExecutionStore, env: Env, now: () => number, seq: number, attempt: number, identity: string, scope: PollScope, out: Dispatch[]): Promise<ActivityTask | null> {
  const run = store.run();
  const row = store.activity(seq);
  if (!run || run.status !== "running" || !row || row.state !== "scheduled" || row.attempt !== attempt) return null;
  if (!pollRuns(scope, activityDispatch(run, row), out)) return null;
  const token = await signToken(secretsFor(env).tokenSecret, activityToken(run, seq, attempt, row.lease + 1));
  // Signing awaited: the run may have been reset meanwhile (a new run's activity at the same seq
  // and attempt), as the workflow-task lease checks too.
  const fresh = store.activity(seq);
  if (store.run()?.run_id !== run.run_id || !fresh || fresh.state !== "scheduled" || fresh.attempt !== attempt || fresh.lease !== row.lease) return null;
  return recordActivityStart(store, now(), run, fresh, token, identity);
}

/**
 * A lease whose answer never left the server (the poll's client went away while the run recorded
 * it): handed out again at once, where otherwise the 5 s delivery-ack timeout would. Only the
 * lease the token names, still unacknowledged; anything else (acked, completed, timed out, a newer
 * lease) is left as it is. Nobody holds the token, but it is stale from here on all the same:
 * a workflow task ends as the ack timeout ends it (workflow_task_timed_out) and is scheduled again
 * as the same attempt (it never failed), under a new event id; an activity attempt goes back to
 * the queue as itself, its lease number spent (counted as a lost delivery, as a hand-back is);
 * one the workflow asked to cancel is cancelled. A query is sent again while it waits for an answer.
 * Returns whether it was handed out again.
 */
export function returnUndeliveredLease(store: ExecutionStore, now: number, tok: TokenPayload, queries: QueryBroker, out: Dispatch[]): boolean {
  const run = store.run();
  if (!run || run.run_id !== tok.r) return false;
  if (tok.k === "q") {
    if (!queries.get(tok.i)) return false;
    out.push(queryDispatch(run, tok.i));
    return true;
  }
  if (run.status !== "running") return false;
  if (tok.k === "w") {
    if (run.wt_state !== "started" || run.wt_acked !== 0 || run.wt_scheduled_event_id !== tok.i || run.wt_attempt !== tok.a) return false;
    store.append("workflow_task_timed_out", now, { scheduled_event_id: run.wt_scheduled_event_id });
    store.updateRun({ wt_state: "none", wt_started_at: null });
    scheduleWorkflowTask(store, now, out, run.wt_attempt);
    return true;
  }
  const row = store.activity(tok.i);
  if (!row || row.state !== "started" || row.acked !== 0 || row.attempt !== tok.a || row.lease !== (tok.l ?? 0)) return false;
  if (row.cancel_requested === 1) {
    cancelLostAttempt(store, now, row, out);
    return true;
  }
  // Past the bound the alarm's ack timeout judges it (a worker dying on it counts as a failure).
  if (row.lease - row.attempt >= MAX_LOST_DELIVERIES) return false;
  requeueAttempt(store, now, run, row, out);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Eager dispatch (Temporal's eager activity execution): a worker completing a task offers free
// slots, and the tasks its completion creates on its own queue are leased to it in the same write
// as the completion, returned in the response, and never queued. Everything else about them is
// what a polled task gets: token, lease number, ack and start-to-close timeouts, and the same
// history (activity_started / workflow_task_started with the worker's identity). A response lost
// on the wire loses nothing: the task is never acknowledged, so the delivery-ack timeout hands it
// out again, exactly as for a lost poll answer.

/** Tokens signed ahead of a workflow task completion, for the activities it may hand back (seq → token). */
export type EagerActivityTokens = Map<number, string>;

/**
 * Signs tokens for the first `slots` activities the commands schedule on the run's own task
 * queue, as they will be leased (attempt 1, lease 1). Empty when the run is not the token's.
 */
export async function signEagerActivities(store: ExecutionStore, env: Env, runId: string, commands: Command[], slots: number): Promise<EagerActivityTokens> {
  const tokens: EagerActivityTokens = new Map();
  const run = store.run();
  if (!run || run.run_id !== runId || run.status !== "running") return tokens;
  const secret = secretsFor(env).tokenSecret;
  for (const c of commands) {
    if (tokens.size >= slots) break;
    if (c.type !== "schedule_activity" || (c.options.task_queue ?? run.task_queue) !== run.task_queue) continue;
    tokens.set(c.seq, await signToken(secret, activityToken(run, c.seq, 1, 1)));
  }
  return tokens;
}

/**
 * After a completion's effects are written: leases the just-scheduled activities that `tokens`
 * were signed for (still attempt 1, never leased) to `identity`, and takes their dispatches out
 * of `pending` so they are never queued. Synchronous, so it is part of the completion's write.
 */
export function takeEagerActivities(store: ExecutionStore, at: number, pending: Dispatch[], tokens: EagerActivityTokens, identity: string): ActivityTask[] {
  const run = store.run();
  if (!run || run.status !== "running" || tokens.size === 0) return [];
  const tasks: ActivityTask[] = [];
  for (let i = 0; i < pending.length; ) {
    const d = pending[i]!;
    const token = d.kind === "activity" && d.executionId === run.execution_id && d.queue === run.task_queue && d.attempt === 1 ? tokens.get(d.ref) : undefined;
    const row = token === undefined ? null : store.activity(d.ref);
    if (token === undefined || !row || row.state !== "scheduled" || row.attempt !== 1 || row.lease !== 0) {
      i++;
      continue;
    }
    pending.splice(i, 1);
    // Available from the moment it was scheduled, which is now (what `available_at` says of a polled task).
    tasks.push({ ...recordActivityStart(store, at, run, row, token, identity), available_at: toRfc3339(at) });
  }
  return tasks;
}

/** A workflow task signed ahead of an activity completion: the id its scheduled event will get. */
export interface EagerWorkflowToken {
  scheduledEventId: number;
  token: string;
}

/**
 * Signs the workflow task an activity completion will schedule: when no workflow task is pending,
 * the completion appends activity_started, its outcome and workflow_task_scheduled, so the task's
 * event id is the next id + 2 (attempt 1). Null when the completion cannot lead to one: the
 * prediction is checked again by {@link takeEagerWorkflowTask}, so a wrong guess only means the
 * task is queued as usual. Only for activities on the run's own task queue (the queue the worker
 * polls is the queue the workflow task would go to).
 */
export async function signEagerWorkflowTask(store: ExecutionStore, env: Env, tok: TokenPayload): Promise<EagerWorkflowToken | null> {
  const run = store.run();
  const row = store.activity(tok.i);
  if (!run || run.run_id !== tok.r || run.status !== "running" || run.wt_state !== "none" || !row || row.state !== "started") return null;
  const queue = (JSON.parse(row.options) as { task_queue?: string }).task_queue ?? run.task_queue;
  if (queue !== run.task_queue) return null;
  const scheduledEventId = store.lastEventId() + 3;
  return { scheduledEventId, token: await signToken(secretsFor(env).tokenSecret, workflowToken(run, scheduledEventId, 1)) };
}

/**
 * After an activity completion is written: if it scheduled exactly the workflow task `signed`
 * names, leases it to `identity` (same write) and takes its dispatch out of `pending`.
 */
export function takeEagerWorkflowTask(store: ExecutionStore, at: number, pending: Dispatch[], signed: EagerWorkflowToken, identity: string): WorkflowTask | null {
  const run = store.run();
  if (!run || run.status !== "running" || run.wt_state !== "scheduled" || run.wt_scheduled_event_id !== signed.scheduledEventId || run.wt_attempt !== 1) return null;
  const i = pending.findIndex((d) => d.kind === "workflow" && d.executionId === run.execution_id && d.ref === signed.scheduledEventId);
  if (i < 0) return null;
  pending.splice(i, 1);
  return { ...recordWorkflowTaskStart(store, at, signed.token, identity), available_at: toRfc3339(at) };
}
