import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { collect, SundialApiError, SundialClient } from "@sundial/sdk/client";
import { DEV_KEY, uid } from "./helpers.ts";
import { setNow } from "./schedule-helpers.ts";

// The SDK's key management (client.keys) against the real Worker: routing, auth, D1 and the
// per-isolate key cache, through the Worker's own fetch handler.

const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => worker.fetch(new Request(input, init))) as typeof fetch;
const clientWith = (apiKey: string) => new SundialClient({ url: "http://sundial.test", apiKey, fetch: fetchImpl });

describe("client.keys", () => {
  it("creates a key in a namespace, lists it, revokes it; the revoked key is refused at once", async () => {
    const admin = clientWith(DEV_KEY);
    const namespace = uid("keys-client");
    const created = await admin.keys.create({ kind: "worker", namespace, description: "billing workers" });
    expect(created).toMatchObject({ namespace, kind: "worker", description: "billing workers" });
    expect(created.key.startsWith(`${created.keyId}.`)).toBe(true);

    const worker = clientWith(created.key);
    expect(await worker.whoami()).toMatchObject({ namespace, keyId: created.keyId, keyKind: "worker" });

    const listed = await admin.keys.list({ namespace });
    expect(listed).toEqual({ keys: [{ keyId: created.keyId, namespace, kind: "worker", description: "billing workers", createdAt: created.createdAt, revokedAt: null }], nextPageToken: null });

    await admin.keys.revoke(created.keyId, { namespace });
    expect((await admin.keys.list({ namespace })).keys[0]!.revokedAt).not.toBeNull();
    await expect(worker.whoami()).rejects.toMatchObject({ status: 401, code: "revoked_key" });
  });

  it("bad input and the wrong key kind come back as SundialApiError, and nothing is created", async () => {
    const admin = clientWith(DEV_KEY);
    const namespace = uid("keys-client-bad");
    const bad = await admin.keys.create({ kind: "root" as "admin", namespace }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SundialApiError);
    expect(bad).toMatchObject({ status: 422, field: "kind" });
    const app = await admin.keys.create({ kind: "app", namespace });
    await expect(clientWith(app.key).keys.list()).rejects.toMatchObject({ status: 403, code: "wrong_key_kind", detail: "an app key cannot call this endpoint (needs an admin key)" });
    expect((await admin.keys.list({ namespace })).keys.map((k) => k.kind)).toEqual(["app"]);
  });

  it("lists keys in pages, oldest first: every key once, stable while keys are created and revoked between pages", async () => {
    const admin = clientWith(DEV_KEY);
    const namespace = uid("keys-pages");
    const t0 = Date.parse("2027-05-01T00:00:00.000Z");
    // Five keys created in one millisecond: the order is (created_at, key_id), so these go by key id.
    setNow(t0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await admin.keys.create({ kind: "app", namespace, description: `k${i}` })).keyId);
    const order = (await collect(admin.keys.listAll({ namespace }))).map((k) => k.keyId);
    expect(order).toEqual([...ids].sort());

    const first = await admin.keys.list({ namespace, pageSize: 2 });
    expect(first.keys.map((k) => k.keyId)).toEqual(order.slice(0, 2));
    expect(first.nextPageToken).toEqual(expect.any(String));
    // A key revoked and a key created between pages: the rest come once each, the new one last.
    await admin.keys.revoke(order[3]!, { namespace });
    setNow(t0 + 1_000);
    const late = (await admin.keys.create({ kind: "worker", namespace })).keyId;
    const rest: string[] = [];
    let token = first.nextPageToken;
    while (token !== null) {
      const page = await admin.keys.list({ namespace, pageSize: 2, pageToken: token });
      expect(page.keys.length).toBeLessThanOrEqual(2);
      rest.push(...page.keys.map((k) => k.keyId));
      token = page.nextPageToken;
    }
    expect(rest).toEqual([...order.slice(2), late]);
    expect((await collect(admin.keys.listAll({ namespace, pageSize: 1 }))).map((k) => k.keyId)).toEqual([...order, late]);
  });

  it("a page_size out of range or a page token this list did not issue is a 4xx naming the field", async () => {
    const admin = clientWith(DEV_KEY);
    await expect(admin.keys.list({ pageSize: 501 })).rejects.toMatchObject({ status: 422, field: "query.page_size" });
    await expect(admin.keys.list({ pageToken: "bm90LWEtY3Vyc29y" })).rejects.toMatchObject({ status: 400, code: "invalid_page_token", field: "query.page_token" });
    // A schedules token is not a keys token.
    const schedulesToken = btoa(JSON.stringify({ i: "x" })).replace(/=+$/, "");
    await expect(admin.keys.list({ pageToken: schedulesToken })).rejects.toMatchObject({ status: 400, code: "invalid_page_token" });
  });
});
