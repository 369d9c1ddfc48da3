import { describe, expect, it } from "vitest";
import { defineWorkflow } from "@sundial/sdk/workflow";
import { buildRegistration } from "../../sdk/src/worker/registration.ts";
import { resolveWorkerOptions } from "../../sdk/src/worker/options.ts";
import { api, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

// Polos' decorator schedule (`schedule: "0 9 * * *"`) is the workflow's one system-wide schedule,
// key "global" — the key Polos' API defaults to. So the seed's "Global schedule (one per workflow)"
// created over the API for that workflow meets it instead of becoming a second global schedule.

describe("the schedule shorthand is the workflow's global schedule", () => {
  it("registers under key global; an API create of (workflow, global) is a 409 naming the code's schedule, and one schedule fires", async () => {
    const name = uid("daily-report");
    const queue = uid("q-shorthand");
    const daily = defineWorkflow({ name, schedule: "0 9 * * *", run: async () => null });
    const reg = await api("POST", "/v1/workflows/workers/register", buildRegistration(resolveWorkerOptions({ url: "http://sundial.test", apiKey: "unused", taskQueue: queue, identity: "shorthand", workflows: [daily] })));
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const code = await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${name}:code-0`)}`);
    expect(code.body).toMatchObject({ key: "global", source: "code", spec: { cron_expressions: ["0 9 * * *"] } });

    const global = await api("POST", "/v1/workflows/schedules", { workflow: name, cron: "0 3 * * *", timezone: "UTC", key: "global" });
    expect(global.status).toBe(409);
    expect(global.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
    const listed = await eventually(async () => {
      const r = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(name)}`);
      expect(r.body.schedules).toHaveLength(1);
      return r.body.schedules;
    });
    expect(listed[0]).toMatchObject({ schedule_id: `${name}:code-0`, key: "global" });
  });
});
