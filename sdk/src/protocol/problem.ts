import { z } from "zod";
import { Failure, FailureAnswer } from "./failure.ts";

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

/**
 * A problem as the SDK's client reads an error answer: {@link Problem}, of the same type, tolerant
 * of what another platform version (or a proxy) may send: fields it does not know are dropped
 * (also in `failure`, {@link FailureAnswer}); `type` and `title`, which RFC 9457 makes optional,
 * default to `about:blank` and `HTTP {status}`, and `detail` to `""`. `status` and `code` are
 * required: without a `code` the answer is no Sundial problem.
 */
export const ProblemAnswer = z
  .object({
    type: z.string().default("about:blank"),
    title: z.string().optional(),
    status: z.number().int(),
    detail: z.string().default(""),
    code: z.string(),
    field: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    failure: FailureAnswer.optional(),
  })
  .transform(({ title, ...p }): Problem => ({ ...p, title: title ?? `HTTP ${p.status}` }));
