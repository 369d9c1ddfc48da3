import { resolveRef, type JsonSchema } from "../core/json-schema.ts";
import { patternProblem } from "../core/regex-safety.ts";

/** Keywords whose value is one sub-schema, a list of them, or a map of names to them. */
const ONE = ["additionalProperties", "items", "not", "contains", "propertyNames", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties"] as const;
const LIST = ["anyOf", "oneOf", "allOf", "prefixItems"] as const;
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"] as const;

/**
 * Where a registered input JSON Schema is malformed, or null: every sub-schema must be an object or
 * a boolean. The validator that checks inputs against it walks sub-schemas as objects; a worker that
 * registered `{"properties": {"a": null}}` made every later start of that workflow a 500. A
 * `pattern` that could backtrack catastrophically (or is too long) is refused here too.
 * Iterative, so a deeply nested schema cannot overflow the stack.
 */
export function inputSchemaProblem(schema: unknown, path: string): { field: string; message: string } | null {
  const stack: [unknown, string][] = [[schema, path]];
  while (stack.length > 0) {
    const [s, at] = stack.pop()!;
    if (typeof s === "boolean") continue;
    if (s === null || typeof s !== "object" || Array.isArray(s)) return { field: at, message: "a JSON Schema must be an object or a boolean" };
    const o = s as Record<string, unknown>;
    // A local reference that names nothing would check nothing at start: every input would pass.
    if (typeof o.$ref === "string" && /^#\/(\$defs|definitions)\//.test(o.$ref) && resolveRef(schema as JsonSchema, o.$ref) === null) {
      return { field: `${at}.$ref`, message: `${JSON.stringify(o.$ref)} names no entry of the schema's $defs` };
    }
    if (typeof o.pattern === "string") {
      const unsafe = patternProblem(o.pattern);
      if (unsafe) return { field: `${at}.pattern`, message: `this pattern ${unsafe}` };
    }
    for (const k of ONE) if (k in o) stack.push([o[k], `${at}.${k}`]);
    for (const k of LIST) {
      if (!(k in o)) continue;
      if (!Array.isArray(o[k])) return { field: `${at}.${k}`, message: "must be a list of JSON Schemas" };
      (o[k] as unknown[]).forEach((sub, i) => stack.push([sub, `${at}.${k}.${i}`]));
    }
    for (const k of MAP) {
      if (!(k in o)) continue;
      const m = o[k];
      if (m === null || typeof m !== "object" || Array.isArray(m)) return { field: `${at}.${k}`, message: "must map names to JSON Schemas" };
      for (const [name, sub] of Object.entries(m)) stack.push([sub, `${at}.${k}.${name}`]);
    }
  }
  return null;
}
