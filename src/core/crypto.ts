/** Web Crypto helpers shared by API keys and task tokens (work in workerd and in Node). */

const enc = new TextEncoder();

export function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    // A plain loop: Uint8Array.from(string, fn) iterates and calls back per character (~1 % of a workflow's platform CPU).
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** SHA-256 of `pepper ‖ secret`, hex: how API key secrets are stored. */
export async function hashSecret(pepper: string, secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", enc.encode(pepper + secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares a presented string with a secret in time that depends on the secret's length alone:
 * not on where they differ, nor on the presented string's length (so a raw admin key's length
 * cannot be probed by sending keys of every length).
 */
export function constantTimeEqual(presented: string, secret: string): boolean {
  let diff = presented.length ^ secret.length;
  const n = presented.length || 1;
  // charCodeAt past the end of an empty string is NaN, which `| 0` makes 0.
  for (let i = 0; i < secret.length; i++) diff |= (presented.charCodeAt(i % n) | 0) ^ secret.charCodeAt(i);
  return diff === 0;
}

const keyCache = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keyCache.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keyCache.set(secret, k);
  }
  return k;
}

/** `base64url(payload).base64url(HMAC-SHA256(secret, that))`: unforgeable without the secret. */
export async function signToken(secret: string, payload: unknown): Promise<string> {
  const body = toBase64Url(enc.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(body)));
  return `${body}.${toBase64Url(sig)}`;
}

/** Verifies a token from {@link signToken}; returns its payload or null. */
export async function verifyToken(secret: string, token: string): Promise<unknown> {
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  const sigText = token.slice(dot + 1);
  const sig = fromBase64Url(sigText);
  // Only the canonical spelling: base64url's last character carries unused bits, which would
  // otherwise give every token four accepted spellings.
  if (!sig || toBase64Url(sig) !== sigText) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), sig, enc.encode(body));
  if (!ok) return null;
  const raw = fromBase64Url(body);
  if (!raw) return null;
  try {
    return JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
}
