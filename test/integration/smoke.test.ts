import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, DEV_KEY, uid } from "./helpers.ts";

describe("platform smoke (workerd)", () => {
  it("boots and answers /v1/health without a key", async () => {
    const r = await api("GET", "/v1/health", undefined, null);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok", service: "sundial" });
  });

  it("has applied the D1 migrations", async () => {
    const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
    expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(["api_keys", "executions", "schedules", "workflow_types"]));
  });

  it("rejects a request without a key as problem+json", async () => {
    const r = await api("GET", "/v1/workflows/executions", undefined, null);
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body.code).toBe("unauthorized");
  });

  it("runs a Durable Object with SQLite storage and an alarm", async () => {
    const id = uid("smoke");
    const started = await api("POST", "/v1/workflows/executions", { workflow: "noop", execution_id: id, execution_timeout: 5 });
    expect(started.status).toBe(201);
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    // The execution armed its alarm for its timeouts (the 5 s execution timeout at the latest).
    const armed = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(armed).not.toBeNull();
    expect(armed!).toBeLessThanOrEqual(Date.now() + 5_000);
    // Running it now (it may also have fired on its own for the index outbox) must not close a fresh run.
    await runDurableObjectAlarm(stub);
    const described = await api("GET", `/v1/workflows/executions/${id}`);
    expect(described.body.status).toBe("running");
    expect(described.body.history_length).toBe(2);
  });

  it("whoami answers the Mistral seed's worker info: the platform's URL as reached, the namespace, and whether it is TLS", async () => {
    const plain = await api("GET", "/v1/workflows/workers/whoami");
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({ scheduler_url: "http://sundial.test", namespace: "default", tls: false, key_id: expect.any(String), key_kind: "admin" });
    const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
    const secure = await worker.fetch(new Request("https://sundial.example.com/v1/workflows/workers/whoami", { headers: { authorization: `Bearer ${DEV_KEY}` } }));
    expect(await secure.json()).toMatchObject({ scheduler_url: "https://sundial.example.com", namespace: "default", tls: true });
  });
});
