import { describe, expect, it } from "vitest";
import type { ActivityTask, Command, WorkflowTask } from "@sundial/sdk/protocol";
import { SundialApiError } from "@sundial/sdk/client";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import { defineActivity, defineWorkflow, type WorkflowDefinition, type WorkflowState } from "@sundial/sdk/workflow";
import type { Completion, WorkerApi } from "../../../sdk/src/worker/api.ts";
import { startActivityTask } from "../../../sdk/src/worker/activity-runner.ts";
import { eagerDispatch, type EagerDispatch } from "../../../sdk/src/worker/eager.ts";
import { Slots } from "../../../sdk/src/worker/poller.ts";
import { processWorkflowTask } from "../../../sdk/src/worker/workflow-runner.ts";
import { HistoryBuilder } from "./helpers/history.ts";

const greet = defineActivity({ name: "greet", run: async (name: string) => `Hello, ${name}!` });
const fanOut = defineWorkflow({
  name: "fan_out",
  run: async (ctx, names: string[]) => Promise.all(names.map((n) => ctx.executeActivity(greet, n))),
});
const elsewhere = defineWorkflow({
  name: "elsewhere",
  run: async (ctx) => {
    const a = await ctx.executeActivity<string>("greet", "on another queue", { taskQueue: "other" });
    const b = await ctx.executeActivity<string>("unknown_type", "x");
    const c = await ctx.executeActivity(greet, "after the unknown one");
    return [a, b, c];
  },
});

type AnyWorkflow = WorkflowDefinition<any, any>;

const accepted = (extra: Partial<Completion> = {}): Completion => ({ outcome: "accepted", activityTasks: [], workflowTask: undefined, ...extra });

function activityTask(token: string, seq: number, workflow = "fan_out"): ActivityTask {
  return { kind: "activity", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow, activity_type: "greet", seq, input: "Ada", attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 30 };
}

function wfTask(token: string, workflow: string, input: unknown): WorkflowTask {
  return { kind: "workflow", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow, attempt: 1, history: new HistoryBuilder({ workflow, input }).task().build(), continue_as_new_suggested: false };
}

/** An EagerDispatch over real slots that records what it was asked to run. */
function harness(opts: { activitySlots?: number; workflowSlots?: number; accepting?: boolean } = {}) {
  const activitySlots = new Slots(opts.activitySlots ?? 10);
  const workflowSlots = new Slots(opts.workflowSlots ?? 10);
  const ran: { kind: string; token: string; release: () => void }[] = [];
  const handedBack: string[] = [];
  const eager = eagerDispatch({
    taskQueue: "default",
    activities: new Map([["greet", greet]]),
    workflows: new Map([
      ["fan_out", fanOut],
      ["elsewhere", elsewhere],
    ]),
    activitySlots,
    workflowSlots,
    accepting: () => opts.accepting ?? true,
    runActivity: (task, release) => ran.push({ kind: "activity", token: task.task_token, release }),
    runWorkflow: (task, release) => ran.push({ kind: "workflow", token: task.task_token, release }),
    handBack: (task) => handedBack.push(task.task_token),
    logger: silentWorkerLogger,
  });
  return { eager, activitySlots, workflowSlots, ran, handedBack };
}

function workflowDeps(api: WorkerApi, eager: EagerDispatch) {
  return { workflows: new Map<string, AnyWorkflow>([["fan_out", fanOut], ["elsewhere", elsewhere]]), api, logger: silentWorkerLogger, cache: new LruCache<string, WorkflowState>(10), identity: "w-1", taskQueue: "default", hardStop: new AbortController().signal, eager };
}

describe("Slots.tryAcquire", () => {
  it("takes a free slot without waiting, and none when all are taken", () => {
    const slots = new Slots(2);
    const a = slots.tryAcquire()!;
    expect(slots.tryAcquire()).not.toBeNull();
    expect(slots.tryAcquire()).toBeNull();
    a();
    a(); // idempotent
    expect(slots.available).toBe(1);
  });
});

describe("eager dispatch: workflow task completions", () => {
  it("offers one free activity slot per activity it schedules and runs the activity tasks handed back", async () => {
    const { eager, activitySlots, ran } = harness({ activitySlots: 10 });
    const sent: { commands: Command[]; eager: unknown }[] = [];
    const api = {
      completeWorkflowTask: async (_t: string, commands: Command[], _s: AbortSignal, offer: unknown) => {
        sent.push({ commands, eager: offer });
        return accepted({ activityTasks: [activityTask("a-1", 1), activityTask("a-2", 2)] });
      },
    } as unknown as WorkerApi;
    await processWorkflowTask(wfTask("t-1", "fan_out", ["Ada", "Bo", "Cy"]), workflowDeps(api, eager));
    expect(sent[0]!.commands).toHaveLength(3);
    expect(sent[0]!.eager).toEqual({ slots: 3, identity: "w-1" });
    // Two handed back: they run on two of the reserved slots; the third slot is free again.
    expect(ran.map((r) => r.token)).toEqual(["a-1", "a-2"]);
    expect(activitySlots.available).toBe(8);
    for (const r of ran) r.release();
    expect(activitySlots.available).toBe(10);
  });

  it("offers only the slots it has free", async () => {
    const { eager, activitySlots } = harness({ activitySlots: 2 });
    const held = activitySlots.tryAcquire()!;
    let offer: unknown = "not called";
    const api = {
      completeWorkflowTask: async (_t: string, _c: Command[], _s: AbortSignal, o: unknown) => {
        offer = o;
        return accepted();
      },
    } as unknown as WorkerApi;
    await processWorkflowTask(wfTask("t-1", "fan_out", ["Ada", "Bo", "Cy"]), workflowDeps(api, eager));
    expect(offer).toEqual({ slots: 1, identity: "w-1" });
    held();
    const none = harness({ activitySlots: 1 });
    const busy = none.activitySlots.tryAcquire()!;
    await processWorkflowTask(wfTask("t-2", "fan_out", ["Ada"]), workflowDeps(api, none.eager));
    expect(offer).toBeUndefined();
    busy();
  });

  it("counts only the leading activities on its own queue whose type it runs", () => {
    const { eager } = harness();
    const cmd = (seq: number, activity_type: string, task_queue?: string): Command => ({ type: "schedule_activity", seq, activity_type, input: null, options: task_queue ? { task_queue } : {} });
    // other queue: skipped (the platform skips it too); unknown type: stop, since the platform would hand it back.
    expect(eager.reserveActivitySlots([cmd(1, "greet", "other"), cmd(2, "greet"), cmd(3, "unknown_type"), cmd(4, "greet")])).toHaveLength(1);
    expect(eager.reserveActivitySlots([cmd(1, "greet", "default"), { type: "start_timer", seq: 1, duration: 5 }, cmd(2, "greet")])).toHaveLength(2);
    expect(eager.reserveActivitySlots([{ type: "complete_workflow", result: 1 }])).toEqual([]);
  });

  it("offers nothing while shutting down, and frees the slots when the completion fails", async () => {
    const stopping = harness({ accepting: false });
    expect(stopping.eager.reserveActivitySlots([{ type: "schedule_activity", seq: 1, activity_type: "greet", input: null, options: {} }])).toEqual([]);
    expect(stopping.eager.reserveWorkflowSlot("fan_out")).toBeNull();
    // Tasks leased in answer to an offer made before shutdown began are handed back, never run, and their slots freed.
    const offered = harness({ activitySlots: 2, workflowSlots: 1 });
    const reserved = offered.eager.reserveActivitySlots([1, 2].map((seq): Command => ({ type: "schedule_activity", seq, activity_type: "greet", input: null, options: {} })));
    const slot = offered.eager.reserveWorkflowSlot("fan_out")!;
    stopping.eager.runActivityTasks([activityTask("a-1", 1), activityTask("a-2", 2)], reserved);
    stopping.eager.runWorkflowTask(wfTask("wt-2", "fan_out", []), slot);
    expect(stopping.ran).toEqual([]);
    expect(stopping.handedBack).toEqual(["a-1", "a-2", "wt-2"]);
    expect([offered.activitySlots.available, offered.workflowSlots.available]).toEqual([2, 1]);

    const { eager, activitySlots } = harness({ activitySlots: 3 });
    const api = {
      completeWorkflowTask: async () => {
        throw new SundialApiError({ type: "about:blank", title: "Service Unavailable", status: 503, code: "unavailable", detail: "down" });
      },
    } as unknown as WorkerApi;
    await expect(processWorkflowTask(wfTask("t-1", "fan_out", ["Ada", "Bo"]), workflowDeps(api, eager))).rejects.toBeDefined();
    expect(activitySlots.available).toBe(3);
  });
});

describe("eager dispatch: activity completions", () => {
  const run = (task: ActivityTask, api: WorkerApi, eager: EagerDispatch) =>
    startActivityTask(task, { activities: new Map([["greet", greet]]), api, logger: silentWorkerLogger, taskQueue: "default", identity: "w-1", hardStop: new AbortController().signal, eager }).done;

  it("offers a free workflow task slot and runs the workflow task handed back on it", async () => {
    const { eager, workflowSlots, ran } = harness({ workflowSlots: 1 });
    let offer: unknown;
    const api = {
      completeActivityTask: async (_t: string, _r: unknown, _s: AbortSignal, o: unknown) => {
        offer = o;
        return accepted({ workflowTask: wfTask("wt-2", "fan_out", ["Ada"]) });
      },
    } as unknown as WorkerApi;
    await run(activityTask("a-1", 1), api, eager);
    expect(offer).toEqual({ identity: "w-1" });
    expect(ran.map((r) => [r.kind, r.token])).toEqual([["workflow", "wt-2"]]);
    expect(workflowSlots.available).toBe(0);
    ran[0]!.release();
    expect(workflowSlots.available).toBe(1);
  });

  it("offers no slot for a workflow it does not run or when none is free, and frees an unused one", async () => {
    const offers: unknown[] = [];
    const api = {
      completeActivityTask: async (_t: string, _r: unknown, _s: AbortSignal, o: unknown) => {
        offers.push(o);
        return accepted();
      },
    } as unknown as WorkerApi;
    const h = harness({ workflowSlots: 1 });
    await run(activityTask("a-1", 1, "not_mine"), api, h.eager);
    await run(activityTask("a-2", 2), api, h.eager); // offered, nothing handed back: the slot is freed
    expect(h.workflowSlots.available).toBe(1);
    const busy = h.workflowSlots.tryAcquire()!;
    await run(activityTask("a-3", 3), api, h.eager);
    busy();
    expect(offers).toEqual([undefined, { identity: "w-1" }, undefined]);
  });
});
