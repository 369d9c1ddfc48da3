import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { Problem } from "@sundial/sdk/protocol";
import { SundialError, ValidationError, type FieldIssue } from "../core/errors.ts";

/** The RFC 9457 `title` of each status the API answers with (the OpenAPI document describes them with it too). */
export const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Turns a zod error into a ValidationError whose issues name each field (dotted paths). */
export function fromZodError(error: z.ZodError, prefix: readonly (string | number)[] = []): ValidationError {
  const issues: FieldIssue[] = error.issues.map((i) => {
    const keys = i.code === "unrecognized_keys" ? i.keys : [undefined];
    return keys.map((k) => {
      const path = [...prefix, ...i.path, ...(k === undefined ? [] : [k])].map(String);
      const field = path.length > 0 ? path.join(".") : "body";
      const message = i.code === "unrecognized_keys" ? "unknown field" : i.message;
      return { field, message };
    });
  }).flat();
  const first = issues[0] ?? { field: "body", message: "invalid" };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new ValidationError(`${first.field}: ${first.message}${more}`, { issues });
}

/** An error D1 raised (unreachable, overloaded, a statement it refused): its message starts `D1_`. */
export function isD1Error(err: unknown): err is Error {
  return err instanceof Error && /^D1_/.test(err.message);
}

/** Builds the problem+json body for an error (the one place errors become HTTP). */
export function toProblem(err: unknown): Problem {
  if (err instanceof SundialError) {
    return {
      type: `https://sundial.dev/problems/${err.code}`,
      title: TITLES[err.status] ?? "Error",
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.issues.length > 0 ? { errors: err.issues } : {}),
      ...(err.failure !== undefined ? { failure: err.failure } : {}),
    };
  }
  if (err instanceof z.ZodError) return toProblem(fromZodError(err));
  // D1 unreachable or failing: the objects still hold the truth, but lookups that need the index
  // cannot run. A retryable 503 says so; nothing was written.
  if (isD1Error(err)) {
    return { type: "https://sundial.dev/problems/index_unavailable", title: TITLES[503]!, status: 503, detail: "the D1 index is unavailable; retry shortly (nothing was changed)", code: "index_unavailable" };
  }
  // A Durable Object the platform could not reach, restarting, or overloaded (Cloudflare flags
  // these errors `.retryable` / `.overloaded`): not a bug. Each object's change is one transaction
  // in it, and the calls behind every route are idempotent by their ids, so the caller may retry.
  if (isOverloadedObject(err)) {
    return { type: "https://sundial.dev/problems/object_overloaded", title: TITLES[503]!, status: 503, detail: "a Durable Object is overloaded; back off before retrying", code: "object_overloaded" };
  }
  if (isRetryableObject(err)) {
    return { type: "https://sundial.dev/problems/object_unavailable", title: TITLES[503]!, status: 503, detail: "a Durable Object could not be reached or was restarting; retry shortly", code: "object_unavailable" };
  }
  return { type: "https://sundial.dev/problems/internal", title: TITLES[500]!, status: 500, detail: "internal error", code: "internal" };
}

const flagged = (err: unknown, flag: "retryable" | "overloaded"): boolean => err instanceof Error && (err as unknown as Record<string, unknown>)[flag] === true;
const isOverloadedObject = (err: unknown): boolean => flagged(err, "overloaded");
const isRetryableObject = (err: unknown): boolean => flagged(err, "retryable");

/** Seconds a 503's caller should wait (Retry-After): longer for an overloaded object, which retries make worse. */
export const RETRY_AFTER: Readonly<Record<string, number>> = { object_unavailable: 1, object_overloaded: 5, index_unavailable: 1 };

/** Sends a problem+json response. */
export function problemResponse(c: Context, err: unknown): Response {
  const problem = toProblem(err);
  if (problem.status >= 500 && !(err instanceof SundialError)) console.error(problem.code === "internal" ? "unhandled error" : problem.detail, err);
  const retryAfter = RETRY_AFTER[problem.code];
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, { "content-type": "application/problem+json", ...(retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }) });
}
