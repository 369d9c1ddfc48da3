import type { Failure } from "@sundial/sdk/protocol";
import { SundialError, type FieldIssue } from "../core/errors.ts";

/**
 * RPC across a Durable Object boundary keeps an error's message and name but drops its fields, so
 * objects return results instead of throwing Sundial errors, and the API layer rethrows them.
 */
export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcError };

/** A Sundial error as it crosses an object boundary. */
export interface RpcError {
  code: string;
  status: number;
  message: string;
  field?: string | undefined;
  issues: FieldIssue[];
  failure?: Failure;
}

function toRpcError(err: SundialError): RpcError {
  return { code: err.code, status: err.status, message: err.message, field: err.field, issues: err.issues, ...(err.failure !== undefined ? { failure: err.failure } : {}) };
}

export function ok<T>(value: T): RpcResult<T> {
  return { ok: true, value };
}

/** Wraps a handler: Sundial errors become results; anything else is rethrown (a real bug). */
export function guard<T>(fn: () => T): RpcResult<T> {
  try {
    return ok(fn());
  } catch (err) {
    if (err instanceof SundialError) return { ok: false, error: toRpcError(err) };
    throw err;
  }
}

export async function guardAsync<T>(fn: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof SundialError) return { ok: false, error: toRpcError(err) };
    throw err;
  }
}

/** Rethrows a failed result as the Sundial error it was. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- RPC stubs wrap results in their own types; infer from the ok branch
export function unwrap<R extends { ok: boolean }>(r: R): R extends { value: infer T } ? T : never {
  if (r.ok) return (r as unknown as { value: never }).value;
  const e = (r as unknown as { error: RpcError }).error;
  throw new SundialError(e.code, e.status, e.message, { ...(e.field !== undefined ? { field: e.field } : {}), issues: e.issues, ...(e.failure !== undefined ? { failure: e.failure } : {}) });
}
