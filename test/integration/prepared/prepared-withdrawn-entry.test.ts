import { describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
import { eventually, expectNoRun, setNow } from "../schedule-helpers.ts";
import { poll, preparedSchedule, queuedTasks, S } from "./prepared-helpers.ts";

// Audit: a withdrawn prepared run leaves its first task's entry (visible_at = the old fire time)
// in the queue. The same execution id started later without preparation must not inherit it.

describe("a withdrawn prepared run's queue entry", () => {
  it("a client start of the withdrawn run's id is visible to polls at once, not at the withdrawn fire time", async () => {
    const p = await preparedSchedule("withdrawn-entry");
    setNow(p.prep + 5 * S);
    const paused = await api("POST", `/v1/workflows/schedules/${p.sid}/pause`, { note: "x" });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    await expectNoRun(p.run);
    expect((await queuedTasks(p.queue))[0]!.visible_at).toBe(p.fire); // the withdrawn run's entry
    // A client starts an execution under that id (the withdrawn run "never existed"), on the same queue.
    setNow(p.prep + 10 * S);
    const start = await api("POST", "/v1/workflows/executions", { workflow: "prep-wf", execution_id: p.run, task_queue: p.queue });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    // Its first task is available now: a worker polling gets it (not only at p.fire, up to 60 s later).
    const t = await eventually(async () => {
      const r = await poll(p.queue);
      expect(r.status).toBe(200);
      return r;
    });
    expect(t.body.execution_id).toBe(p.run);
  });
});
