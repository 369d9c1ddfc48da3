import type { Context } from "hono";
import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, ValidationError } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import { fromZodError } from "./problem.ts";
import { Timestamp } from "@sundial/sdk/protocol";

/**
 * Reads a JSON body (bounded by LIMITS.maxBodyBytes, checked on the bytes actually read, not only
 * on Content-Length) and parses it with a wire schema. Every failure is a 4xx naming the field.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, opts: { optional?: boolean } = {}): Promise<z.output<S>> {
  return parseWith(schema, await readJsonObject(c, opts));
}

/** The JSON object of a body as {@link readJson} reads it, before any schema: for a route that also needs what was sent as sent. */
export async function readJsonObject(c: Context, opts: { optional?: boolean } = {}): Promise<Record<string, unknown>> {
  const buf = await readBody(c.req.raw, LIMITS.maxBodyBytes);
  let value: unknown = {};
  if (buf.byteLength > 0) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true } as TextDecoderConstructorOptions).decode(buf);
    } catch {
      throw new BadRequestError("request body is not valid UTF-8", { field: "body", code: "invalid_encoding" });
    }
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`, { field: "body", code: "invalid_json" });
    }
  } else if (!opts.optional) {
    throw new BadRequestError("request body is required", { field: "body", code: "invalid_json" });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError("request body must be a JSON object", { field: "body", code: "invalid_json" });
  }
  const deep = tooDeepField(value, MAX_JSON_DEPTH);
  if (deep !== null) throw new ValidationError(`${deep}: JSON is nested more than ${MAX_JSON_DEPTH} levels deep`, { field: deep, code: "nesting_too_deep" });
  return value as Record<string, unknown>;
}

/**
 * The request's body, at most `max` bytes: a larger Content-Length is refused before reading, and
 * a body without one (chunked) is counted as it arrives and dropped as soon as it passes `max`,
 * so no request makes the Worker hold more than `max` bytes of it.
 */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () => new PayloadTooLargeError(`request body is larger than ${max} bytes`, "body");
  const declared = req.headers.get("content-length");
  if (Number(declared ?? "0") > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  // A declared length bounds the body (the runtime delivers no more than it): read it in one go.
  // Counting chunk by chunk cost about a millisecond of CPU per request.
  if (declared !== null && /^\d+$/.test(declared)) {
    const buf = new Uint8Array(await req.arrayBuffer());
    if (buf.byteLength > max) throw tooLarge();
    return buf;
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      void reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Deepest nesting of arrays and objects a request body may have (the body itself is level 1).
 * Durable Object RPC serialises values recursively and overflows the stack at a few thousand levels,
 * which answered a 5,000-deep workflow input with a 500; no real payload comes near this bound.
 */
export const MAX_JSON_DEPTH = 512;

/** The top-level field holding nesting deeper than `max` levels, or null (iterative: any depth is safe to scan). */
function tooDeepField(body: object, max: number): string | null {
  const stack: [unknown, number, string][] = Object.entries(body).map(([k, v]) => [v, 2, k]);
  while (stack.length > 0) {
    const [v, depth, top] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > max) return top;
    for (const child of Object.values(v)) stack.push([child, depth + 1, top]);
  }
  return null;
}

/** Parses a value with a schema, turning zod issues into a ValidationError with field paths. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix: readonly (string | number)[] = []): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, prefix);
  return r.data;
}

/**
 * Parses query parameters with a schema. A parameter given more than once (`?key=a&key=b`) is a
 * 422 naming it: which value wins is the framework's choice, never one the caller sees.
 */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) throw new ValidationError(`query.${name}: given ${values.length} times; give it once`, { field: `query.${name}` });
  }
  return parseWith(schema, c.req.query(), ["query"]);
}

/**
 * A numeric query parameter, read from plain decimal digits only (with a fraction when `fraction`),
 * then checked by `schema`. Number() and z.coerce also read `0x10` as 16, `1e1` as 10 and ` 16` as
 * 16, so a typo or an odd client turned into a value nobody wrote.
 */
export function queryNumber<S extends z.ZodType<number, number>>(schema: S, opts: { fraction?: boolean } = {}) {
  const [re, message] = opts.fraction
    ? [/^\d+(?:\.\d+)?$/, "must be a number in decimal digits, e.g. 30 or 0.5"]
    : [/^\d+$/, "must be a whole number in decimal digits, e.g. 50"];
  return z.string().regex(re, { message }).transform(Number).pipe(schema);
}

/**
 * A list's filter parameter (`?workflow=`, `?status=`): given, it must hold a value, then `schema`
 * checks it. An empty one is a 422 naming it: read as absent it listed everything, which is not
 * what a client that sent the filter (an unset form field, say) asked for.
 */
export function queryFilter<S extends z.ZodType<unknown, string>>(schema: S) {
  return z.string().min(1, { message: "must not be empty (leave the parameter out to list them all)" }).pipe(schema).optional();
}

/**
 * An id query parameter (`?key=`, `?schedule_id=`). Ids may hold `+` (`ada+news@example.com`) but
 * never a space, and a `+` written into a URL unencoded arrives as a space: read it as the `+` it
 * was, as {@link queryTimestamp} reads an offset. (Read as sent, `?key=a+b` was a 422 telling the
 * caller to use the `+` they had used, and `?schedule_id=…+…` listed nothing.)
 */
export function queryId<S extends z.ZodType<unknown, string>>(schema: S) {
  return z.string().transform((raw) => raw.replaceAll(" ", "+")).pipe(schema);
}

/**
 * An RFC 3339 query parameter (`?started_after=`). A `+hh:mm` offset written into a URL unencoded
 * arrives as a space (`+` means space in a query string): a space before a final `hh:mm` is read
 * as the `+` it was. Starts are recorded to the millisecond, so a bound between two milliseconds
 * is the next one, for an inclusive lower bound as for an exclusive upper one: `…00.0005Z` keeps
 * out a start at `…00.000Z` as `started_after` and keeps it in as `started_before` (parsed as it
 * is written, the digits past the millisecond would be dropped and do the opposite).
 */
export const queryTimestamp = z.string().transform((raw, ctx) => {
  const v = raw.replace(/ (\d{2}:\d{2})$/, "+$1");
  const r = Timestamp.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
    return z.NEVER;
  }
  return r.data + (/\.\d{3}\d*[1-9]/.test(v) ? 1 : 0);
});
