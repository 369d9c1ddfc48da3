import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS } from "../../src/api/key-cache.ts";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";

/**
 * An isolate trusts an API key it verified for KEY_CACHE_TTL_MS (src/api/key-cache.ts) instead of
 * reading its D1 row on every request. What that may and may not change: a revocation through the
 * API holds from the next request (the revoking isolate forgets the key); a revocation this isolate
 * did not see (another isolate's, here a direct D1 write) holds within the TTL; the cache never
 * lets a wrong secret in.
 */

// restore-clock.ts (a setup file) puts the clock back after each test.
let now = Date.parse("2027-05-01T08:00:00.000Z");
beforeEach(() => {
  clock.now = () => now;
});

async function newKey(): Promise<{ key: string; key_id: string; namespace: string }> {
  const r = await api("POST", "/v1/admin/keys", { kind: "app", namespace: uid("cache-ns") });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const list = (key: string) => api("GET", "/v1/workflows/schedules", undefined, key);

describe("verified API keys are remembered per isolate for a few seconds", () => {
  it("a revocation written to D1 behind this isolate's back holds once the TTL has passed, not before", async () => {
    const k = await newKey();
    expect((await list(k.key)).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?").bind(now, k.key_id).run();
    // Verified a moment ago: still trusted (no D1 read), as another isolate's revocation is not seen yet.
    now += KEY_CACHE_TTL_MS - 1;
    expect((await list(k.key)).status).toBe(200);
    now += 1;
    const r = await list(k.key);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("revoked_key");
  });

  it("a revocation through the API holds from the next request", async () => {
    const k = await newKey();
    expect((await list(k.key)).status).toBe(200);
    expect((await api("DELETE", `/v1/admin/keys/${k.key_id}?namespace=${k.namespace}`)).status).toBe(204);
    const r = await list(k.key);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("revoked_key");
  });

  it("a remembered key id with another secret is refused", async () => {
    const k = await newKey();
    expect((await list(k.key)).status).toBe(200);
    const secret = k.key.slice(k.key.indexOf(".") + 1);
    const other = `${k.key_id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const r = await list(other);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("unauthorized");
    // …and the rightful key still works.
    expect((await list(k.key)).status).toBe(200);
  });

  it("a key whose D1 row is gone is refused once the TTL has passed", async () => {
    const k = await newKey();
    expect((await list(k.key)).status).toBe(200);
    await env.DB.prepare("DELETE FROM api_keys WHERE key_id = ?").bind(k.key_id).run();
    now += KEY_CACHE_TTL_MS;
    expect((await list(k.key)).status).toBe(401);
  });
});
