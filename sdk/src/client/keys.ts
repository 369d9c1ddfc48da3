import * as wire from "../protocol/keys.ts";
import type { CallOptions } from "./call-options.ts";
import { camelize, type Camelize } from "./camel.ts";
import { parse } from "./parse-response.ts";
import type { HttpTransport } from "./http.ts";
import { everyItem } from "./pages.ts";
import { optionNames, rejectUnknownOptions } from "./options.ts";

/** A key as listed: never its secret. */
export type ApiKey = Camelize<wire.ApiKeyInfo>;
/** A new key: `key` (`<keyId>.<secret>`) is shown this once; the platform keeps only a hash of the secret. */
export type CreatedKey = Camelize<wire.CreatedApiKey>;
/** `admin`, `app` or `worker`. */
export type KeyKind = wire.KeyKind;

/** Options of {@link KeysClient.create}. */
export interface CreateKeyOptions extends CallOptions {
  kind: KeyKind;
  /** Default: the calling key's namespace. A new name creates the namespace (admins of `default` only). */
  namespace?: string;
  description?: string;
}

/** Options of {@link KeysClient.list} and `listAll` (which starts at `pageToken` when given). */
export interface ListKeysOptions extends CallOptions {
  /** Default: the calling key's namespace. Another one: admins of `default` only. */
  namespace?: string;
  /** 1-500, default 50 (the platform's). */
  pageSize?: number;
  pageToken?: string;
}

/** A page of keys, oldest first; `nextPageToken` is null on the last page. */
export interface KeyPage {
  keys: ApiKey[];
  nextPageToken: string | null;
}

const BASE = "/v1/admin/keys";
/** Checked as every client call's options are: a misspelt `namespace` would act on the calling key's own namespace. */
const CREATE_OPTIONS = optionNames({ kind: true, namespace: true, description: true, signal: true } satisfies Record<keyof CreateKeyOptions, true>);
const LIST_OPTIONS = optionNames({ namespace: true, pageSize: true, pageToken: true, signal: true } satisfies Record<keyof ListKeysOptions, true>);
/** The options of {@link KeysClient.revoke}. */
type RevokeKeyOptions = { namespace?: string } & CallOptions;
const REVOKE_OPTIONS = optionNames({ namespace: true, signal: true } satisfies Record<keyof RevokeKeyOptions, true>);

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
    rejectUnknownOptions(options, CREATE_OPTIONS, "");
    const body: wire.CreateKeyRequest = { kind: options.kind, ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), ...(options.description !== undefined ? { description: options.description } : {}) };
    const answer = await this.http.request("POST", BASE, { body, signal: options.signal });
    return camelize(parse(wire.CreatedApiKey, answer));
  }

  /**
   * One page of the namespace's keys, revoked ones included (with `revokedAt`), oldest first (see
   * {@link KeysClient.listAll} for every page).
   * @example const { keys, nextPageToken } = await admin.keys.list({ namespace: "acme", pageSize: 100 });
   */
  async list(options: ListKeysOptions = {}): Promise<KeyPage> {
    rejectUnknownOptions(options, LIST_OPTIONS, "");
    const answer = await this.http.request("GET", BASE, { query: { namespace: options.namespace, page_size: options.pageSize, page_token: options.pageToken }, signal: options.signal });
    return camelize(parse(wire.ListKeysResponse, answer));
  }

  /**
   * Every key of the namespace, oldest first, fetching pages (of `pageSize`) as the loop goes, from
   * `pageToken` when given (a token `list` answered). An aborted `signal` ends the loop with its reason.
   * @example
   * for await (const k of admin.keys.listAll({ namespace: "acme" })) if (k.revokedAt === null) console.log(k.keyId, k.kind);
   * const all = await collect(admin.keys.listAll({ namespace: "acme" })); // collect: from @sundial/sdk/client
   */
  listAll(options: ListKeysOptions = {}): AsyncGenerator<ApiKey, void, undefined> {
    return everyItem(options.pageToken, async (pageToken) => {
      const page = await this.list({ ...options, ...(pageToken === undefined ? {} : { pageToken }) });
      return { items: page.keys, nextPageToken: page.nextPageToken };
    }, options.signal);
  }

  /**
   * Revokes a key: it is refused from the next request in the Worker isolate that handled this
   * call, and everywhere within 10 s (isolates remember verified keys that long).
   */
  async revoke(keyId: string, options: RevokeKeyOptions = {}): Promise<void> {
    rejectUnknownOptions(options, REVOKE_OPTIONS, "");
    await this.http.request("DELETE", `${BASE}/${encodeURIComponent(keyId)}`, { query: { namespace: options.namespace }, signal: options.signal });
  }
}
