import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ActivityTask } from "@sundial/sdk/protocol";
import { defineActivity, type AnyActivityDefinition } from "@sundial/sdk/workflow";
import { startActivityTask } from "../../sdk/src/worker/activity-runner.ts";
import { clock } from "../../src/clock.ts";
import { activityScheduled, poll } from "./helpers.ts";
import { sdkWorker } from "./sdk-worker.ts";

// ctx.heartbeat(details) is throttled (one request per interval, the poll counting as the first),
// so details recorded shortly before an attempt fails were still waiting for their slot, and the
// retry resumed from older progress (or none): the README promises the retry the details.

/** Processes a batch: the first attempt gets to item 100, says so, and crashes on item 101. */
const batch = defineActivity({
  name: "hb-batch",
  run: async (_input: unknown, ctx) => {
    if (ctx.attempt === 1) {
      ctx.heartbeat({ cursor: 100 });
      throw new Error("crashed at item 101");
    }
    return ctx.info.heartbeatDetails ?? "no details";
  },
});

async function runActivity(task: ActivityTask, queue: string, activities: AnyActivityDefinition[]): Promise<void> {
  const deps = sdkWorker(queue, [], "hb-worker");
  await startActivityTask(task, { activities: new Map(activities.map((a) => [a.name, a])), api: deps.api, logger: deps.logger, taskQueue: queue, identity: deps.identity, hardStop: deps.hardStop }).done;
}

describe("an activity attempt that fails right after a heartbeat", () => {
  it("hands the details still waiting for their throttled slot to its retry", async () => {
    const { id, queue } = await activityScheduled("hb-retry", batch.name, { retry: { initial_interval: 1 } });

    const t0 = Date.now();
    clock.now = () => t0;
    const a1 = await poll("activity", queue);
    expect(a1.body.attempt).toBe(1);
    await runActivity(a1.body as ActivityTask, queue, [batch]);

    clock.now = () => t0 + 1_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const a2 = await poll("activity", queue);
    expect(a2.body).toMatchObject({ attempt: 2, heartbeat_details: { cursor: 100 } });
  });
});
