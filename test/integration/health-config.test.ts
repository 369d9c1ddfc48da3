import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SundialApiError, SundialClient } from "@sundial/sdk/client";
import worker from "../../src/index.ts";
import { DEV_KEY } from "./helpers.ts";

// GET /v1/health tells an operator that the deployment's secrets are missing or too short (503
// not_configured, naming them), rather than answering "ok" while every authenticated request fails.

async function fetchWith(vars: Record<string, string | undefined>, path: string, key: string | null = null) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://sundial.test${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Record<string, any> };
}

const deployed = { SUNDIAL_DEV_MODE: undefined, SUNDIAL_PEPPER: "p".repeat(64), SUNDIAL_TOKEN_SECRET: "t".repeat(64), SUNDIAL_ADMIN_KEY: undefined };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /v1/health and the deployment's secrets", () => {
  it("answers ok when the secrets are set and long enough, and under dev mode", async () => {
    expect(await fetchWith(deployed, "/v1/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await fetchWith({ ...deployed, SUNDIAL_ADMIN_KEY: `admin.${"a".repeat(32)}` }, "/v1/health")).toMatchObject({ status: 200 });
    expect(await fetchWith({}, "/v1/health")).toMatchObject({ status: 200 });
  });

  it.each([
    ["missing secrets", { SUNDIAL_PEPPER: undefined, SUNDIAL_TOKEN_SECRET: undefined }, ["SUNDIAL_PEPPER", "SUNDIAL_TOKEN_SECRET"]],
    ["a pepper shorter than 32 characters", { SUNDIAL_PEPPER: "p".repeat(31) }, ["SUNDIAL_PEPPER"]],
    ["an empty token secret", { SUNDIAL_TOKEN_SECRET: "" }, ["SUNDIAL_TOKEN_SECRET"]],
    ["an admin key with a short secret", { SUNDIAL_ADMIN_KEY: "admin.0123456789abcdef" }, ["SUNDIAL_ADMIN_KEY"]],
  ])("%s: 503 not_configured naming them, and authenticated requests refuse the same way (never a 500)", async (_, vars, fields) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const health = await fetchWith({ ...deployed, ...vars }, "/v1/health");
    expect(health.status).toBe(503);
    expect(health.type).toContain("application/problem+json");
    expect(health.body).toMatchObject({ code: "not_configured", field: fields[0] });
    expect(health.body.errors.map((e: { field: string }) => e.field)).toEqual(fields);
    for (const v of Object.values(vars)) if (v) expect(JSON.stringify(health.body)).not.toContain(v);
    expect(logged).toHaveBeenCalled();
    const call = await fetchWith({ ...deployed, ...vars }, "/v1/workflows/executions", DEV_KEY);
    expect(call).toMatchObject({ status: 503, body: { code: "not_configured" } });
  });

  it("client.health() answers { status, service }, and rejects with the 503 not_configured naming the secret", async () => {
    const clientWith = (vars: Record<string, string | undefined>) =>
      new SundialClient({
        url: "http://sundial.test",
        apiKey: DEV_KEY,
        fetch: (async (input: RequestInfo | URL, init?: RequestInit) => worker.fetch(new Request(input, init), { ...env, ...vars }, createExecutionContext())) as typeof fetch,
      });
    expect(await clientWith(deployed).health()).toEqual({ status: "ok", service: "sundial" });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const refused = await clientWith({ ...deployed, SUNDIAL_PEPPER: undefined }).health().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SundialApiError);
    expect(refused).toMatchObject({ status: 503, code: "not_configured", field: "SUNDIAL_PEPPER" });
  });

  it("a client made without a key checks health; its other calls reject with the platform's 401 unauthorized", async () => {
    const keyless = new SundialClient({
      url: "http://sundial.test",
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        expect(new Headers(init?.headers).has("authorization")).toBe(false);
        return worker.fetch(new Request(input, init), { ...env, ...deployed }, createExecutionContext());
      }) as typeof fetch,
    });
    expect(await keyless.health()).toEqual({ status: "ok", service: "sundial" });
    const refused = await keyless.whoami().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SundialApiError);
    expect(refused).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("a short secret set under dev mode is refused too: dev mode only fills in unset ones", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const r = await fetchWith({ SUNDIAL_DEV_MODE: "true", SUNDIAL_PEPPER: "short" }, "/v1/health");
    expect(r).toMatchObject({ status: 503, body: { code: "not_configured", field: "SUNDIAL_PEPPER" } });
  });
});
