import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SundialClient } from "@sundial/sdk/client";
import { api, DEV_KEY, uid } from "./helpers.ts";

// GET /v1/workflows/types: what workers registered, with each workflow's input JSON Schema (the
// Mistral seed's "the platform validates inputs and generates Console UI schemas").

const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => worker.fetch(new Request(input, init))) as typeof fetch;
const client = new SundialClient({ url: "http://sundial.test", apiKey: DEV_KEY, fetch: fetchImpl });

const schema = { type: "object", properties: { report_type: { type: "string", enum: ["daily", "weekly"] } }, required: ["report_type"], additionalProperties: false };

async function register(prefix: string, names: string[]): Promise<string[]> {
  const full = names.map((n) => `${prefix}-${n}`);
  const r = await api("POST", "/v1/workflows/workers/register", {
    identity: "types-test",
    task_queue: "q-types",
    build_id: "build-7",
    workflows: full.map((name, i) => ({ name, ...(i === 0 ? { input_schema: schema, execution_timeout: 600 } : {}) })),
    activities: [],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return full;
}

describe("registered workflows", () => {
  it("shows one registered workflow with its input schema as registered, and 404 for an unknown one", async () => {
    const [report] = await register(uid("types"), ["report"]);
    const r = await api("GET", `/v1/workflows/types/${report}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: report, task_queue: "q-types", input_schema: schema, execution_timeout: 600, build_id: "build-7", identity: "types-test", updated_at: expect.any(String) });
    const missing = await api("GET", `/v1/workflows/types/${uid("nope")}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("workflow_not_found");
    expect((await api("GET", "/v1/workflows/types/bad%20name")).body.field).toBe("name");
  });

  it("the SDK lists them by name in pages, and keeps the schema's own keys", async () => {
    const prefix = uid("types-list");
    const names = await register(prefix, ["a", "b", "c"]);
    const got = await client.workflows.get(names[0]!);
    expect(got).toMatchObject({ name: names[0], taskQueue: "q-types", executionTimeout: 600, buildId: "build-7", identity: "types-test" });
    expect(got.inputSchema).toEqual(schema); // report_type, additionalProperties: untouched
    const seen: string[] = [];
    for await (const t of client.workflows.listAll({ pageSize: 2 })) if (t.name.startsWith(prefix)) seen.push(t.name);
    expect(seen).toEqual(names);
    await expect(client.workflows.get(uid("nope"))).rejects.toMatchObject({ status: 404, code: "workflow_not_found" });
  });

  it("needs an app or admin key", async () => {
    const created = await api("POST", "/v1/admin/keys", { kind: "worker", description: "types test" });
    const r = await api("GET", "/v1/workflows/types", undefined, created.body.key);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("wrong_key_kind");
    // Admin keys pass every kind check, so the refusal names them too.
    expect(r.body.detail).toBe("a worker key cannot call this endpoint (needs an app or admin key)");
    const app = await api("POST", "/v1/admin/keys", { kind: "app", description: "types test" });
    const poll = await api("POST", "/v1/workflows/tasks/poll", { task_queue: "q", kind: "workflow", identity: "t", wait_seconds: 0 }, app.body.key);
    expect(poll.status).toBe(403);
    expect(poll.body.detail).toBe("an app key cannot call this endpoint (needs a worker or admin key)");
  });
});
