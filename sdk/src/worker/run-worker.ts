import { sleep } from "../client/backoff.ts";
import { isTransient } from "../client/errors.ts";
import { HttpTransport } from "../client/http.ts";
import { HANDED_BACK_FAILURE_TYPE } from "../protocol/failure.ts";
import type { ActivityTask, WorkflowTask } from "../protocol/tasks.ts";
import type { WorkflowState } from "../workflow/activate.ts";
import { WorkerApi } from "./api.ts";
import { startActivityTask, type InFlightActivity } from "./activity-runner.ts";
import { eagerDispatch } from "./eager.ts";
import { LruCache } from "./lru-cache.ts";
import { resolveWorkerOptions, type WorkerOptions } from "./options.ts";
import { pollLoop, Slots } from "./poller.ts";
import { buildRegistration, readRegistration, refreshRegistration, withShorthandHint, type WorkerRegistration } from "./registration.ts";
import { processWorkflowTask, type WorkflowTaskProgress } from "./workflow-runner.ts";

/** A running workflow task, as the worker tracks it for shutdown. */
interface InFlightWorkflowTask {
  readonly task: WorkflowTask;
  readonly progress: WorkflowTaskProgress;
  readonly stopLease: () => void;
  /** Settles once the task was processed and reported (never rejects). */
  readonly done: Promise<void>;
}

/** A running worker. */
export interface WorkerHandle {
  /** The identity the worker registered and polls with. */
  readonly identity: string;
  /**
   * Resolves once the registration was accepted, with its `conflicts`: workflows whose changed
   * schedules declared in code were kept back (another build's definition is in charge, or this
   * build registers the workflow on a task queue sorting before this worker's too; each also
   * logged as a warning); rejects if it was refused.
   */
  readonly ready: Promise<WorkerRegistration>;
  /**
   * Resolves when the worker has shut down gracefully; rejects with the error that stopped it (a
   * refused registration too, which `ready` also rejects with: handle both, or Node reports the
   * one left unobserved as an unhandled rejection).
   */
  readonly done: Promise<void>;
  /**
   * Stops polling, lets in-flight tasks finish for the grace period, then fails the activity and
   * workflow tasks still running with a retryable `WorkerShutdown` failure so another worker picks them up.
   * Rejects, as `done` does, when an error stopped the worker.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts a worker: registers its workflows (input JSON Schemas and code-declared schedules) and
 * activities, then long-polls workflow and activity tasks until shut down (SIGINT/SIGTERM, the
 * `signal` option, or `shutdown()`). Throws synchronously on invalid options or schedules.
 * @example
 * import { runWorker } from "@sundial/sdk/worker";
 * import { greet, hello } from "./workflows.ts";
 *
 * const worker = runWorker({ url: "http://127.0.0.1:8787", apiKey: process.env.SUNDIAL_API_KEY!, taskQueue: "default", workflows: [hello], activities: [greet] });
 * await worker.done;
 */
export function runWorker(options: WorkerOptions): WorkerHandle {
  const o = resolveWorkerOptions(options);
  const registration = buildRegistration(o);
  const { logger } = o;
  const api = new WorkerApi(new HttpTransport({ url: o.url, apiKey: o.apiKey, ...(o.fetch ? { fetch: o.fetch } : {}) }), logger, { ...o.backoff, attempts: 8 });
  const pollStop = new AbortController();
  const hardStop = new AbortController();
  const skipGrace = new AbortController();
  const activities = new Set<InFlightActivity>();
  const workflowTasks = new Set<InFlightWorkflowTask>();
  /** Hand-backs of tasks a completion leased to this worker after shutdown began (settle either way). */
  const handingBack = new Set<Promise<void>>();
  const cache = new LruCache<string, WorkflowState>(o.maxCachedWorkflows);
  const slots = new Slots(o.concurrency);
  const workflowSlots = new Slots(o.workflowConcurrency);
  let fatal: { error: unknown } | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let markReady: (registered: WorkerRegistration) => void = () => {};
  let markNotReady: (err: unknown) => void = () => {};
  const ready = new Promise<WorkerRegistration>((resolve, reject) => {
    markReady = resolve;
    markNotReady = reject;
  });
  // `done` carries the same error; an unobserved `ready` must not crash the process.
  ready.catch(() => {});

  const common = { api, taskQueue: o.taskQueue, identity: o.identity, waitSeconds: o.pollWaitSeconds, stop: pollStop.signal, backoff: o.backoff, logger };
  const onFatal = (error: unknown) => {
    fatal ??= { error };
    markNotReady(error);
    void shutdown().catch(() => {});
  };
  const eager = o.eagerDispatch
    ? eagerDispatch({
        taskQueue: o.taskQueue,
        activities: o.activities,
        workflows: o.workflows,
        activitySlots: slots,
        workflowSlots,
        accepting: () => !pollStop.signal.aborted,
        runActivity,
        runWorkflow,
        handBack,
        logger,
      })
    : undefined;
  const workflowDeps = { workflows: o.workflows, activities: o.activities, api, logger, cache, identity: o.identity, taskQueue: o.taskQueue, hardStop: hardStop.signal, ...(eager ? { eager } : {}) };
  const activityDeps = { activities: o.activities, api, logger, identity: o.identity, taskQueue: o.taskQueue, hardStop: hardStop.signal, ...(eager ? { eager } : {}) };

  /** Runs a workflow task (polled or handed back by a completion) on the slot `release` frees. */
  function runWorkflow(task: WorkflowTask, release: () => void): void {
    const stopLease = keepWorkflowTaskLeased(api, task.task_token);
    const progress: WorkflowTaskProgress = { reporting: false, abandoned: false };
    const done: Promise<void> = processWorkflowTask(task, workflowDeps, progress)
      .catch((err: unknown) => {
        if (!hardStop.signal.aborted) logger.error("workflow task could not be reported", { execution_id: task.execution_id, error: err });
      })
      .finally(() => {
        stopLease();
        workflowTasks.delete(entry);
        release();
      });
    const entry: InFlightWorkflowTask = { task, progress, stopLease, done };
    workflowTasks.add(entry);
  }

  /** Runs an activity task (polled or handed back by a completion) on the slot `release` frees. */
  function runActivity(task: ActivityTask, release: () => void): void {
    const stopAck = ackIfSlow(api, task.task_token);
    const entry = startActivityTask(task, activityDeps);
    activities.add(entry);
    void entry.done.finally(() => {
      stopAck();
      activities.delete(entry);
      release();
    });
  }

  /**
   * Hands back a task received after shutdown began: the eager tasks of a completion sent before,
   * answered after, or a poll's whose body was still arriving. Run, it would start work the grace period may not cover, and one arriving once
   * the grace period ran out would outlive the worker with its outcome never reported.
   */
  function handBack(task: ActivityTask | WorkflowTask): void {
    const failure = { message: `worker ${o.identity} was shutting down when the ${task.kind} task was handed to it`, type: HANDED_BACK_FAILURE_TYPE, non_retryable: false };
    const signal = AbortSignal.timeout(5_000);
    const sent: Promise<void> = (task.kind === "activity" ? api.failActivityTask(task.task_token, failure, signal) : api.failWorkflowTask(task.task_token, failure, signal))
      .then(
        () => undefined,
        (err: unknown) => logger.error(`could not hand back a ${task.kind} task at shutdown`, { execution_id: task.execution_id, error: err }),
      )
      .finally(() => handingBack.delete(sent));
    handingBack.add(sent);
  }

  /**
   * Runs a polled task, or hands it back when its poll was answered once shutdown began (its body
   * still arriving when the poll was aborted): the platform re-queues it at once, where dropped it
   * would wait out the 5 s delivery timeout. A query task is answered (read-only and quick).
   */
  function runPolled(task: ActivityTask | WorkflowTask, release: () => void): void {
    if (pollStop.signal.aborted && !(task.kind === "workflow" && task.query !== undefined)) {
      release();
      return handBack(task);
    }
    if (task.kind === "activity") runActivity(task, release);
    else runWorkflow(task, release);
  }

  const main = (async () => {
    const answer = await api.register(registration, pollStop.signal).catch((err: unknown) => {
      throw withShorthandHint(err, o, registration);
    });
    logger.info("worker registered", { identity: o.identity, task_queue: o.taskQueue, workflows: [...o.workflows.keys()], activities: [...o.activities.keys()] });
    const registered = readRegistration(answer, logger);
    markReady(registered);
    const loops: Promise<void>[] = [refreshRegistration(api, registration, o.registrationRefreshMs, registered, logger, pollStop.signal)];
    for (let i = 0; i < o.workflowPollers; i++) {
      loops.push(
        pollLoop({
          ...common,
          kind: "workflow",
          types: [...o.workflows.keys()],
          slots: workflowSlots,
          onFatal,
          onTask: async (task, release) => (task.kind === "workflow" ? runPolled(task, release) : release()),
        }),
      );
    }
    for (let i = 0; i < o.activityPollers; i++) {
      loops.push(
        pollLoop({
          ...common,
          kind: "activity",
          types: [...o.activities.keys()],
          slots,
          onFatal,
          onTask: async (task, release) => (task.kind === "activity" ? runPolled(task, release) : release()),
        }),
      );
    }
    await Promise.all(loops);
  })().catch((error: unknown) => {
    if (!pollStop.signal.aborted) onFatal(error);
  });

  async function drainInFlight(): Promise<void> {
    // Once the poll loops are done only a completion already sent can still hand a task back
    // (nothing more is offered), so wait until no task of either kind is left.
    const finished = main
      .then(async () => {
        while (activities.size > 0 || workflowTasks.size > 0 || handingBack.size > 0) await Promise.all([...[...activities, ...workflowTasks].map((t) => t.done), ...handingBack]);
      })
      .then(() => true);
    const expired = sleep(o.shutdownGraceMs, skipGrace.signal).then(
      () => false,
      () => false,
    );
    const inTime = await Promise.race([finished, expired]);
    skipGrace.abort();
    if (inTime) return;
    // Attempts still running are handed back (another worker gets the same attempt at once); those
    // already finished are reporting their outcome, which gets a few more seconds: handing one back
    // as well would run a finished activity again.
    // Workflow tasks still running (a slow step) are handed back too, their lease no longer renewed:
    // held by a stopped worker, the run would wait for the process to die and the task to time out.
    const left = [...activities].filter((entry) => !entry.finished);
    const leftTasks = [...workflowTasks].filter((entry) => !entry.progress.reporting && entry.task.query === undefined);
    const reporting = [...[...activities].filter((entry) => entry.finished), ...[...workflowTasks].filter((entry) => !leftTasks.includes(entry))];
    if (left.length > 0) logger.warn(`grace period over: handing back ${left.length} unfinished activity task(s)`, { identity: o.identity });
    if (leftTasks.length > 0) logger.warn(`grace period over: handing back ${leftTasks.length} unfinished workflow task(s)`, { identity: o.identity });
    // The report wait's timer is cleared once the race is decided: left running, it would keep the process alive after shutdown resolved.
    const reportWait = new AbortController();
    await Promise.all([
      Promise.race([Promise.all(reporting.map((entry) => entry.done)), sleep(REPORT_GRACE_MS, reportWait.signal).catch(() => {})]).finally(() => reportWait.abort()),
      ...leftTasks.map(async (entry) => {
        entry.progress.abandoned = true;
        entry.stopLease();
        const failure = { message: `worker ${o.identity} shut down before the workflow task finished`, type: HANDED_BACK_FAILURE_TYPE, non_retryable: false };
        await api.failWorkflowTask(entry.task.task_token, failure, AbortSignal.timeout(5_000)).catch((err: unknown) => {
          logger.error("could not hand back a workflow task at shutdown", { execution_id: entry.task.execution_id, error: err });
        });
      }),
      ...left.map(async (entry) => {
        const failure = { message: `worker ${o.identity} shut down before the activity finished`, type: HANDED_BACK_FAILURE_TYPE, non_retryable: false };
        entry.abandon(Object.assign(new Error(failure.message), { name: "WorkerShutdown" }));
        // Progress recorded since the last heartbeat goes first, as a failing attempt's does: the worker
        // taking the attempt over resumes from it. Bounded, a heartbeat under way included: the hand-back matters more.
        const flushed = AbortSignal.timeout(HEARTBEAT_FLUSH_MS);
        await Promise.race([entry.flushHeartbeat(flushed), new Promise((resolve) => flushed.addEventListener("abort", resolve, { once: true }))]);
        await api.failActivityTask(entry.task.task_token, failure, AbortSignal.timeout(5_000)).catch((err: unknown) => {
          logger.error("could not hand back an activity task at shutdown", { activity_type: entry.task.activity_type, error: err });
        });
      }),
    ]);
    // A completion answered while the above ran may have handed tasks back to hand back in turn, and
    // a poll whose answer was arriving when shutdown began may still be reading it (at most
    // POLL_BODY_GRACE_MS): the task it brings is handed back before shutdown resolves.
    await main;
    await Promise.all(handingBack);
  }

  function shutdown(): Promise<void> {
    shutdownPromise ??= (async () => {
      logger.info("worker shutting down", { identity: o.identity, in_flight_activities: activities.size });
      pollStop.abort(new Error("worker shutting down"));
      markNotReady(new Error("the worker shut down before its registration was accepted"));
      await drainInFlight();
      hardStop.abort(new Error("worker stopped"));
      removeListeners();
      logger.info("worker stopped", { identity: o.identity });
      if (fatal) throw fatal.error;
    })();
    return shutdownPromise;
  }

  let signalCount = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalCount++;
    if (signalCount === 1) {
      logger.info(`${signal} received: shutting down gracefully (send it again to skip the grace period)`);
      void shutdown().catch(() => {});
    } else {
      skipGrace.abort();
    }
  };
  const onAbort = () => void shutdown().catch(() => {});
  if (o.handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  function removeListeners(): void {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    o.signal?.removeEventListener("abort", onAbort);
  }

  const done = main.then(() => shutdown());
  return { identity: o.identity, ready, done, shutdown };
}

/**
 * The platform re-dispatches a leased task it has not heard about within 5 s (its poll's answer
 * may have gone to a worker that died). A task still running after ~1 s is acknowledged, so only
 * slow tasks pay the extra request; fast ones are acknowledged by their result.
 */
export const ACK_AFTER_MS = 1_000;

/** At a hand-back, how long the heartbeat details still waiting for their slot may take to be sent first. */
export const HEARTBEAT_FLUSH_MS = 2_000;

/** After the grace period, how long activities that finished may still take to report their outcome. */
export const REPORT_GRACE_MS = 5_000;

/** While a workflow task runs (its steps may be slow), it is acknowledged again this often: a third of the platform's 10 s workflow task timeout. */
export const WORKFLOW_TASK_RENEW_MS = 3_000;

/**
 * Acknowledges a workflow task that runs longer than ACK_AFTER_MS, then again every
 * WORKFLOW_TASK_RENEW_MS until it is done: each acknowledgement renews the workflow task timeout,
 * so steps (`ctx.step.run`) may take longer than it while this worker lives. Returns the stop.
 */
export function keepWorkflowTaskLeased(api: Pick<WorkerApi, "ack">, token: string): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      if (stopped) return;
      void api.ack(token).catch(() => {});
      schedule(WORKFLOW_TASK_RENEW_MS);
    }, ms);
    timer.unref?.();
  };
  schedule(ACK_AFTER_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Tries an acknowledgement gets within the platform's 5 s (at 1, 2, 3 and 4 s): one lost ack must not let the attempt run twice. */
export const ACK_TRIES = 4;

/**
 * Acknowledges an activity task still running after ACK_AFTER_MS, trying again each second while
 * the acknowledgement fails for a reason that may pass (a 503, a reset connection): the platform
 * hands an unacknowledged attempt to another worker after 5 s. Returns the stop.
 */
export function ackIfSlow(api: Pick<WorkerApi, "ack">, token: string): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const attempt = (n: number) => {
    timer = setTimeout(() => {
      if (stopped) return;
      api.ack(token).catch((err: unknown) => {
        if (!stopped && n + 1 < ACK_TRIES && isTransient(err)) attempt(n + 1);
      });
    }, ACK_AFTER_MS);
    timer.unref?.();
  };
  attempt(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
