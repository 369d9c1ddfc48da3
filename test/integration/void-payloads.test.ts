import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActivityTask, WorkflowTask } from "@sundial/sdk/protocol";
import { defineActivity, defineWorkflow, type AnyActivityDefinition, type WorkflowDefinition } from "@sundial/sdk/workflow";
import { processWorkflowTask } from "../../sdk/src/worker/workflow-runner.ts";
import { startActivityTask } from "../../sdk/src/worker/activity-runner.ts";
import { api, uid } from "./helpers.ts";
import { sdkClient, sdkWorker } from "./sdk-worker.ts";
import { buildRegistration } from "../../sdk/src/worker/registration.ts";
import { resolveWorkerOptions } from "../../sdk/src/worker/options.ts";

// A user's `undefined` (a function that returns nothing, an optional argument left out) crossing
// the wire between the SDK and the platform, end to end: real SDK client, workflow and activity
// runners against this Worker. JSON has no `undefined`, so "nothing" travels as null; what matters
// is that every such call completes, and that the workflow sees the same value live and on replay.

/** How a value reads in a result: `undefined` survives JSON as a string. */
const show = (v: unknown) => (v === undefined ? "undefined" : v);

const noop = defineActivity({ name: "void-noop", run: async () => {} });
const beat = defineActivity({
  name: "void-beat",
  run: async (_input: unknown, ctx) => {
    ctx.heartbeat();
    return { details: show(ctx.info.heartbeatDetails) };
  },
});
const optionalInput = defineActivity({ name: "void-optional-input", input: z.string().optional(), run: async (s: string | undefined) => show(s) });

const voidChild = defineWorkflow({ name: "void-child", run: async () => {} });

/** Everything "nothing": each value it saw, also as a query answers it after a full replay. */
const voidParent = defineWorkflow({
  name: "void-parent",
  activities: [noop, beat, optionalInput],
  run: async (ctx, input: unknown) => {
    const seen: Record<string, unknown> = { input: show(input) };
    const pokes: unknown[] = [];
    const updates: unknown[] = [];
    ctx.setQueryHandler("nothing", () => undefined);
    ctx.setQueryHandler("input", (x: unknown) => ({ got: show(x) }));
    ctx.setQueryHandler("seen", () => ({ ...seen, pokes, updates }));
    ctx.setSignalHandler("poke", (x: unknown) => void pokes.push(show(x)));
    ctx.setUpdateHandler("touch", (x: unknown) => void updates.push(show(x)), { validator: (x: unknown) => {
      if (x !== null) throw new Error(`the validator got ${String(show(x))}`);
    } });
    seen.activity = show(await ctx.executeActivity(noop, undefined));
    seen.step = show(await ctx.step.run("nothing", () => undefined));
    seen.asyncStep = show(await ctx.step.run("nothing-async", async () => {}));
    seen.child = show(await ctx.executeChildWorkflow(voidChild, undefined));
    seen.beat = await ctx.executeActivity("void-beat");
    seen.optional = show(await ctx.executeActivity(optionalInput, undefined));
    seen.branch = (await ctx.step.run("branch", () => undefined)) === undefined ? "was undefined" : "was null";
    await ctx.waitCondition(() => pokes.length >= 1 && updates.length >= 1);
    return { ...seen, pokes, updates };
  },
});

/** Returns the input it got. */
const echo = defineWorkflow({ name: "void-echo", run: async (_ctx, input: unknown) => show(input) });
/** Returns the input it got once poked (signal-with-start). */
const poked = defineWorkflow({
  name: "void-poked",
  run: async (ctx, input: unknown) => {
    const pokes: unknown[] = [];
    ctx.setSignalHandler("poke", (x: unknown) => void pokes.push(show(x)));
    await ctx.waitCondition(() => pokes.length > 0);
    return { input: show(input), pokes };
  },
});
/** Run 1 continues as new without input; run 2 returns what it got. */
const again = defineWorkflow({
  name: "void-again",
  run: async (ctx, input: { first: boolean } | null) => (input?.first ? ctx.continueAsNew(undefined) : show(input)),
});
/** An input that may be left out. */
const optional = defineWorkflow({ name: "void-optional", input: z.object({ n: z.number() }).optional(), run: async (_ctx, input) => show(input) });

/** An input left out written the union way (an object or undefined). */
const unionOptional = defineWorkflow({ name: "void-union-optional", input: z.union([z.object({ n: z.number() }), z.undefined()]), run: async (_ctx, input) => show(input) });
/** Declares a schedule in code without input: its registration checks that input against the schema. */
/** A workflow that takes no input: z.void() registers as null (it was {}, any value). */
const noInput = defineWorkflow({ name: "void-no-input", input: z.void(), run: async (_ctx, input) => show(input) });
const optionalScheduled = defineWorkflow({ name: "void-optional-scheduled", input: z.object({ n: z.number() }).optional(), schedule: "0 0 1 1 *", run: async (_ctx, input) => show(input) });
/** Run 1 continues as new without input, which its optional schema takes; run 2 returns what it got. */
const optionalAgain = defineWorkflow({
  name: "void-optional-again",
  input: z.object({ first: z.boolean() }).optional(),
  run: async (ctx, input) => (input?.first ? ctx.continueAsNew(undefined) : show(input)),
});
/** Throws what its input names: a string, undefined or null, not an Error. */
const thrower = defineWorkflow({
  name: "void-thrower",
  run: async (_ctx, input: { throw: "string" | "undefined" | "null" }) => {
    throw input.throw === "string" ? "x" : input.throw === "null" ? null : undefined;
  },
});
const throwingActivity = defineActivity({
  name: "void-throwing-activity",
  options: { retry: { maximumAttempts: 1 } },
  run: async () => {
    throw undefined;
  },
});
/** Calls the activity that throws undefined and returns how its failure reads. */
const callsThrower = defineWorkflow({
  name: "void-calls-thrower",
  activities: [throwingActivity],
  run: async (ctx) => {
    try {
      await ctx.executeActivity(throwingActivity, undefined);
      return "no failure";
    } catch (err) {
      const cause = (err as Error).cause as Error;
      return { error: (err as Error).name, cause: cause.message, type: cause.name };
    }
  },
});

type Deps = ReturnType<typeof sdkWorker>;
const activityDeps = (deps: Deps, activities: AnyActivityDefinition[]) => ({
  activities: new Map(activities.map((a) => [a.name, a])),
  api: deps.api,
  logger: deps.logger,
  taskQueue: deps.taskQueue,
  identity: deps.identity,
  hardStop: deps.hardStop,
});

/** Runs every workflow and activity task queued on the worker's queue until none is left. */
async function drain(deps: Deps, activities: AnyActivityDefinition[]): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: deps.taskQueue, kind: "workflow", identity: deps.identity, wait_seconds: 0 });
    if (wt.status === 200) {
      idle = 0;
      await processWorkflowTask(wt.body as WorkflowTask, deps);
      continue;
    }
    const at = await api("POST", "/v1/workflows/tasks/poll", { task_queue: deps.taskQueue, kind: "activity", identity: deps.identity, wait_seconds: 0 });
    if (at.status === 200) {
      idle = 0;
      await startActivityTask(at.body as ActivityTask, activityDeps(deps, activities)).done;
      continue;
    }
    idle++;
  }
}

/** Drains the queue until `call` settles (a query or an update waits for a worker). */
async function whileDraining<T>(deps: Deps, activities: AnyActivityDefinition[], call: Promise<T>): Promise<T> {
  let settled = false;
  const watched = call.finally(() => (settled = true));
  for (let i = 0; i < 200 && !settled; i++) {
    await drain(deps, activities);
    await new Promise((r) => setTimeout(r, 5));
  }
  return watched;
}

const history = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history`)).body.events as ({ type: string } & Record<string, unknown>)[];

function setUp(workflows: WorkflowDefinition[]) {
  const queue = uid("void-q");
  const deps = sdkWorker(queue, workflows, "void-worker");
  return { queue, deps, client: sdkClient() };
}

describe("nothing on the wire (undefined between the SDK and the platform)", () => {
  it("a run that passes nothing everywhere completes, and sees the same values on replay", async () => {
    const { queue, deps, client } = setUp([voidParent, voidChild]);
    const acts = [noop, beat, optionalInput];
    const started = await client.executions.start(voidParent, { taskQueue: queue });
    const id = started.executionId;
    await drain(deps, acts);
    expect(await whileDraining(deps, acts, client.executions.query(id, "nothing"))).toBeNull();
    expect(await whileDraining(deps, acts, client.executions.query(id, "input"))).toEqual({ got: null });
    await client.executions.signal(id, "poke");
    expect(await whileDraining(deps, acts, client.executions.update(id, "touch"))).toBeNull();
    await drain(deps, acts);
    const outcome = await client.executions.result(id, { timeout: "5s" });
    expect(outcome.failure).toBeNull();
    expect(outcome).toMatchObject({ status: "completed" });
    const live = outcome.result as Record<string, unknown>;
    expect(live).toEqual({
      input: null,
      activity: null,
      step: null,
      asyncStep: null,
      child: null,
      beat: { details: "undefined" },
      optional: "undefined",
      branch: "was null",
      pokes: [null],
      updates: [null],
    });
    // A query replays the whole history in a fresh instance: the values it saw must be the same.
    expect(await whileDraining(deps, acts, client.executions.query(id, "seen"))).toEqual(live);
    expect((await history(id)).filter((e) => e.type === "workflow_task_failed")).toEqual([]);
  });
});

describe("starts without input", () => {
  const workflows = [echo, poked, again, optional, optionalAgain, unionOptional];

  it("execute, signal-with-start and continue-as-new without input: the run gets null", async () => {
    const { queue, deps, client } = setUp(workflows);
    expect(await whileDraining(deps, [], client.executions.execute(echo, { taskQueue: queue, timeout: "10s", waitSeconds: 1 }))).toMatchObject({ status: "completed", result: null });
    const sws = await client.executions.signalWithStart(poked, { executionId: uid("sws"), taskQueue: queue, signalName: "poke" });
    await drain(deps, []);
    expect(await client.executions.result(sws.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: { input: null, pokes: [null] } });
    const started = await client.executions.start(again, { taskQueue: queue, input: { first: true } });
    await drain(deps, []);
    expect(await client.executions.result(started.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: null });
  });

  it("a schedule created and triggered without input starts its run with null", async () => {
    const { queue, deps, client } = setUp(workflows);
    const created = await client.schedules.create({ workflow: echo, key: uid("k"), taskQueue: queue, cronExpressions: ["0 0 1 1 *"], paused: true });
    expect((await client.schedules.trigger(created.scheduleId)).outcome).toBe("started");
    const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "void-worker", wait_seconds: 1 });
    expect(wt.status).toBe(200);
    expect(wt.body.history[0]).toMatchObject({ type: "execution_started", input: null });
    await processWorkflowTask(wt.body as WorkflowTask, deps);
    expect(await client.executions.result(wt.body.execution_id, { timeout: "5s" })).toMatchObject({ status: "completed", result: null });
    // A trigger without input runs with the schedule's own input; null is an input like any other.
    const withInput = await client.schedules.create({ workflow: echo, key: uid("k"), taskQueue: queue, cronExpressions: ["0 0 1 1 *"], paused: true, input: { a: 1 } });
    for (const [options, expected] of [[{}, { a: 1 }], [{ input: null }, null]] as const) {
      expect((await client.schedules.trigger(withInput.scheduleId, { ...options, overlap: "ALLOW_ALL" })).outcome).toBe("started");
      const next = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "void-worker", wait_seconds: 1 });
      expect(next.body.history[0]).toMatchObject({ type: "execution_started", input: expected });
    }
  });

  it("a workflow whose input schema is optional registers a code schedule without input, starts without input (start, schedule, continue-as-new) and runs with undefined", async () => {
    const { queue, deps, client } = setUp(workflows);
    const registration = buildRegistration(resolveWorkerOptions({ url: "http://sundial.test", apiKey: "unused", taskQueue: queue, identity: "void-worker", workflows: [...workflows, optionalScheduled] }));
    const registered = await api("POST", "/v1/workflows/workers/register", registration);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    const started = await client.executions.start(optional, { taskQueue: queue });
    await drain(deps, []);
    expect(await client.executions.result(started.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: "undefined" });
    const created = await client.schedules.create({ workflow: optional, key: uid("k"), taskQueue: queue, cronExpressions: ["0 0 1 1 *"], paused: true });
    expect((await client.schedules.trigger(created.scheduleId)).outcome).toBe("started");
    await drain(deps, []);
    const continued = await client.executions.start(optionalAgain, { taskQueue: queue, input: { first: true } });
    await drain(deps, []);
    expect(await client.executions.result(continued.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: "undefined" });
    // The union way: left out runs with undefined, and the platform still checks a given input.
    const fromUnion = await client.executions.start(unionOptional, { taskQueue: queue });
    await drain(deps, []);
    expect(await client.executions.result(fromUnion.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: "undefined" });
    await expect(client.executions.start(unionOptional, { taskQueue: queue, input: { n: "one" } as never })).rejects.toMatchObject({ status: 422, code: "invalid_input" });
    // The run passed its schema check (a failed run would read "failed").
    expect((await client.schedules.get(created.scheduleId)).recentActions).toContainEqual(expect.objectContaining({ kind: "trigger", outcome: "completed" }));
  });
});

describe("a workflow whose input is z.void()", () => {
  it("starts without input and runs with undefined; a start with an input is a 422 at the platform, not a run failing at the worker", async () => {
    const { queue, deps, client } = setUp([noInput]);
    const registration = buildRegistration(resolveWorkerOptions({ url: "http://sundial.test", apiKey: "unused", taskQueue: queue, identity: "void-worker", workflows: [noInput] }));
    expect((await api("POST", "/v1/workflows/workers/register", registration)).status).toBe(200);
    const started = await client.executions.start(noInput, { taskQueue: queue });
    await drain(deps, []);
    expect(await client.executions.result(started.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: "undefined" });
    await expect(client.executions.start(noInput, { taskQueue: queue, input: { x: 1 } as never })).rejects.toMatchObject({ status: 422, code: "invalid_input" });
  });
});

describe("failures that are not Errors", () => {
  it("a workflow that throws a string, undefined or null fails with it as the message; an activity that throws undefined fails its call", async () => {
    const { queue, deps, client } = setUp([thrower, callsThrower]);
    const ids: Record<string, string> = {};
    for (const what of ["string", "undefined", "null"] as const) ids[what] = (await client.executions.start(thrower, { taskQueue: queue, input: { throw: what } })).executionId;
    const caller = await client.executions.start(callsThrower, { taskQueue: queue });
    await drain(deps, [throwingActivity]);
    for (const [what, message] of [["string", "x"], ["undefined", "undefined"], ["null", "null"]] as const) {
      expect(await client.executions.result(ids[what]!, { timeout: "5s" })).toMatchObject({ status: "failed", failure: { message, type: "Error" } });
      expect((await history(ids[what]!)).filter((e) => e.type === "workflow_task_failed")).toEqual([]);
    }
    expect(await client.executions.result(caller.executionId, { timeout: "5s" })).toMatchObject({ status: "completed", result: { error: "ActivityFailure", cause: "undefined" } });
  });
});
