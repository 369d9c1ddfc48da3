import * as wire from "../protocol/keys.ts";
import { camelize, type Camelize } from "./camel.ts";
import { parse } from "./executions.ts";
import type { HttpTransport } from "./http.ts";

/** A key as listed: never its secret. */
export type ApiKey = Camelize<wire.ApiKeyInfo>;
/** A new key: `key` (`<keyId>.<secret>`) is shown this once; the platform keeps only a hash of the secret. */
export type CreatedKey = Camelize<wire.CreatedApiKey>;
/** `admin`, `app` or `worker`. */
export type KeyKind = wire.KeyKind;

/** Options of {@link KeysClient.create}. */
export interface CreateKeyOptions {
  kind: KeyKind;
  /** Default: the calling key's namespace. A new name creates the namespace (admins of `default` only). */
  namespace?: string;
  description?: string;
}

const BASE = "/v1/admin/keys";

/**
 * API keys (`/v1/admin/keys`; the calling key must be an admin key). An admin of namespace
 * `default` manages every namespace's keys; any other admin only its own.
 * @example
 * const admin = new SundialClient({ url, apiKey: process.env.SUNDIAL_ADMIN_KEY! });
 * const { key } = await admin.keys.create({ kind: "worker", namespace: "acme", description: "billing workers" });
 */
export class KeysClient {
  private readonly http: HttpTransport;

  constructor(http: HttpTransport) {
    this.http = http;
  }

  /** Creates a key; its secret is in the answer's `key`, and nowhere else ever again. */
  async create(options: CreateKeyOptions): Promise<CreatedKey> {
    const body: wire.CreateKeyRequest = { kind: options.kind, ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), ...(options.description !== undefined ? { description: options.description } : {}) };
    const answer = await this.http.request("POST", BASE, { body });
    return camelize(parse(wire.CreatedApiKey, answer.body));
  }

  /** The namespace's keys, revoked ones included (with `revokedAt`), oldest first. */
  async list(options: { namespace?: string } = {}): Promise<ApiKey[]> {
    const answer = await this.http.request("GET", BASE, { query: { namespace: options.namespace } });
    return camelize(parse(wire.ListKeysResponse, answer.body)).keys;
  }

  /**
   * Revokes a key: it is refused from the next request in the Worker isolate that handled this
   * call, and everywhere within 10 s (isolates remember verified keys that long).
   */
  async revoke(keyId: string, options: { namespace?: string } = {}): Promise<void> {
    await this.http.request("DELETE", `${BASE}/${encodeURIComponent(keyId)}`, { query: { namespace: options.namespace } });
  }
}
