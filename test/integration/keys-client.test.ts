import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SundialApiError, SundialClient } from "@sundial/sdk/client";
import { DEV_KEY, uid } from "./helpers.ts";

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
    expect(listed).toEqual([{ keyId: created.keyId, namespace, kind: "worker", description: "billing workers", createdAt: created.createdAt, revokedAt: null }]);

    await admin.keys.revoke(created.keyId, { namespace });
    expect((await admin.keys.list({ namespace }))[0]!.revokedAt).not.toBeNull();
    await expect(worker.whoami()).rejects.toMatchObject({ status: 401, code: "revoked_key" });
  });

  it("bad input and the wrong key kind come back as SundialApiError, and nothing is created", async () => {
    const admin = clientWith(DEV_KEY);
    const namespace = uid("keys-client-bad");
    const bad = await admin.keys.create({ kind: "root" as "admin", namespace }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SundialApiError);
    expect(bad).toMatchObject({ status: 422, field: "kind" });
    const app = await admin.keys.create({ kind: "app", namespace });
    await expect(clientWith(app.key).keys.list()).rejects.toMatchObject({ status: 403, code: "wrong_key_kind" });
    expect((await admin.keys.list({ namespace })).map((k) => k.kind)).toEqual(["app"]);
  });
});
