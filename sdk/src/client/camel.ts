/**
 * The one snake_case → camelCase mapping of API answers. Structural keys are converted all the
 * way down; user payloads (`input`, `result`, `details`, `heartbeat_details`) are left exactly as
 * the workflow produced them, since their keys belong to the user.
 */

/** `last_heartbeat_at` → `lastHeartbeatAt`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** Keys whose values are user data and keep their shape. */
export type PayloadKey = "input" | "result" | "details" | "heartbeat_details";

/** A wire type with camelCase keys (payloads untouched), distributing over unions. */
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: K extends PayloadKey ? T[K] : Camelize<T[K]> }
    : T;

const PAYLOAD_KEYS: ReadonlySet<string> = new Set<PayloadKey>(["input", "result", "details", "heartbeat_details"]);

function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Converts a parsed API answer to camelCase keys, leaving payload values untouched.
 * @example camelize({ execution_id: "e", input: { user_id: 1 } }) // { executionId: "e", input: { user_id: 1 } }
 */
export function camelize<T>(value: T): Camelize<T> {
  return convert(value) as Camelize<T>;
}

function convert(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convert);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[camelKey(k)] = PAYLOAD_KEYS.has(k) ? v : convert(v);
  return out;
}
