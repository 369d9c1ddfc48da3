import { z } from "zod";
import { Identifier } from "./execution.ts";

/**
 * What an API key may do: `admin` everything, key management included; `app` schedules,
 * executions and reading registered workflows; `worker` the worker endpoints (register, whoami,
 * and every task call: poll, acknowledge, complete, fail, heartbeat, answer queries).
 */
export const KeyKind = z.enum(["admin", "app", "worker"]);
export type KeyKind = z.infer<typeof KeyKind>;

/** `POST /v1/admin/keys`: a new key of `kind` in `namespace` (default: the caller's; a new name creates the namespace). */
export const CreateKeyRequest = z.strictObject({
  kind: KeyKind,
  namespace: Identifier.optional(),
  description: z.string().max(500).default(""),
});
export type CreateKeyRequest = z.input<typeof CreateKeyRequest>;

/** A key as `GET /v1/admin/keys` lists it: never its secret. Times are RFC 3339. */
export const ApiKeyInfo = z.object({
  key_id: z.string(),
  namespace: z.string(),
  kind: KeyKind,
  description: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

/** `POST /v1/admin/keys` → 201: the whole key (`<key_id>.<secret>`), shown this once; only a hash of the secret is stored. */
export const CreatedApiKey = ApiKeyInfo.omit({ revoked_at: true }).extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** `GET /v1/admin/keys` → 200: one page, oldest first (created time, then key id); `next_page_token` is null on the last. */
export const ListKeysResponse = z.object({ keys: z.array(ApiKeyInfo), next_page_token: z.string().nullable() });
export type ListKeysResponse = z.infer<typeof ListKeysResponse>;
