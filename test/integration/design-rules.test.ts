import { env } from "cloudflare:workers";
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { clock } from "../../src/clock.ts";
import { hashSecret } from "../../src/core/crypto.ts";
import { LIMITS } from "../../src/core/limits.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";

// Rules of DESIGN.md ("Durable execution", "Reliability", "Security", "Wire") that no other test
// pinned: defaults, bounds and the deployment's secrets.

async function poll(kind: "workflow" | "activity", queue: string) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "design-test", wait_seconds: 1 });
}

/** The Worker's own fetch handler with this deployment's vars changed. */
async function fetchWith(vars: Record<string, string | undefined>, path: string, key: string | null = DEV_KEY): Promise<{ status: number; body: Record<string, unknown> }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://sundial.test${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("DESIGN rules", () => {
  it("an execution started without a timeout gets the seeds' default of 1 hour, and times out then", async () => {
    const id = uid("default-timeout");
    const t0 = Date.now();
    clock.now = () => t0;
    const started = await api("POST", "/v1/workflows/executions", { workflow: uid("unregistered-wf"), execution_id: id });
    expect(started.status).toBe(201);
    expect(started.body.execution_timeout).toBe(3600);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    clock.now = () => t0 + 3_600_000 - 1;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("running");
    clock.now = () => t0 + 3_600_000;
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "timed_out", failure: { type: "WORKFLOW_EXECUTION_TIMED_OUT" } });
  });

  it("continue-as-new is suggested once history passes its size (recorded in workflow_task_started)", async () => {
    const limits = LIMITS as { continueAsNewSuggestedEvents: number };
    const original = limits.continueAsNewSuggestedEvents;
    const firstTask = async (id: string) => {
      const queue = uid("q-can");
      await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
      return (await poll("workflow", queue)).body;
    };
    expect((await firstTask(uid("can-default"))).continue_as_new_suggested).toBe(false);
    // The first task's workflow_task_started is the 3rd event: a threshold of 3 is reached there.
    limits.continueAsNewSuggestedEvents = 3;
    try {
      const task = await firstTask(uid("can-small"));
      expect(task.continue_as_new_suggested).toBe(true);
      expect(task.history.at(-1)).toMatchObject({ type: "workflow_task_started", suggest_continue_as_new: true });
    } finally {
      limits.continueAsNewSuggestedEvents = original;
    }
  });

  it("payloads over the limit are a 413 naming the field, and change nothing", async () => {
    const id = uid("big");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await poll("workflow", queue);
    const big = "x".repeat(LIMITS.maxPayloadBytes + 1);
    const before = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const tooBig = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: big }] });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ field: "commands.0" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_length).toBe(before);
    // The same task completes normally afterwards; then an activity result that is too big.
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: "small" }] })).status).toBe(200);
    const at = await poll("activity", queue);
    const result = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: big });
    expect(result.status).toBe(413);
    expect(result.body).toMatchObject({ field: "result" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toHaveLength(1);
  });

  it("a chunked body (no Content-Length) is refused with 413 as soon as it passes 1 MiB, not read to its end first", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    // A client that sends just over 1 MiB and then stalls without ending the body.
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent > LIMITS.maxBodyBytes) return new Promise<void>(() => {});
        ctl.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const stalled = new Promise<"still reading">((resolve) => setTimeout(() => resolve("still reading"), 2_000));
    const r = await Promise.race([api("POST", "/v1/workflows/executions", body), stalled]);
    expect(r, "the Worker waited for the rest of a body already over the limit").not.toBe("still reading");
    expect(r).toMatchObject({ status: 413, body: { code: "payload_too_large", field: "body" } });
    expect(sent).toBeLessThanOrEqual(LIMITS.maxBodyBytes + 2 * chunk.byteLength);
  });

  it("every route takes a trailing slash (Pipelit's URLs), behind the same auth; unknown paths are still 404 route_not_found", async () => {
    const key = uid("slash");
    const created = await api("POST", "/v1/workflows/schedules/", { workflow: "slash-wf", key, cron: "0 * * * *", task_queue: uid("q-slash") });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sid = encodeURIComponent(created.body.schedule_id);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause/`, { note: "slash" })).body).toMatchObject({ status: "paused" });
    expect((await api("GET", `/v1/workflows/schedules/${sid}/`)).body).toMatchObject({ status: "paused", note: "slash" });
    const listed = await api("GET", `/v1/workflows/schedules/?workflow=slash-wf&key=${key}`);
    expect(listed.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([created.body.schedule_id]);
    const id = uid("slash-exec");
    expect((await api("POST", "/v1/workflows/executions/", { workflow: "w", execution_id: id })).status).toBe(201);
    expect((await api("GET", `/v1/workflows/executions/${id}/`)).body).toMatchObject({ execution_id: id, status: "running" });
    expect((await api("GET", "/v1/health/", undefined, null)).status).toBe(200);
    expect((await api("GET", "/v1/workflows/schedules/", undefined, null)).body).toMatchObject({ status: 401, code: "unauthorized" });
    expect((await api("GET", `/v1/workflows/schedules/${sid}/nope/`)).body).toMatchObject({ status: 404, code: "route_not_found" });
  });

  it("list page sizes are bounded: page_size above 500 is a 422 naming query.page_size", async () => {
    for (const path of ["/v1/workflows/executions", "/v1/workflows/schedules"]) {
      const r = await api("GET", `${path}?page_size=${LIMITS.pageSizeMax + 1}`);
      expect(r.status, path).toBe(422);
      expect(r.body).toMatchObject({ field: "query.page_size" });
      expect((await api("GET", `${path}?page_size=${LIMITS.pageSizeMax}`)).status).toBe(200);
    }
  });

  it("a page token of the wrong shape, types or list is a 400 invalid_page_token, never a wrong page", async () => {
    const token = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const cases: [string, unknown][] = [
      ["/v1/workflows/executions", { s: "x", i: {} }],
      ["/v1/workflows/executions", { s: 1.5, i: "a" }],
      ["/v1/workflows/executions", { s: 1, i: 7 }],
      ["/v1/workflows/executions", { i: "a" }], // a schedules token
      ["/v1/workflows/schedules", { i: {} }],
      ["/v1/workflows/schedules", { i: 5 }],
      ["/v1/workflows/schedules", { s: 1_700_000_000_000, i: "a" }], // an executions token
    ];
    for (const [path, cursor] of cases) {
      const r = await api("GET", `${path}?page_token=${token(cursor)}`);
      expect(r.status, `${path} ${JSON.stringify(cursor)}`).toBe(400);
      expect(r.body).toMatchObject({ code: "invalid_page_token", field: "query.page_token" });
    }
    // The tokens each list issues still read back.
    for (const [path, cursor] of [["/v1/workflows/executions", { s: 1_700_000_000_000, i: "a" }], ["/v1/workflows/schedules", { i: "a" }]] as const) {
      expect((await api("GET", `${path}?page_token=${token(cursor)}`)).status, path).toBe(200);
    }
  });

  it("the API is described by an OpenAPI 3.1 document, which like every route but health needs a key", async () => {
    const doc = await api("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    const anonymous = await api("GET", "/openapi.json", undefined, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: "unauthorized" });
    expect((await api("GET", "/v1/health", undefined, null)).status).toBe(200);
    // A body the document calls optional really is: without one, the route gets to its own answer
    // (404 for these unknown ids), never a 4xx about the body.
    const optional = Object.entries(doc.body.paths as Record<string, Record<string, { requestBody?: { required: boolean } }>>).flatMap(([path, ops]) =>
      Object.entries(ops).filter(([, op]) => op.requestBody?.required === false).map(([method]) => [method, path] as const),
    );
    expect(optional.length).toBeGreaterThanOrEqual(8);
    for (const [method, path] of optional) {
      const r = await api(method.toUpperCase(), path.replace(/\{[a-z_]+\}/g, "no-such-thing"));
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(404);
    }
    expect(doc.body.paths["/v1/workflows/schedules"].post.requestBody.required).toBe(true);
    // The headers the schedule routes use: If-Match on PATCH, ETag on describe and PATCH, Location on create (also an upsert's 200).
    const schedule = doc.body.paths["/v1/workflows/schedules/{schedule_id}"];
    expect(schedule.patch.parameters).toContainEqual(expect.objectContaining({ name: "If-Match", in: "header", required: false }));
    expect(schedule.get.parameters.some((p: { in: string }) => p.in === "header")).toBe(false);
    for (const op of [schedule.get, schedule.patch]) expect(Object.keys(op.responses["200"].headers)).toEqual(["ETag"]);
    const create = doc.body.paths["/v1/workflows/schedules"].post;
    for (const status of ["201", "200"]) expect(Object.keys(create.responses[status].headers)).toEqual(["Location"]);
    // And an execution start's (and signal-with-start's) answer names the execution's path.
    for (const path of ["/v1/workflows/executions", "/v1/workflows/executions/signal-with-start"]) {
      for (const status of ["201", "200"]) expect(Object.keys(doc.body.paths[path].post.responses[status].headers), `${path} ${status}`).toEqual(["Location"]);
    }
    const id = `loc:${crypto.randomUUID()}`;
    const started = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id });
    expect(started.status).toBe(201);
    expect(started.headers.get("location")).toBe(`/v1/workflows/executions/${encodeURIComponent(id)}`);
    expect((await api("GET", started.headers.get("location")!)).body.execution_id).toBe(id);
  });

  it("the OpenAPI document lists each operation's error statuses, problem+json with their codes", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    const problem = doc.components.schemas.Problem;
    expect(problem.required).toEqual(expect.arrayContaining(["type", "title", "status", "detail", "code"]));
    expect(Object.keys(problem.properties).sort()).toEqual(["code", "detail", "errors", "failure", "field", "status", "title", "type"]);
    // The failure behind query_failed / update_rejected: a component (recursive through `cause`).
    expect(problem.properties.failure).toEqual({ $ref: "#/components/schemas/Failure" });
    expect(doc.components.schemas.Failure).toMatchObject({ type: "object", required: expect.arrayContaining(["message", "type"]), properties: { cause: { $ref: "#/components/schemas/Failure" } } });
    // A request's failure (a worker's completion) may leave out what has a default: its own component.
    expect(doc.components.schemas.FailureInput).toMatchObject({ type: "object", required: ["message"], properties: { cause: { $ref: "#/components/schemas/FailureInput" } } });
    // Every reference resolves to a component.
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas).toHaveProperty([name!]);
    // zod's `$defs` are moved to components: a `#/$defs/…` reference would resolve against the document's root.
    expect(JSON.stringify(doc)).not.toContain("$defs");
    expect(problem.properties.errors.items).toMatchObject({ type: "object", properties: { field: { type: "string" }, message: { type: "string" } }, required: ["field", "message"] });
    // Every $ref resolves, every response has a description (OpenAPI 3.1 requires both).
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(100);
    for (const r of refs) expect(doc.components.schemas[r!], r).toBeDefined();
    type Resp = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: { allOf: [unknown, { properties: { status: { const: number }; code: { enum: string[] } } }] } }> };
    const codes = (op: { responses: Record<string, Resp> }, status: number) => op.responses[String(status)]?.content?.["application/problem+json"]?.schema.allOf[1].properties.code.enum;
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, Resp> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        operations += 1;
        const what = `${method} ${path}`;
        for (const [status, r] of Object.entries(op.responses)) {
          expect(status, what).toMatch(/^[1-5]\d\d$/);
          expect(typeof r.description, what).toBe("string");
          if (Number(status) < 400) continue;
          const schema = r.content!["application/problem+json"]!.schema;
          expect(schema.allOf[0], what).toEqual({ $ref: "#/components/schemas/Problem" });
          expect(schema.allOf[1].properties.status.const, what).toBe(Number(status));
          expect(schema.allOf[1].properties.code.enum.length, what).toBeGreaterThan(0);
          // Retry-After goes with the 503s that send it (not not_configured, the one 503 of health).
          expect(r.headers?.["Retry-After"] !== undefined, `${what} ${status}`).toBe(Number(status) === 503 && path !== "/v1/health");
        }
        expect(codes(op, 500), what).toEqual(["internal"]);
        expect(codes(op, 503), what).toContain("not_configured");
        if (path === "/v1/health") {
          expect(Object.keys(op.responses), what).toEqual(["200", "500", "503"]);
          continue;
        }
        expect(codes(op, 401), what).toEqual(["unauthorized", "malformed_key", "revoked_key"]);
        expect(codes(op, 503), what).toContain("index_unavailable");
        // 403 exactly where the key kinds are limited; 404 with the id's own code where the path names one.
        expect(codes(op, 403), what).toEqual(path === "/v1/workflows/workers/whoami" ? undefined : ["wrong_key_kind"]);
        if (path.includes("{schedule_id}")) expect(codes(op, 404), what).toEqual(["schedule_not_found"]);
        if (path.includes("{execution_id}")) expect(codes(op, 404), what).toEqual(["execution_not_found"]);
        if (!path.includes("{")) expect(codes(op, 404) ?? [], what).not.toContain("schedule_not_found");
      }
    }
    expect(operations).toBeGreaterThanOrEqual(39);
    const create = doc.paths["/v1/workflows/schedules"].post;
    expect(codes(create, 409)).toEqual(["schedule_key_taken", "schedule_exists"]);
    expect(codes(create, 422)).toEqual(expect.arrayContaining(["validation_failed", "invalid_cron", "invalid_input", "limit_exceeded"]));
    expect(codes(create, 404)).toBeUndefined();
    expect(create.responses["503"].headers["Retry-After"].schema).toEqual({ type: "integer", minimum: 0 });
    // Only the routes that can answer them: a describe has no body to refuse, a list no id to miss.
    expect(Object.keys(doc.paths["/v1/workflows/schedules/{schedule_id}"].get.responses)).toEqual(["200", "401", "403", "404", "422", "500", "503"]);
    expect(Object.keys(doc.paths["/v1/workflows/executions"].get.responses)).toEqual(["200", "400", "401", "403", "422", "500", "503"]);
    expect(codes(doc.paths["/v1/workflows/executions"].get, 503)).toEqual(["not_configured", "index_unavailable"]);
    expect(codes(doc.paths["/v1/workflows/executions/{execution_id}/queries/{name}"].post, 408)).toEqual(["query_timeout"]);
    expect(codes(doc.paths["/v1/workflows/tasks/activity/heartbeat"].post, 409)).toEqual(["stale_task"]);
    expect(codes(doc.paths["/v1/admin/keys/{key_id}"].delete, 404)).toEqual(["key_not_found", "namespace_not_found"]);
  });

  it("API keys are stored as SHA-256 of pepper and secret, never in the clear", async () => {
    const ns = uid("ns-hash");
    const created = await api("POST", "/v1/admin/keys", { kind: "app", namespace: ns, description: "hash check" });
    expect(created.status).toBe(201);
    const [keyId, secret] = (created.body.key as string).split(".") as [string, string];
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE key_id = ?").bind(keyId).first<Record<string, unknown>>();
    expect(row!.secret_hash).toBe(await hashSecret("sundial-dev-pepper", secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    // And the key works, while a near miss does not.
    expect((await api("GET", "/v1/workflows/workers/whoami", undefined, created.body.key as string)).body.namespace).toBe(ns);
    expect((await api("GET", "/v1/workflows/workers/whoami", undefined, `${keyId}.${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`)).status).toBe(401);
  });

  it("outside dev mode, a deployment without its secrets refuses requests (503 not_configured) and the dev key is not accepted", async () => {
    const bare = { SUNDIAL_DEV_MODE: undefined, SUNDIAL_PEPPER: undefined, SUNDIAL_TOKEN_SECRET: undefined };
    const r = await fetchWith(bare, "/v1/workflows/executions");
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "not_configured" });
    // Health needs no key, and says so too (test/integration/health-config.test.ts).
    expect((await fetchWith(bare, "/v1/health", null)).status).toBe(503);
    // With its secrets but not in dev mode, the development key is just an unknown key.
    const configured = { SUNDIAL_DEV_MODE: undefined, SUNDIAL_PEPPER: "p".repeat(32), SUNDIAL_TOKEN_SECRET: "t".repeat(32) };
    const dev = await fetchWith(configured, "/v1/workflows/executions");
    expect(dev.status).toBe(401);
  });
});
