import { z } from "zod";
import * as P from "@sundial/sdk/protocol";
import { RETRY_AFTER, TITLES } from "./problem.ts";
import type { SchemaComponents } from "./openapi-schemas.ts";

/**
 * The error responses of the OpenAPI document (openapi.ts): which statuses and `code`s each
 * operation can answer with. What every route shares follows from the facts the route registry
 * already states (a key is needed, the key kinds, a body, query parameters, path ids, whether a
 * Durable Object is reached); what only some routes answer is their `errors` entry there.
 */

/** What the registry says of an operation that decides its errors. */
export interface ErrorFacts {
  kind: "app" | "worker" | "admin" | "any";
  body?: z.ZodType;
  query?: string[];
  /** Reaches no Durable Object (the D1 index at most), so never a 503 `object_unavailable` / `object_overloaded`. */
  indexOnly?: true;
  /** The codes only this route answers with, by status (the README's route tables). */
  errors?: Partial<Record<number, readonly string[]>>;
}

/** A path id that names one thing: its 404 when there is none (in this namespace). */
const NOT_FOUND_BY_PARAM: Readonly<Record<string, string>> = { schedule_id: "schedule_not_found", execution_id: "execution_not_found", key_id: "key_not_found" };
/** Path parameters the route checks (IdReference, Name) before anything else: a 422 `validation_failed` naming it. */
const CHECKED_PARAMS = new Set(["schedule_id", "execution_id", "name", "task_queue"]);

/** The `code`s an operation can answer with, by status (health is the one route without a key). */
export function errorCodes(path: string, op: ErrorFacts): Map<number, string[]> {
  const codes = new Map<number, string[]>();
  const add = (status: number, ...more: readonly string[]) => {
    const list = codes.get(status) ?? [];
    for (const c of more) if (!list.includes(c)) list.push(c);
    codes.set(status, list);
  };
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const isPublic = path === "/v1/health";
  if (op.body) add(400, "invalid_json", "invalid_encoding");
  if (op.query?.includes("page_token")) add(400, "invalid_page_token");
  if (!isPublic) add(401, "unauthorized", "malformed_key", "revoked_key");
  if (op.kind !== "any") add(403, "wrong_key_kind");
  for (const p of params) if (NOT_FOUND_BY_PARAM[p]) add(404, NOT_FOUND_BY_PARAM[p]);
  if (op.body) add(413, "payload_too_large");
  if (op.body || op.query?.length || params.some((p) => CHECKED_PARAMS.has(p))) add(422, "validation_failed");
  if (op.body) add(422, "nesting_too_deep");
  for (const [status, list] of Object.entries(op.errors ?? {})) add(Number(status), ...list!);
  add(500, "internal");
  // A key is looked up in the D1 index; a deployment without its secrets answers nothing else.
  add(503, "not_configured", ...(isPublic ? [] : ["index_unavailable"]), ...(op.indexOnly || isPublic ? [] : ["object_unavailable", "object_overloaded"]));
  return new Map([...codes].sort(([a], [b]) => a - b));
}

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };

/** The `Problem` component: problem+json as problem.ts builds it (the wire schema). */
export function problemSchema(components: SchemaComponents): Record<string, unknown> {
  const schema = components.jsonSchema(P.Problem, "output", "Problem");
  return {
    ...schema,
    description: "RFC 9457 problem details. `type` is https://sundial.dev/problems/{code}; `code` is stable (README: \"Every `code` the API answers with\"); `field` is the dotted path of the field at fault, when one is; `errors` lists every field at fault of a validation error; `failure` is the workflow-side failure behind `query_failed` (the handler's) and `update_rejected` (the validator's).",
  };
}

/** The OpenAPI responses of an operation's errors: problem+json, each status with its `code`s (an enum). */
export function errorResponses(path: string, op: ErrorFacts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, codes] of errorCodes(path, op)) {
    const retrying = codes.filter((c) => RETRY_AFTER[c] !== undefined);
    const schema = { allOf: [PROBLEM_REF, { properties: { status: { const: status }, code: { enum: codes } } }] };
    out[String(status)] = {
      description: `${TITLES[status] ?? "Error"}: ${codes.map((c) => `\`${c}\``).join(", ")}`,
      ...(retrying.length > 0 ? { headers: { "Retry-After": retryAfterHeader(retrying) } } : {}),
      content: { "application/problem+json": { schema } },
    };
  }
  return out;
}

function retryAfterHeader(codes: readonly string[]): Record<string, unknown> {
  const when = codes.map((c) => `${RETRY_AFTER[c]} s for \`${c}\``).join(", ");
  return { description: `Seconds to wait before retrying: ${when}; absent on the other codes`, schema: { type: "integer", minimum: 0 } };
}
