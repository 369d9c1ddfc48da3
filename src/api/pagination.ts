import { z } from "zod";
import { BadRequestError } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import { fromBase64Url, toBase64Url } from "../core/crypto.ts";
import { queryNumber } from "./validate.ts";

/** `page_size` query parameter: 1..LIMITS.pageSizeMax, default LIMITS.pageSizeDefault. */
export const PageSize = queryNumber(z.number().min(1).max(LIMITS.pageSizeMax)).default(LIMITS.pageSizeDefault);

/**
 * What each list's cursor holds. Strict, so each list takes only its own tokens (an executions
 * token has `s`, a schedules token does not), and typed, so a forged token never reaches D1 as
 * NaN or "[object Object]". Ids are not held to Identifier: a default child id can be longer.
 */
/** `page_token` query parameter; {@link decodeCursor} refuses one longer than any list issues. */
export const PageToken = z.string().optional();

/** Longer than any token a list issues (a cursor holding the longest id, MAX_ID_LENGTH): not decoded at all. */
const MAX_PAGE_TOKEN_LENGTH = 2000;

const Millis = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/**
 * `f`: the last row's first start (the list's order). A token issued while the list paged by the
 * current run's start (`s`, before 2026-12-06) is read as one: the two were equal for every row
 * then, and a row whose run changed since comes again rather than being skipped (first start ≤ start).
 */
export const ExecutionsCursor = z.union([
  z.strictObject({ f: Millis, i: z.string().min(1) }),
  z.strictObject({ s: Millis, i: z.string().min(1) }).transform(({ s, i }) => ({ f: s, i })),
]);
export const SchedulesCursor = z.strictObject({ i: z.string().min(1) });
export const WorkflowTypesCursor = z.strictObject({ n: z.string().min(1) });
export const KeysCursor = z.strictObject({ c: Millis, i: z.string().min(1) });

/** Opaque keyset cursor: base64url JSON of the last row's sort keys. */
export function encodeCursor<S extends z.ZodType<Record<string, string | number>>>(_schema: S, keys: z.input<S>): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(keys)));
}

const invalidPageToken = () => new BadRequestError("page_token is not a token this list issued", { field: "query.page_token", code: "invalid_page_token" });

/** The cursor in a `page_token`, or a 400 `invalid_page_token` if it is not one this list issued. */
export function decodeCursor<S extends z.ZodType>(token: string, schema: S): z.output<S> {
  // Never issued, so refused as every other token a list did not issue (it was a 422 validation_failed).
  if (token.length > MAX_PAGE_TOKEN_LENGTH) throw invalidPageToken();
  const bytes = fromBase64Url(token);
  let value: unknown = null;
  try {
    value = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null;
  } catch {
    value = null;
  }
  const r = schema.safeParse(value);
  if (!r.success) throw invalidPageToken();
  return r.data;
}

/**
 * A history `page_token` (`{after event id}` or `{after}.{run id}`, as history pages issue them):
 * [after, run id], or the same 400 `invalid_page_token` as every other list for anything else.
 * An empty one reads the first page, as every list's does.
 */
export function decodeHistoryToken(token: string | undefined): [number, string | undefined] {
  if (token === undefined || token === "") return [0, undefined];
  const m = /^(\d{1,9})(?:\.([A-Za-z0-9-]{1,64}))?$/.exec(token);
  if (!m) throw invalidPageToken();
  return [Number(m[1]), m[2]];
}
