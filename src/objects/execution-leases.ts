import { signToken } from "../core/crypto.ts";
import { LIMITS } from "../core/limits.ts";
import type { ActivityTask, WorkflowTask } from "@sundial/sdk/protocol";
import { secretsFor } from "../api/auth.ts";
import type { Env } from "../env.ts";
import type { TokenPayload } from "./execution-object.ts";
import type { QueryBroker } from "./execution-queries.ts";
import type { ExecutionStore } from "./execution-store.ts";

// Leasing a task: the queue entry only points here; these decide whether it is still current,
// record the start and mint the token. Each re-checks state after signing (an await), since
// another poll may have leased the same task meanwhile.

/** Leases the workflow task a queue entry refers to; null when the entry is stale. */
export async function leaseWorkflowTask(store: ExecutionStore, env: Env, now: () => number, scheduledEventId: number, identity: string): Promise<WorkflowTask | null> {
  const run = store.run();
  if (!run || run.status !== "running" || run.wt_state !== "scheduled" || run.wt_scheduled_event_id !== scheduledEventId) return null;
  const payload: TokenPayload = { n: run.namespace, e: run.execution_id, r: run.run_id, k: "w", i: scheduledEventId, a: run.wt_attempt };
  const token = await signToken(secretsFor(env).tokenSecret, payload);
  // Re-check after the await: another poll may have leased it meanwhile.
  const at = now();
  const fresh = store.run()!;
  if (fresh.wt_state !== "scheduled" || fresh.wt_scheduled_event_id !== scheduledEventId) return null;
  const suggest = store.eventCount() + 1 >= LIMITS.continueAsNewSuggestedEvents;
  // Recorded, so a workflow that branches on the suggestion replays the same way.
  store.append("workflow_task_started", at, { scheduled_event_id: scheduledEventId, identity, suggest_continue_as_new: suggest });
  store.updateRun({ wt_state: "started", wt_started_at: at, wt_acked: 0 });
  const history = store.events(0, LIMITS.maxHistoryEvents + 10);
  return {
    kind: "workflow",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    attempt: run.wt_attempt,
    history,
    continue_as_new_suggested: suggest,
    updates: store.updatesIn("requested").map((u) => ({ update_id: u.update_id, name: u.name, input: JSON.parse(u.input) })),
  };
}

/** A query task: the whole history to replay read-only, and the query to answer. */
export async function leaseQueryTask(store: ExecutionStore, env: Env, queries: QueryBroker, ref: number): Promise<WorkflowTask | null> {
  const run = store.run();
  const q = queries.get(ref);
  if (!run || !q) return null;
  const token = await signToken(secretsFor(env).tokenSecret, { n: run.namespace, e: run.execution_id, r: run.run_id, k: "q", i: ref, a: 0 } satisfies TokenPayload);
  return {
    kind: "workflow",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    attempt: 1,
    history: store.events(0, LIMITS.maxHistoryEvents + 10),
    continue_as_new_suggested: false,
    query: { query_id: String(-ref), name: q.name, input: q.input },
  };
}

export async function leaseActivityTask(store: ExecutionStore, env: Env, now: () => number, seq: number, attempt: number, identity: string): Promise<ActivityTask | null> {
  const run = store.run();
  const row = store.activity(seq);
  if (!run || run.status !== "running" || !row || row.state !== "scheduled" || row.attempt !== attempt) return null;
  const lease = row.lease + 1;
  const token = await signToken(secretsFor(env).tokenSecret, { n: run.namespace, e: run.execution_id, r: run.run_id, k: "a", i: seq, a: attempt, l: lease } satisfies TokenPayload);
  const fresh = store.activity(seq);
  if (!fresh || fresh.state !== "scheduled" || fresh.attempt !== attempt || fresh.lease !== row.lease) return null;
  const at = now();
  store.updateActivity(seq, { state: "started", started_at: at, last_heartbeat_at: at, identity, acked: 0, lease });
  const options = JSON.parse(row.options) as { heartbeat_timeout?: number; start_to_close_timeout: number };
  return {
    kind: "activity",
    task_token: token,
    execution_id: run.execution_id,
    run_id: run.run_id,
    workflow: run.workflow,
    activity_type: row.activity_type,
    seq,
    input: JSON.parse(row.input),
    attempt,
    heartbeat_timeout: options.heartbeat_timeout ?? null,
    start_to_close_timeout: options.start_to_close_timeout,
    ...(row.heartbeat_details !== null ? { heartbeat_details: JSON.parse(row.heartbeat_details) } : {}),
  };
}
