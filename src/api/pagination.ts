import { z } from "zod";
import { BadRequestError } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import { fromBase64Url, toBase64Url } from "../core/crypto.ts";

/** `page_size` query parameter: 1..LIMITS.pageSizeMax, default LIMITS.pageSizeDefault. */
export const PageSize = z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault);

/** Opaque keyset cursor: base64url JSON of the last row's sort keys. */
export function encodeCursor(keys: Record<string, string | number>): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(keys)));
}

export function decodeCursor(token: string, required: string[]): Record<string, string | number> {
  const bytes = fromBase64Url(token);
  let value: unknown = null;
  try {
    value = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null;
  } catch {
    value = null;
  }
  if (!value || typeof value !== "object" || !required.every((k) => k in (value as object))) {
    throw new BadRequestError("page_token is not a token this API issued", { field: "query.page_token", code: "invalid_page_token" });
  }
  return value as Record<string, string | number>;
}
