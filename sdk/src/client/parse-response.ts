import type { z } from "zod";
import { SundialApiError } from "./errors.ts";
import type { HttpResponse } from "./http.ts";

/**
 * Validates an answer against its wire schema; a mismatch means client and platform disagree: a
 * {@link SundialApiError} `invalid_response` with the status the platform answered (200, 201, 202…)
 * and the field that did not match.
 */
export function parse<S extends z.ZodType>(schema: S, answer: HttpResponse): z.output<S> {
  const result = schema.safeParse(answer.body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new SundialApiError({ type: "about:blank", title: "Bad Response", status: answer.status, code: "invalid_response", detail: `unexpected answer from the platform (${answer.status}) at ${where}: ${issue?.message ?? "invalid"}` });
}
