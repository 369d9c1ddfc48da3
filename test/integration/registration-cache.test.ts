import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { REGISTRATION_CACHE_TTL_MS } from "../../src/api/workflow-input.ts";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";

/**
 * An isolate uses a workflow's registration (input schema) for REGISTRATION_CACHE_TTL_MS after
 * reading it (src/api/workflow-input.ts), so most starts skip that D1 read. What that may and may
 * not change: a registration through the API applies to the next start in this isolate; one this
 * isolate did not see (another isolate's, here a direct D1 write) within the TTL; a workflow
 * registered for the first time at once (unregistered workflows are not remembered).
 */

// restore-clock.ts (a setup file) puts the clock back after each test.
let now = Date.parse("2027-06-01T08:00:00.000Z");
beforeEach(() => {
  clock.now = () => now;
});

const numberInput = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };
const stringInput = { type: "object", properties: { n: { type: "string" } }, required: ["n"] };

const register = async (workflow: string, inputSchema: unknown, executionTimeout?: number) => {
  const w = { name: workflow, input_schema: inputSchema, ...(executionTimeout === undefined ? {} : { execution_timeout: executionTimeout }) };
  const r = await api("POST", "/v1/workflows/workers/register", { identity: "cache-test", task_queue: "q-cache", workflows: [w], activities: [] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const started = (workflow: string, input: unknown) => api("POST", "/v1/workflows/executions", { workflow, execution_id: uid("reg-cache"), task_queue: "q-cache", input });
const start = async (workflow: string, input: unknown) => (await started(workflow, input)).status;
const rewriteSchema = (workflow: string, inputSchema: unknown) =>
  env.DB.prepare("UPDATE workflow_types SET input_schema = ? WHERE namespace = 'default' AND name = ?").bind(JSON.stringify(inputSchema), workflow).run();

describe("workflow registrations are remembered per isolate for a few seconds", () => {
  it("a schema changed behind this isolate's back applies once the TTL has passed; one registered through the API at once", async () => {
    const wf = uid("reg-cache-wf");
    await register(wf, numberInput);
    expect(await start(wf, { n: 1 })).toBe(201);
    expect(await start(wf, { n: "one" })).toBe(422);
    await rewriteSchema(wf, stringInput);
    // Read a moment ago: still the number schema.
    now += REGISTRATION_CACHE_TTL_MS - 1;
    expect(await start(wf, { n: 2 })).toBe(201);
    now += 1;
    expect(await start(wf, { n: 3 })).toBe(422);
    expect(await start(wf, { n: "three" })).toBe(201);
    // Through the API: the very next start sees it.
    await register(wf, numberInput);
    expect(await start(wf, { n: 4 })).toBe(201);
    expect(await start(wf, { n: "four" })).toBe(422);
  });

  it("a workflow registered for the first time is checked from the next start, wherever it was registered", async () => {
    const wf = uid("reg-cache-new");
    expect(await start(wf, { n: "anything" })).toBe(201);
    await env.DB.prepare(
      "INSERT INTO workflow_types (namespace, name, task_queue, input_schema, build_id, identity, definition_hash, execution_timeout, updated_at) VALUES ('default', ?, 'q-cache', ?, NULL, 'elsewhere', '', NULL, ?)",
    )
      .bind(wf, JSON.stringify(numberInput), now)
      .run();
    expect(await start(wf, { n: "five" })).toBe(422);
  });

  it("a re-registered default execution timeout reaches the next start in this isolate", async () => {
    const wf = uid("reg-cache-timeout");
    await register(wf, numberInput, 120);
    expect((await started(wf, { n: 1 })).body.execution_timeout).toBe(120);
    await register(wf, numberInput, 300);
    expect((await started(wf, { n: 2 })).body.execution_timeout).toBe(300);
  });

  it("a schedule create, which reads the registration with other rows, keeps this isolate's memory in step", async () => {
    const wf = uid("reg-cache-sched");
    await register(wf, numberInput);
    expect(await start(wf, { n: 1 })).toBe(201);
    await rewriteSchema(wf, stringInput);
    const created = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: uid("k"), cron: "0 9 * * *", task_queue: "q-cache", input: { n: "nine" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The create read the new schema, and so does the next start: the two paths agree.
    expect(await start(wf, { n: "ten" })).toBe(201);
    expect(await start(wf, { n: 10 })).toBe(422);
  });
});
