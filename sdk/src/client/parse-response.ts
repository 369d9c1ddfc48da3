import type { z } from "zod";
import { SundialApiError } from "./errors.ts";

/** Validates an answer against its wire schema; a mismatch means client and platform disagree. */
export function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new SundialApiError({ type: "about:blank", title: "Bad Response", status: 200, code: "invalid_response", detail: `unexpected answer from the platform at ${where}: ${issue?.message ?? "invalid"}` });
}
