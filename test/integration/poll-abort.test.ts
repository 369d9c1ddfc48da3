import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, DEV_KEY, uid } from "./helpers.ts";

// A worker that stops (or loses its connection) while its poll is held: the poll must not take a
// task nobody will receive, which would wait out the 60 s dispatch timeout before anyone got it.

describe("a held poll whose client went away", () => {
  it("does not swallow the next task: another poll gets it at once", async () => {
    const queue = uid("q");
    const ac = new AbortController();
    const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
    const body = JSON.stringify({ task_queue: queue, kind: "workflow", identity: "gone", wait_seconds: 5 });
    const held = worker.fetch(new Request("http://sundial.test/v1/workflows/tasks/poll", { method: "POST", signal: ac.signal, headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` }, body }));
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await held.catch(() => null);
    const id = uid("poll-abort");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const next = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "next", wait_seconds: 2 });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ execution_id: id });
  });
});
