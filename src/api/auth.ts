import { createMiddleware } from "hono/factory";
import { constantTimeEqual, hashSecret } from "../core/crypto.ts";
import { ForbiddenError, NotConfiguredError, UnauthorizedError, withArticle } from "../core/errors.ts";
import { secretIssues } from "../core/secrets.ts";
import { findKey, type KeyKind } from "../index/api-keys.ts";
import { clock } from "../clock.ts";
import { keyCache } from "./key-cache.ts";
import type { Env } from "../env.ts";

/** The documented local development key (`npm start` only): admin of namespace `default`. */
export const DEV_API_KEY = "dev.sundial-local-development-key";
export const DEV_NAMESPACE = "default";
const DEV_PEPPER = "sundial-dev-pepper";
const DEV_TOKEN_SECRET = "sundial-dev-token-secret";

/** Who is calling: established by {@link authenticate} from the bearer key. */
export interface Principal {
  namespace: string;
  keyId: string;
  kind: KeyKind;
}

export type AppEnv = { Bindings: Env; Variables: { principal: Principal; secrets: Secrets } };

export interface Secrets {
  pepper: string;
  tokenSecret: string;
  devMode: boolean;
}

/**
 * Throws the 503 `not_configured` of a deployment whose secrets are missing or too short
 * (core/secrets.ts), naming each secret at fault (never its value), with a log line saying why.
 * `GET /v1/health` calls it too, so a misconfigured deployment is visible before any request fails.
 */
export function assertConfigured(env: Env): void {
  const issues = secretIssues(env);
  if (issues.length === 0) return;
  const why = issues.map((i) => i.message).join("; ");
  console.error(`sundial: refusing requests: ${why} (wrangler secret put, e.g. openssl rand -hex 32)`);
  throw new NotConfiguredError(`this deployment's secrets are not configured: ${why}; see README 'Deploy'`, issues);
}

/**
 * The secrets this deployment runs with. Under `npm start` (SUNDIAL_DEV_MODE=true) fixed development
 * values apply to unset ones; anywhere else a missing or short secret is a 503 and a log line, never an open door.
 */
export function secretsFor(env: Env): Secrets {
  assertConfigured(env);
  const devMode = env.SUNDIAL_DEV_MODE === "true";
  return { pepper: env.SUNDIAL_PEPPER || DEV_PEPPER, tokenSecret: env.SUNDIAL_TOKEN_SECRET || DEV_TOKEN_SECRET, devMode };
}

const KEY_RE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{8,256})$/;

async function principalFor(env: Env, secrets: Secrets, header: string | undefined): Promise<Principal> {
  if (!header) throw new UnauthorizedError("missing Authorization: Bearer <key_id>.<secret>");
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new UnauthorizedError("Authorization must be 'Bearer <key_id>.<secret>'", "malformed_key");
  const key = KEY_RE.exec(m[1]!);
  if (!key) throw new UnauthorizedError("API keys look like <key_id>.<secret>: a key id of 1-64 and a secret of 8-256 letters, digits, '_' or '-'", "malformed_key");
  const [, keyId, secret] = key as unknown as [string, string, string];
  if (secrets.devMode && constantTimeEqual(m[1]!, DEV_API_KEY)) return { namespace: DEV_NAMESPACE, keyId: "dev", kind: "admin" };
  if (env.SUNDIAL_ADMIN_KEY && constantTimeEqual(m[1]!, env.SUNDIAL_ADMIN_KEY)) return { namespace: DEV_NAMESPACE, keyId, kind: "admin" };
  // A key row this isolate read a few seconds ago (key-cache.ts) spares the D1 read; the secret is hashed and compared either way.
  const now = clock.now();
  const cached = keyCache.get(keyId, now);
  const mark = keyCache.mark();
  const row = cached ? null : await findKey(env.DB, keyId);
  // Hash even when the key id is unknown, so timing does not reveal which ids exist.
  const hash = await hashSecret(secrets.pepper, secret);
  const expected = cached?.secretHash ?? row?.secret_hash;
  if (expected === undefined || !constantTimeEqual(hash, expected)) throw new UnauthorizedError("invalid API key");
  if (cached) return cached.principal;
  // Not cached, and a secret hash to compare: the row was read.
  const { namespace, key_id, kind, revoked_at, secret_hash } = row!;
  if (revoked_at !== null) throw new UnauthorizedError("this API key was revoked", "revoked_key");
  const principal: Principal = { namespace, keyId: key_id, kind };
  keyCache.set(keyId, { principal: Object.freeze({ ...principal }), secretHash: secret_hash }, now, mark);
  return principal;
}

/** Authenticates every request it guards; sets `principal` and `secrets`. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const secrets = secretsFor(c.env);
  c.set("secrets", secrets);
  c.set("principal", await principalFor(c.env, secrets, c.req.header("authorization")));
  await next();
});

/** Allows only the given key kinds (admin keys may do everything). */
export function requireKind(...kinds: KeyKind[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const p = c.get("principal");
    if (p.kind !== "admin" && !kinds.includes(p.kind)) {
      const needed = [...new Set([...kinds, "admin"])].join(" or ");
      throw new ForbiddenError(`${withArticle(p.kind)} key cannot call this endpoint (needs ${withArticle(needed)} key)`, "wrong_key_kind");
    }
    await next();
  });
}
