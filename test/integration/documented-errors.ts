import { openApiDocument } from "../../src/api/openapi.ts";

/**
 * The error codes the OpenAPI document lists, by operation and status, to hold the API's real
 * answers to: a client generated from the document must never meet a status or code it does not list.
 */
type Listed = { method: string; template: string; re: RegExp; codes: Record<string, string[]>; ok: string[]; headersOk: Record<string, string[]>; headerParams: string[] };

/** The headers beyond the generic ones (content-type, Retry-After) that the API reads or answers with: the document must list each where it is used. */
const REQUEST_HEADERS = ["if-match"];
const RESPONSE_HEADERS = ["etag", "location"];
let listed: Listed[] | null = null;

function operations(): Listed[] {
  if (listed) return listed;
  const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, any>; parameters?: { name: string; in: string }[] }>> };
  listed = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      re: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}/?$`),
      codes: Object.fromEntries(Object.entries(op.responses).filter(([s]) => Number(s) >= 400).map(([s, r]) => [s, r.content["application/problem+json"].schema.allOf[1].properties.code.enum as string[]])),
      ok: Object.keys(op.responses).filter((s) => Number(s) < 400),
      headersOk: Object.fromEntries(Object.entries(op.responses).filter(([s]) => Number(s) < 400).map(([s, r]) => [s, Object.keys(r.headers ?? {}).map((h) => h.toLowerCase())])),
      headerParams: (op.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name.toLowerCase()),
    })),
  );
  return listed;
}

/** The operation a request reaches ("METHOD /template"), or null when it matches none (a 404 route_not_found). */
function documentedOperation(method: string, url: string): Listed | null {
  // The path the Worker routes, from the URL api() requests: the URL parser resolves dot segments,
  // so `/v1/workflows/schedules/.` is the list (and `//x` stays a path there, not a host).
  const path = new URL(`http://sundial.test${url}`).pathname;
  return operations().find((o) => o.method === method && o.re.test(path)) ?? null;
}

/**
 * Why an exchange is not what the document lists for the operation it reached (its success status
 * and headers, its error's status and code, a header it was sent), or null when it is.
 */
export function undocumentedAnswer(method: string, url: string, status: number, code: unknown, sent: Headers = new Headers(), answered: Headers = new Headers()): string | null {
  if (code === "route_not_found") return null;
  const op = documentedOperation(method, url);
  if (!op) return null;
  const unread = REQUEST_HEADERS.find((h) => sent.has(h) && !op.headerParams.includes(h));
  if (unread) return `the OpenAPI document does not list the ${unread} request header for ${op.method} ${op.template}`;
  if (status < 400) {
    if (!op.ok.includes(String(status))) return `the OpenAPI document does not list success status ${status} for ${op.method} ${op.template}`;
    const unlisted = RESPONSE_HEADERS.find((h) => answered.has(h) && !op.headersOk[String(status)]!.includes(h));
    return unlisted ? `the OpenAPI document does not list the ${unlisted} header of ${status} for ${op.method} ${op.template}` : null;
  }
  return (op.codes[String(status)] ?? []).includes(code as string) ? null : `the OpenAPI document does not list ${status} ${String(code)} for ${op.method} ${op.template}`;
}
