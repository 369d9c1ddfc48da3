import { z } from "zod";
import { Failure } from "./failure.ts";

/** application/problem+json (RFC 9457) body of every Sundial error. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  /** Dotted path of the field at fault, when one is. */
  field: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** The workflow's failure, when the error carries one: `query_failed` (the handler threw), `update_rejected` (the validator threw). */
  failure: Failure.optional(),
});
export type Problem = z.output<typeof Problem>;
