import { Hono } from "hono";
import { z } from "zod";
import { CreateKeyRequest, Identifier, toRfc3339, type CreatedApiKey, type ListKeysResponse } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { hashSecret, toBase64Url } from "../core/crypto.ts";
import { NotFoundError } from "../core/errors.ts";
import { insertKey, listKeys, revokeKey } from "../index/api-keys.ts";
import { keyCache } from "./key-cache.ts";
import { DEV_NAMESPACE, requireKind, type AppEnv, type Principal } from "./auth.ts";
import { decodeCursor, encodeCursor, KeysCursor, PageSize, PageToken } from "./pagination.ts";
import { readJson, readQuery } from "./validate.ts";

/** /v1/admin/keys: create, list and revoke API keys (admin keys only). */
export const keyRoutes = new Hono<AppEnv>();
keyRoutes.use("*", requireKind("admin"));

const NamespaceQuery = z.strictObject({ namespace: Identifier.optional() });
const ListQuery = NamespaceQuery.extend({ page_size: PageSize, page_token: PageToken });

/**
 * The namespace a key-management call acts on. Admin keys of the operator namespace (`default`: the
 * bootstrap SUNDIAL_ADMIN_KEY, the dev key, admin keys they create there) manage every namespace; any
 * other admin key is scoped to its own, and another namespace is a 404 like any other namespace's
 * object. Without this an admin key handed to one tenant could mint keys for, list or revoke another's.
 */
function targetNamespace(p: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === p.namespace) return p.namespace;
  if (p.namespace === DEV_NAMESPACE) return requested;
  throw new NotFoundError(`no namespace ${requested} for this key`, "namespace_not_found");
}

function randomToken(bytes: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

keyRoutes.post("/", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, CreateKeyRequest);
  const keyId = `k${randomToken(9).replace(/[-_]/g, "x")}`;
  const secret = randomToken(24);
  const now = clock.now();
  const namespace = targetNamespace(p, body.namespace);
  await insertKey(c.env.DB, { key_id: keyId, namespace, kind: body.kind, secret_hash: await hashSecret(c.get("secrets").pepper, secret), description: body.description, created_at: now });
  // The secret is shown once; only its peppered hash is stored.
  return c.json({ key: `${keyId}.${secret}`, key_id: keyId, namespace, kind: body.kind, description: body.description, created_at: toRfc3339(now) } satisfies CreatedApiKey, 201);
});

keyRoutes.get("/", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, ListQuery);
  const namespace = targetNamespace(p, q.namespace);
  const cursor = q.page_token ? decodeCursor(q.page_token, KeysCursor) : undefined;
  const rows = await listKeys(c.env.DB, namespace, cursor && { createdAt: cursor.c, keyId: cursor.i }, q.page_size + 1);
  const page = rows.slice(0, q.page_size);
  const last = page[page.length - 1];
  return c.json({
    keys: page.map((r) => ({ key_id: r.key_id, namespace: r.namespace, kind: r.kind, description: r.description, created_at: toRfc3339(r.created_at), revoked_at: r.revoked_at === null ? null : toRfc3339(r.revoked_at) })),
    next_page_token: rows.length > q.page_size && last ? encodeCursor(KeysCursor, { c: last.created_at, i: last.key_id }) : null,
  } satisfies ListKeysResponse);
});

keyRoutes.delete("/:key_id", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, NamespaceQuery);
  const ok = await revokeKey(c.env.DB, targetNamespace(p, q.namespace), c.req.param("key_id"), clock.now());
  if (!ok) throw new NotFoundError("no such key in this namespace", "key_not_found");
  keyCache.forget(c.req.param("key_id"));
  return c.body(null, 204);
});
