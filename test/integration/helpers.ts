import { exports } from "cloudflare:workers";

export const DEV_KEY = "dev.sundial-local-development-key";

/** Calls the Worker through its real fetch handler (routing, auth, problem+json and all). */
export async function api(method: string, path: string, body?: unknown, key: string | null = DEV_KEY): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
  const res = await worker.fetch(new Request(`http://sundial.test${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) }));
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let counter = 0;
/** A fresh id per test, so objects never leak state between tests. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
