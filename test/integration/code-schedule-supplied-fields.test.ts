import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

// A schedule declared in code takes its id from its workflow and its place in the list, and runs
// its own workflow: a raw registration naming another id or workflow is refused, not silently
// created under names it did not ask for. README, "Schedules declared in code".

function register(wf: string, queue: string, schedule: Record<string, unknown>) {
  return api("POST", "/v1/workflows/workers/register", {
    identity: "supplied-fields",
    task_queue: queue,
    workflows: [{ name: wf, schedules: [{ interval_seconds: 3600 }, schedule] }],
    activities: [],
  });
}

describe("a declared schedule's id and workflow are the registration's", () => {
  it("another schedule_id or workflow is a 422 naming the field, and nothing is written", async () => {
    const wf = uid("supplied");
    const queue = uid("q-supplied");
    const byId = await register(wf, queue, { interval_seconds: 600, schedule_id: "mine" });
    expect(byId.status, JSON.stringify(byId.body)).toBe(422);
    expect(byId.body).toMatchObject({ code: "validation_failed", field: "workflows.0.schedules.1.schedule_id" });
    expect(byId.body.detail).toContain(`${wf}:code-1`);
    const byWorkflow = await register(wf, queue, { interval_seconds: 600, workflow: "someone-else" });
    expect(byWorkflow.status, JSON.stringify(byWorkflow.body)).toBe(422);
    expect(byWorkflow.body).toMatchObject({ code: "validation_failed", field: "workflows.0.schedules.1.workflow" });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-0`)}`)).status).toBe(404);
    expect((await api("GET", "/v1/workflows/schedules/mine")).status).toBe(404);
    expect((await api("GET", `/v1/workflows/types/${encodeURIComponent(wf)}`)).status).toBe(404);
  });

  it("the id and workflow it would get anyway are accepted", async () => {
    const wf = uid("supplied-same");
    const r = await register(wf, uid("q-supplied"), { interval_seconds: 600, schedule_id: `${wf}:code-1`, workflow: wf });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.workflows[0]).toMatchObject({ applied: true, schedules: [`${wf}:code-0`, `${wf}:code-1`] });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-1`)}`)).body).toMatchObject({ workflow: wf, spec: { intervals: [{ every: 600, offset: 0 }] } });
  });
});
