import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { secretsFor } from "../../src/api/auth.ts";
import { verifyToken } from "../../src/core/crypto.ts";
import type { Env } from "../../src/env.ts";
import { MAX_LOST_DELIVERIES } from "../../src/objects/execution-timeouts.ts";
import type { TokenPayload } from "../../src/objects/execution-types.ts";
import { executionStub } from "../../src/objects/names.ts";
import { activityScheduled, api, poll, uid } from "./helpers.ts";

// ExecutionObject.returnUndelivered hands back a lease whose poll (or eager completion) answer
// never left the server. It must end only the lease its token names, still unacknowledged: a
// hand-back that arrives late or twice, naming a lease already handed out again and now held by a
// live worker, would otherwise end that worker's lease and queue the task anew, so it runs twice.
// poll-abort.test.ts and eager-abort.test.ts cover the hand-back itself; nothing else pinned these guards.

const e = env as unknown as Env;
const payload = async (token: string) => (await verifyToken(secretsFor(e).tokenSecret, token)) as TokenPayload;
/** What the poll route does with a lease whose client left. */
const handBack = async (id: string, token: string) => executionStub(e, "default", id).returnUndelivered(await payload(token));
const types = async (id: string) => ((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[]).map((ev) => ev.type);

describe("an undelivered lease's hand-back ends only the lease its token names", () => {
  it("a workflow task: handed back twice, the second (naming the old lease) leaves the new one alone", async () => {
    const id = uid("ulg-wt");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const first = await poll("workflow", queue);
    expect(await handBack(id, first.body.task_token)).toBe(true);
    const second = await poll("workflow", queue);
    expect(second.status).toBe(200);
    expect(await handBack(id, first.body.task_token)).toBe(false);
    // Not queued again: the second lease is still the one.
    expect((await poll("workflow", queue, 0)).status).toBe(204);
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: second.body.task_token, commands: [{ type: "complete_workflow", result: 1 }] });
    expect(done.status).toBe(200);
    expect(await types(id)).toEqual(["execution_started", "workflow_task_scheduled", "workflow_task_started", "workflow_task_timed_out", "workflow_task_scheduled", "workflow_task_started", "workflow_task_completed", "execution_completed"]);
  });

  it("an activity: the old lease's hand-back after the attempt went out again is refused", async () => {
    const { id, queue } = await activityScheduled("ulg-act");
    const first = await poll("activity", queue);
    expect(await handBack(id, first.body.task_token)).toBe(true);
    const second = await poll("activity", queue);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ seq: 1, attempt: 1 });
    expect(await handBack(id, first.body.task_token)).toBe(false);
    expect((await poll("activity", queue, 0)).status).toBe(204);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: second.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
  });

  it("an activity whose worker acknowledged it is not handed back", async () => {
    const { id, queue } = await activityScheduled("ulg-acked");
    const leased = await poll("activity", queue);
    expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: leased.body.task_token })).status).toBe(200);
    expect(await handBack(id, leased.body.task_token)).toBe(false);
    expect((await poll("activity", queue, 0)).status).toBe(204);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: leased.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
  });

  it(`an activity goes back at most ${MAX_LOST_DELIVERIES} times; after that its delivery-ack timeout judges it, as for a worker dying on it`, async () => {
    const { id, queue } = await activityScheduled("ulg-bound");
    for (let i = 0; i < MAX_LOST_DELIVERIES; i++) {
      const leased = await poll("activity", queue);
      expect(leased.status).toBe(200);
      expect(await handBack(id, leased.body.task_token)).toBe(true);
    }
    const last = await poll("activity", queue);
    expect(last.status).toBe(200);
    expect(await handBack(id, last.body.task_token)).toBe(false);
    expect((await poll("activity", queue, 0)).status).toBe(204);
  });
});
