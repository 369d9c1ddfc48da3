import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SundialClient } from "@sundial/sdk/client";
import { api, uid } from "./helpers.ts";
import { completeRun } from "./schedule-helpers.ts";
import { sdkClient } from "./sdk-worker.ts";

// Every client call that sends a request takes `{ signal }`: aborting it rejects the call with the
// signal's reason, ending the request in flight and any wait between retries. Real requests to the
// Worker in workerd; only the moment of the abort is chosen by the test.

const client = sdkClient();

/**
 * Runs `call` with a signal that aborts as soon as its request has been handed to the Worker, so the
 * abort meets the request in flight. Answers what the call settled with and how many requests it sent.
 */
async function abortedInFlight(call: (c: SundialClient, signal: AbortSignal) => Promise<unknown>) {
  const ac = new AbortController();
  const reason = new Error("the caller gave up");
  let sent = 0;
  const c = sdkClient((send) => ((input: RequestInfo | URL, init?: RequestInit) => {
    sent++;
    const answer = send(input, init);
    ac.abort(reason);
    return answer;
  }) as typeof fetch);
  const settled = await call(c, ac.signal).then((value) => ({ resolved: value }), (err: unknown) => err);
  return { settled, reason, sent };
}

/** One of each thing the calls below act on: a run with a completed workflow task, a schedule, a key, a registered workflow. */
async function fixtures() {
  const queue = uid("q-abort");
  const executionId = uid("abort-exec");
  await client.executions.start("abort-wf", { executionId, taskQueue: queue });
  await completeRun(queue, executionId, []);
  const { events } = await client.executions.history(executionId);
  const resetPoint = events.filter((e) => e.type === "workflow_task_completed").at(-1)!.id;
  const { scheduleId } = await client.schedules.create({ workflow: "abort-sched", key: uid("k"), cron: "0 * * * *", taskQueue: queue });
  const { keyId } = await client.keys.create({ kind: "app", description: "abort test" });
  const workflow = uid("abort-type");
  const registered = await api("POST", "/v1/workflows/workers/register", { identity: "abort-test", task_queue: queue, workflows: [{ name: workflow }], activities: [] });
  expect(registered.status).toBe(200);
  return { queue, executionId, resetPoint, scheduleId, keyId, workflow };
}

type Fixtures = Awaited<ReturnType<typeof fixtures>>;
type Call = (c: SundialClient, signal: AbortSignal, f: Fixtures) => Promise<unknown>;

const calls: [string, Call][] = [
  ["whoami", (c, signal) => c.whoami({ signal })],
  ["health", (c, signal) => c.health({ signal })],
  ["executions.start", (c, signal, f) => c.executions.start("abort-wf", { executionId: uid("abort-start"), taskQueue: f.queue, signal })],
  ["executions.execute", (c, signal, f) => c.executions.execute("abort-wf", { taskQueue: f.queue, waitSeconds: 1, signal })],
  ["executions.get", (c, signal, f) => c.executions.get(f.executionId, { signal })],
  ["executions.result", (c, signal, f) => c.executions.result(f.executionId, { waitSeconds: 1, signal })],
  ["executions.list", (c, signal) => c.executions.list({ workflow: "abort-wf", signal })],
  ["executions.listAll", (c, signal) => c.executions.listAll({ workflow: "abort-wf", signal }).next()],
  ["executions.history", (c, signal, f) => c.executions.history(f.executionId, { signal })],
  ["executions.signal", (c, signal, f) => c.executions.signal(f.executionId, "go", 1, { signal })],
  ["executions.signalWithStart", (c, signal, f) => c.executions.signalWithStart("abort-wf", { executionId: f.executionId, taskQueue: f.queue, signalName: "go", signal })],
  ["executions.query", (c, signal, f) => c.executions.query(f.executionId, "state", undefined, { timeout: 1, signal })],
  ["executions.update", (c, signal, f) => c.executions.update(f.executionId, "set", 1, { waitSeconds: 1, signal })],
  ["executions.reset", (c, signal, f) => c.executions.reset(f.executionId, { eventId: f.resetPoint, reason: "abort test", signal })],
  ["executions.cancel", (c, signal, f) => c.executions.cancel(f.executionId, "abort test", { signal })],
  ["executions.terminate", (c, signal, f) => c.executions.terminate(f.executionId, "abort test", { signal })],
  ["schedules.create", (c, signal, f) => c.schedules.create({ workflow: "abort-sched", key: uid("k"), cron: "0 * * * *", taskQueue: f.queue, signal })],
  ["schedules.get", (c, signal, f) => c.schedules.get(f.scheduleId, { signal })],
  ["schedules.list", (c, signal) => c.schedules.list({ workflow: "abort-sched", signal })],
  ["schedules.listAll", (c, signal) => c.schedules.listAll({ workflow: "abort-sched", signal }).next()],
  ["schedules.update", (c, signal, f) => c.schedules.update(f.scheduleId, { note: "abort test" }, { signal })],
  ["schedules.pause", (c, signal, f) => c.schedules.pause(f.scheduleId, "abort test", { signal })],
  ["schedules.resume", (c, signal, f) => c.schedules.resume(f.scheduleId, "abort test", { signal })],
  ["schedules.trigger", (c, signal, f) => c.schedules.trigger(f.scheduleId, { signal })],
  ["schedules.backfill", (c, signal, f) => c.schedules.backfill(f.scheduleId, { startAt: new Date(Date.now() - 7_200_000), endAt: new Date(), signal })],
  ["schedules.preview", (c, signal) => c.schedules.preview({ cron: "0 9 * * *" }, { signal })],
  ["schedules.delete", (c, signal, f) => c.schedules.delete(f.scheduleId, { signal })],
  ["keys.create", (c, signal) => c.keys.create({ kind: "app", signal })],
  ["keys.list", (c, signal) => c.keys.list({ signal })],
  ["keys.listAll", (c, signal) => c.keys.listAll({ signal }).next()],
  ["keys.revoke", (c, signal, f) => c.keys.revoke(f.keyId, { signal })],
  ["workflows.get", (c, signal, f) => c.workflows.get(f.workflow, { signal })],
  ["workflows.list", (c, signal) => c.workflows.list({ signal })],
  ["workflows.listAll", (c, signal) => c.workflows.listAll({ signal }).next()],
  ["taskQueues.describe", (c, signal) => c.taskQueues.describe("default", { signal })],
];

describe("every client call takes { signal }", () => {
  it("an abort while the request is in flight rejects the call with the signal's reason, for every call", async () => {
    const f = await fixtures();
    for (const [name, call] of calls) {
      const { settled, reason, sent } = await abortedInFlight((c, signal) => call(c, signal, f));
      expect(settled, name).toBe(reason);
      expect(sent, name).toBe(1);
    }
  });

  it("an already aborted signal sends nothing", async () => {
    const f = await fixtures();
    for (const [name, call] of calls) {
      let sent = 0;
      const c = sdkClient((send) => ((input: RequestInfo | URL, init?: RequestInit) => (sent++, send(input, init))) as typeof fetch);
      const reason = new Error("aborted before the call");
      await expect(call(c, AbortSignal.abort(reason), f), name).rejects.toBe(reason);
      expect(sent, name).toBe(0);
    }
  });
});

describe("aborting a call that waits", () => {
  it.each<[string, (id: string, signal: AbortSignal) => Promise<unknown>]>([
    ["result, during its long poll", (id, signal) => client.executions.result(id, { waitSeconds: 30, signal })],
    ["query, while the platform waits for a worker to answer", (id, signal) => client.executions.query(id, "state", undefined, { timeout: 30, signal })],
  ])("%s: an abort ends the held request at once", async (_, call) => {
    const id = uid("abort-held");
    await client.executions.start("abort-wf", { executionId: id, taskQueue: uid("q-abort-held") });
    const ac = new AbortController();
    const reason = new Error("stop waiting");
    const began = Date.now();
    setTimeout(() => ac.abort(reason), 300);
    await expect(call(id, ac.signal)).rejects.toBe(reason);
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it("execute: an abort during the Retry-After wait after a 503 ends the wait, and nothing is sent again", async () => {
    // A real D1 failure: the registrations a start checks its input against are renamed away, so the
    // start is a 503 index_unavailable with Retry-After: 1.
    await env.DB.exec("ALTER TABLE workflow_types RENAME TO workflow_types_offline");
    try {
      const ac = new AbortController();
      const reason = new Error("stop retrying");
      const answers: number[] = [];
      let abortedAt = 0;
      const c = sdkClient((send) => (async (input: RequestInfo | URL, init?: RequestInit) => {
        const res = await send(input, init);
        answers.push(res.status);
        setTimeout(() => {
          abortedAt = Date.now();
          ac.abort(reason);
        }, 100);
        return res;
      }) as typeof fetch);
      await expect(c.executions.execute(uid("abort-wf"), { signal: ac.signal })).rejects.toBe(reason);
      expect(answers).toEqual([503]);
      expect(Date.now() - abortedAt).toBeLessThan(500); // not the 1 s the platform asked for
    } finally {
      await env.DB.exec("ALTER TABLE workflow_types_offline RENAME TO workflow_types");
    }
  });
});
