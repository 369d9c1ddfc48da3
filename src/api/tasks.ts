import { Hono, type Context } from "hono";
import type { z } from "zod";
import {
  CompleteActivityTaskRequest,
  CompleteWorkflowTaskRequest,
  FailActivityTaskRequest,
  FailWorkflowTaskRequest,
  AckTaskRequest,
  HeartbeatRequest,
  PollRequest,
  QueryResponseRequest,
  TaskHistoryRequest,
  toRfc3339,
} from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { verifyToken } from "../core/crypto.ts";
import { NotFoundError } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import type { TokenPayload } from "../objects/execution-types.ts";
import type { QueuedTask } from "../objects/task-queue-object.ts";
import { executionStub, partitionCount, partitionFor, taskQueueStub } from "../objects/names.ts";
import { unwrap } from "../objects/rpc.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { readJson } from "./validate.ts";
import { checkCommandInputs, checkPayloadSize } from "./workflow-input.ts";

/** /v1/workflows/tasks: what worker processes call (poll, complete, fail, heartbeat). */
export const taskRoutes = new Hono<AppEnv>();
taskRoutes.use("*", requireKind("worker"));

/**
 * With several partitions a poll holds on one partition at a time, for this long, then probes the
 * others again and moves on: a task that lands in a partition no poll is holding on waits at most
 * this long, not a whole poll.
 */
export const PARTITION_HOLD_SLICE_MS = 1_000;

/** A task whose run could not be reached when a poll took it goes back to its queue for this long first. */
export const PUT_BACK_DELAY_MS = 1_000;
/** Calls a poll makes to put a task it did not hand out back in its queue before leaving it to the run's dispatch timeout. */
const PUT_BACK_TRIES = 3;

/**
 * Hands back a lease whose answer could not be delivered (see ExecutionObject.returnUndelivered).
 * Never throws: if the run cannot be reached, the lease's 5 s delivery-ack timeout hands it out again.
 */
async function returnUndelivered(exec: ReturnType<typeof executionStub>, secret: string, token: string): Promise<void> {
  try {
    const payload = (await verifyToken(secret, token)) as TokenPayload | null;
    if (payload) await exec.returnUndelivered(payload);
  } catch (err) {
    console.warn("an undelivered lease could not be handed back; its delivery-ack timeout will", { error: String(err) });
  }
}

taskRoutes.post("/poll", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, PollRequest);
  const holdMs = Math.min(LIMITS.pollHoldMs, (body.wait_seconds ?? LIMITS.pollHoldMs / 1000) * 1000);
  // The hold is transport time (how long this request stays open), so it runs on the real clock.
  const deadline = Date.now() + holdMs;
  const partitions = partitionCount(c.env);
  let home = Math.floor(Math.random() * partitions);
  const queue = (partition: number) => taskQueueStub(c.env, p.namespace, body.task_queue, partition);
  const signal = c.req.raw.signal;
  const pollId = crypto.randomUUID();
  // What describe reports as this worker's last poll: when the poll began, not each partition slice or re-poll of it.
  const began = clock.now();
  // Only tasks this worker runs: the others wait in the queue for a worker that does.
  const types = body.types ?? null;
  // A worker that shuts down drops its poll: end the held poll so no task goes to nobody.
  const onAbort = () => void queue(home).cancelPoll(pollId).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  // Kept alive past a client that went away: a poll cut off mid-hold would leave its waiter in the
  // queue to take the next task for nobody (lost until the 60 s dispatch timeout); run to its end,
  // it ends the held poll (cancelPoll), puts back a task that came at that moment, or hands back
  // a lease the run recorded meanwhile (returnUndelivered).
  const work = holdPoll();
  c.executionCtx.waitUntil(work.catch(() => {}));
  return work;
  /**
   * Puts a task this poll took but never leased back in its queue (`delayMs` later), keeping when
   * it became available. Never throws: a put-back that keeps failing is logged, and the run's
   * dispatch timeout sends the task again (late, never lost).
   */
  async function putBack(task: QueuedTask, delayMs: number): Promise<void> {
    const back = delayMs > 0 ? { ...task, visible_at: clock.now() + delayMs } : task;
    for (let i = 1; ; i++) {
      try {
        return await queue(partitionFor(c.env, task.execution_id)).enqueue(back);
      } catch (err) {
        if (i >= PUT_BACK_TRIES) return console.error("a polled task could not be put back; its run's dispatch timeout sends it again", { execution_id: task.execution_id, kind: task.kind, error: String(err) });
        // A queue object restarting answers again within moments.
        await new Promise((r) => setTimeout(r, 100 * i));
      }
    }
  }
  /**
   * Takes a task from another partition without waiting. One partition that cannot be reached
   * (its object restarting, overloaded) fails no poll: it is skipped this round and probed again
   * the next, and its tasks wait there (its runs send them again if they are lost). The hold's
   * own failure still ends the poll (a 503), so a poll never spins on partitions that all fail.
   */
  async function probe(partition: number): Promise<QueuedTask | null> {
    try {
      return await queue(partition).poll(body.kind, 0, "", types, body.identity, began);
    } catch (err) {
      console.warn("a task queue partition could not be probed; skipped this round", { task_queue: body.task_queue, partition, error: String(err) });
      return null;
    }
  }
  async function holdPoll(): Promise<Response> {
    for (;;) {
      const remaining = Math.max(0, deadline - Date.now());
      if (signal.aborted) return c.body(null, 204);
      // Probe the other partitions without waiting, then hold on this poller's home partition.
      let task = null;
      for (let k = 1; k < partitions && !task; k++) task = await probe((home + k) % partitions);
      task ??= await queue(home).poll(body.kind, partitions > 1 ? Math.min(remaining, PARTITION_HOLD_SLICE_MS) : remaining, pollId, types, body.identity, began);
      if (!task) {
        if (partitions === 1 || Date.now() >= deadline) return c.body(null, 204);
        home = (home + 1) % partitions;
        continue;
      }
      if (signal.aborted) {
        // The poller left between the hand-off and now: put the task back at once.
        await putBack(task, 0);
        return c.body(null, 204);
      }
      const exec = executionStub(c.env, p.namespace, task.execution_id);
      let leased;
      try {
        // The poll's queue and types go along: the entry may be older than the run's task (see pollRuns).
        const scope = { queue: body.task_queue, types };
        leased = task.kind === "workflow" ? await exec.startWorkflowTask(task.ref, body.identity, task.available_at, scope) : await exec.startActivityTask(task.ref, task.attempt, body.identity, scope);
      } catch (err) {
        // The run could not be reached (its object reset or unreachable for a moment): no fault of this
        // worker, and nothing to do with the other tasks. Put the task back as it was (with when it
        // became available) instead of leaving it to the run's dispatch timeout, and keep waiting for
        // another task: a 5xx would make the worker back off from every task for one run's trouble.
        // The task waits a second there, so a run that keeps failing is not handed out again at once.
        console.warn("a polled task's run could not be reached; put back for a second", { execution_id: task.execution_id, kind: task.kind, error: String(err) });
        await putBack(task, PUT_BACK_DELAY_MS);
        leased = null;
      }
      if (leased && signal.aborted) {
        // The poller left while the run recorded the lease: the answer cannot reach it, so the
        // lease goes back at once instead of waiting out the 5 s delivery-ack timeout.
        await returnUndelivered(exec, c.get("secrets").tokenSecret, leased.task_token);
        return c.body(null, 204);
      }
      if (leased) return c.json(task.available_at === undefined ? leased : { ...leased, available_at: toRfc3339(task.available_at) });
      // A stale entry (already started elsewhere, or its run closed), or one put back: keep polling
      // (past the deadline the next probe does not wait, and ends the poll if it finds nothing).
    }
  }
});

/** Verifies a task token and checks it belongs to the caller's namespace (else 404: no cross-namespace probing). */
async function tokenFor(c: { get: (k: "principal" | "secrets") => unknown }, token: string, ...kinds: TokenPayload["k"][]): Promise<TokenPayload> {
  const secrets = c.get("secrets") as { tokenSecret: string };
  const principal = c.get("principal") as { namespace: string };
  const payload = (await verifyToken(secrets.tokenSecret, token)) as TokenPayload | null;
  if (!payload || payload.n !== principal.namespace || !kinds.includes(payload.k)) throw new NotFoundError("unknown task token", "task_not_found");
  return payload;
}

function stubFor(c: { env: AppEnv["Bindings"] }, tok: TokenPayload) {
  return executionStub(c.env, tok.n, tok.e);
}

type Body<S extends z.ZodType> = z.output<S>;

/** What an eager completion answers: tasks leased to the completing worker. */
type EagerAnswer = { activity_tasks?: { task_token: string }[]; workflow_task?: { task_token: string } };

/**
 * A completion's answer. When it offered eager slots and its client has gone by the time the
 * answer is ready (a worker shutting down, a request it gave up on), the tasks leased in it reach
 * nobody: they are handed back at once rather than after the 5 s delivery-ack timeout (the
 * client's retry of the completion is a duplicate, which carries no tasks). Kept alive past the
 * client's departure for that, as a poll is.
 */
function eagerAnswer<T extends EagerAnswer>(c: Context<AppEnv>, tok: TokenPayload, offered: boolean, completion: Promise<T>): Promise<T> {
  if (!offered) return completion;
  const work = completion.then(async (done) => {
    const leased = [...(done.activity_tasks ?? []), ...(done.workflow_task ? [done.workflow_task] : [])];
    if (c.req.raw.signal.aborted) for (const task of leased) await returnUndelivered(stubFor(c, tok), c.get("secrets").tokenSecret, task.task_token);
    return done;
  });
  c.executionCtx.waitUntil(work.catch(() => {}));
  return work;
}

/** Delivery acknowledgement: a leased task not acknowledged (or finished) within 5 s is handed out again. */
taskRoutes.post("/ack", async (c) => {
  const body = await readJson(c, AckTaskRequest);
  const secrets = c.get("secrets");
  const payload = (await verifyToken(secrets.tokenSecret, body.task_token)) as TokenPayload | null;
  if (!payload || payload.n !== c.get("principal").namespace) throw new NotFoundError("unknown task token", "task_not_found");
  return c.json(unwrap(await stubFor(c, payload).ackTask(payload)));
});

taskRoutes.post("/query/respond", async (c) => {
  const body = await readJson(c, QueryResponseRequest);
  checkPayloadSize(body.result, "result");
  checkPayloadSize(body.failure, "failure");
  const tok = await tokenFor(c, body.task_token, "q");
  return c.json(unwrap(await stubFor(c, tok).respondQuery(tok, body.result ?? null, body.failure)));
});

/** The events before a workflow or query task's history (which may carry only its newest events), in pages. */
taskRoutes.post("/workflow/history", async (c) => {
  const body = await readJson(c, TaskHistoryRequest);
  const tok = await tokenFor(c, body.task_token, "w", "q");
  const limit = Math.min(body.before_event_id - body.after_event_id - 1, LIMITS.maxHistoryEvents + 10);
  return c.json(unwrap(await stubFor(c, tok).history(body.after_event_id, limit, { runId: tok.r, beforeId: body.before_event_id })));
});

taskRoutes.post("/workflow/complete", async (c) => {
  const body: Body<typeof CompleteWorkflowTaskRequest> = await readJson(c, CompleteWorkflowTaskRequest);
  const tok = await tokenFor(c, body.task_token, "w");
  const keyId = c.get("principal").keyId;
  const eager = body.eager_activity_slots ? { slots: body.eager_activity_slots, identity: body.identity ?? keyId } : null;
  // Before anything is written: a refused continue-as-new input leaves the task leased to this
  // worker, as any refused command does; a refused child input fails that child's start, and a
  // child the command gives no queue or timeout takes its registered ones.
  const children = await checkCommandInputs(c.env.DB, tok.n, body.commands, async () => unwrap(await stubFor(c, tok).describe()).workflow);
  return c.json(await eagerAnswer(c, tok, eager !== null, stubFor(c, tok).completeWorkflowTask(tok, body.commands, keyId, eager, children).then(unwrap)));
});

taskRoutes.post("/workflow/fail", async (c) => {
  const body = await readJson(c, FailWorkflowTaskRequest);
  checkPayloadSize(body.failure, "failure");
  const tok = await tokenFor(c, body.task_token, "w");
  return c.json(unwrap(await stubFor(c, tok).failWorkflowTask(tok, body.failure, body.terminate_run ?? false)));
});

taskRoutes.post("/activity/complete", async (c) => {
  const body = await readJson(c, CompleteActivityTaskRequest);
  const tok = await tokenFor(c, body.task_token, "a");
  const eager = body.eager_workflow_task ? { identity: body.identity ?? c.get("principal").keyId } : null;
  return c.json(await eagerAnswer(c, tok, eager !== null, stubFor(c, tok).completeActivity(tok, body.result, eager).then(unwrap)));
});

taskRoutes.post("/activity/fail", async (c) => {
  const body = await readJson(c, FailActivityTaskRequest);
  checkPayloadSize(body.failure, "failure");
  const tok = await tokenFor(c, body.task_token, "a");
  return c.json(unwrap(await stubFor(c, tok).failActivity(tok, body.failure)));
});

taskRoutes.post("/activity/heartbeat", async (c) => {
  const body = await readJson(c, HeartbeatRequest);
  checkPayloadSize(body.details, "details");
  const tok = await tokenFor(c, body.task_token, "a");
  return c.json(unwrap(await stubFor(c, tok).heartbeat(tok, body.details)));
});
