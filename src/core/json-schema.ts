import { LIMITS } from "./limits.ts";
import { patternProblem } from "./regex-safety.ts";

/**
 * A small JSON Schema validator for the subset zod's `toJSONSchema` emits (type, properties,
 * required, additionalProperties, propertyNames, items, prefixItems, enum, const, anyOf/oneOf/allOf,
 * not, min/max, multipleOf, lengths, pattern, $ref to $defs). `format` is an annotation here (as
 * JSON Schema's default): zod emits a `pattern` beside the formats it checks by pattern. Ajv compiles with `new Function`, which Workers forbid; this
 * interprets instead. Returns the first problem with its path, or null when the value conforms.
 * A `pattern` runs only if it is safe (see regex-safety.ts) and the string is at most
 * LIMITS.maxPatternInputLength long: JavaScript regexes cannot be interrupted.
 */

export type JsonSchema = boolean | { [k: string]: unknown };

export interface SchemaProblem {
  path: string;
  message: string;
  /** The problem itself, without what a union added about its other shapes (`message` then says more). */
  own?: string;
  /** Set when a union's shapes all refused the value: how many it has (`own` is its closest's problem). */
  shapes?: number;
}

const typeOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

function typeMatches(t: string, v: unknown): boolean {
  const actual = typeOf(v);
  return t === actual || (t === "number" && actual === "integer");
}

const patternVerdicts = new Map<string, string | null>();

/** patternProblem, remembered per isolate (bounded: cleared when it reaches 1,000 patterns). */
function cachedPatternProblem(pattern: string): string | null {
  let verdict = patternVerdicts.get(pattern);
  if (verdict === undefined) {
    if (patternVerdicts.size >= 1_000) patternVerdicts.clear();
    verdict = patternProblem(pattern);
    patternVerdicts.set(pattern, verdict);
  }
  return verdict;
}

/** Schema nodes visited per validation at most: recursive anyOf/oneOf would otherwise be exponential. */
const WORK_BUDGET = 100_000;

export function validateJsonSchema(schema: JsonSchema, value: unknown, root: JsonSchema = schema, path = "input"): SchemaProblem | null {
  const budget = { left: WORK_BUDGET };
  const p = validateNode(schema, value, root, path, 0, budget);
  if (budget.left < 0) return { path, message: "the workflow's input schema is too complex to check (recursive alternatives); simplify it" };
  return p && { path: p.path, message: p.message };
}

function validateNode(schema: JsonSchema, value: unknown, root: JsonSchema, path: string, depth: number, budget: { left: number }): SchemaProblem | null {
  if (--budget.left < 0) return { path, message: "schema too complex" };
  if (depth > 64) return { path, message: "value is nested too deeply" };
  if (schema === true) return null;
  if (schema === false) return { path, message: "no value is allowed here" };
  const s = schema;
  if (typeof s.$ref === "string") {
    const target = resolveRef(root, s.$ref);
    if (target === null) return null; // unknown refs are not ours to enforce (registration refuses a local one that names nothing)
    const p = validateNode(target, value, root, path, depth + 1, budget);
    if (p) return p;
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeMatches(t, value))) return { path, message: `expected ${types.join(" or ")}, got ${typeOf(value)}` };
  }
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) return { path, message: `must be ${quoted(s.const)}` };
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    const shown = s.enum.slice(0, ENUM_VALUES_SHOWN).map(quoted).join(", ");
    return { path, message: `must be one of ${shown}${s.enum.length > ENUM_VALUES_SHOWN ? ` (and ${s.enum.length - ENUM_VALUES_SHOWN} more)` : ""}` };
  }
  // oneOf (z.xor, discriminated unions) is checked as anyOf: a registered shape can be looser
  // than its zod schema (refinements, formats without a pattern, .catch, z.custom), so two of
  // them may accept a value zod's parse gives to exactly one. Refusing that would refuse a valid
  // start; the worker's parse decides exclusivity (the platform is never stricter than zod).
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const problems = options.map((o) => validateNode(o as JsonSchema, value, root, path, depth + 1, budget));
      if (!problems.some((p) => p === null)) return tagProblem(options, value, root, problems as SchemaProblem[], path) ?? noShapeMatches(problems as SchemaProblem[], options.map(isNullOption), path);
    }
  }
  if (s.not !== undefined && validateNode(s.not as JsonSchema, value, root, path, depth + 1, budget) === null) {
    // `not: {}` is how the SDK registers a `z.undefined()` inside an object or array: no JSON value
    // (null included) stands for undefined there; a property is left out instead.
    return { path, message: isEmptySchema(s.not) ? "must be left out" : "matches a shape that is not allowed here" };
  }
  if (Array.isArray(s.allOf)) {
    for (const o of s.allOf) {
      const p = validateNode(o as JsonSchema, value, root, path, depth + 1, budget);
      if (p) return p;
    }
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) return { path, message: `must be >= ${s.minimum}` };
    if (typeof s.maximum === "number" && value > s.maximum) return { path, message: `must be <= ${s.maximum}` };
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) return { path, message: `must be > ${s.exclusiveMinimum}` };
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) return { path, message: `must be < ${s.exclusiveMaximum}` };
    if (typeof s.multipleOf === "number" && s.multipleOf > 0 && !isMultipleOf(value, s.multipleOf)) return { path, message: `must be a multiple of ${s.multipleOf}` };
  }
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && value.length < s.minLength) return { path, message: `must be at least ${s.minLength} characters` };
    if (typeof s.maxLength === "number" && value.length > s.maxLength) return { path, message: `must be at most ${s.maxLength} characters` };
    if (typeof s.pattern === "string") {
      // Registration refuses unsafe patterns; this covers schemas registered before it did.
      const unsafe = cachedPatternProblem(s.pattern);
      if (unsafe) return { path, message: `cannot be checked: the workflow's input schema has a pattern that ${unsafe}; register a safer one` };
      if (value.length > LIMITS.maxPatternInputLength) {
        return { path, message: `is longer than ${LIMITS.maxPatternInputLength} characters, the most a string checked against a pattern may have` };
      }
      try {
        if (!new RegExp(s.pattern, "u").test(value)) return { path, message: `must match ${s.pattern}` };
      } catch {
        /* a pattern this runtime cannot compile is not enforced */
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) return { path, message: `must have at least ${s.minItems} items` };
    if (typeof s.maxItems === "number" && value.length > s.maxItems) return { path, message: `must have at most ${s.maxItems} items` };
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]) : [];
    for (const [i, item] of value.entries()) {
      const itemSchema = i < prefix.length ? prefix[i]! : (s.items as JsonSchema | undefined);
      if (itemSchema === undefined) continue;
      const p = validateNode(itemSchema, item, root, `${path}.${i}`, depth + 1, budget);
      if (p) return p;
    }
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const req of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (!Object.hasOwn(obj, req)) return { path: `${path}.${req}`, message: "is required" };
    }
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined) {
        const p = validateNode(s.propertyNames as JsonSchema, k, root, `${path}.${k}`, depth + 1, budget);
        if (p) return { path: p.path, message: `is not an allowed field name: it ${p.message}` };
      }
      if (Object.hasOwn(props, k)) {
        const p = validateNode(props[k]!, v, root, `${path}.${k}`, depth + 1, budget);
        if (p) return p;
      } else if (s.additionalProperties === false) {
        return { path: `${path}.${k}`, message: "unknown field" };
      } else if (typeof s.additionalProperties === "object") {
        const p = validateNode(s.additionalProperties as JsonSchema, v, root, `${path}.${k}`, depth + 1, budget);
        if (p) return p;
      }
    }
  }
  return null;
}

/**
 * What a `$ref` names: `#` is the root itself (zod's z.lazy() of the whole input refers to it so),
 * `#/$defs/{name}` (or `#/definitions/…`) an entry there; null for anything else, or a name with
 * no entry.
 */
export function resolveRef(root: JsonSchema, ref: string): JsonSchema | null {
  if (ref === "#") return root;
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = m && typeof root === "object" ? (root[m[1]!] as Record<string, JsonSchema> | undefined) : undefined;
  if (!m || defs === null || typeof defs !== "object") return null;
  return pointerTokens(m[2]!).map((t) => (Object.hasOwn(defs, t) ? defs[t] : undefined)).find((d) => d !== undefined) ?? null;
}

/**
 * The names a JSON Pointer token may stand for, most likely first: `~1` is `/` and `~0` is `~`
 * (RFC 6901) — zod writes a `.meta({ id: "app/Input" })` reference as `#/$defs/app~1Input`, and read
 * literally it named nothing, so checked nothing — then the same after the URI fragment's
 * percent-decoding, which zod does not apply (an id with `%` in it is written as it is).
 */
function pointerTokens(token: string): string[] {
  const unescape = (t: string) => t.replace(/~1/g, "/").replace(/~0/g, "~");
  let decoded: string | null = null;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    /* not percent-encoded */
  }
  return decoded === null || decoded === token ? [unescape(token)] : [unescape(token), unescape(decoded)];
}

/** How many values of an enum a problem quotes, and how much of each (a message can reach a parent's history through a child start). */
const ENUM_VALUES_SHOWN = 10;
const VALUE_CHARS = 80;

/** A value as JSON, cut short. */
function quoted(v: unknown): string {
  const json = JSON.stringify(v) ?? String(v);
  return json.length > VALUE_CHARS ? `${json.slice(0, VALUE_CHARS - 1)}…` : json;
}

/** How many of a union's other shapes a problem lists, and how much of each problem it quotes. */
const OTHER_SHAPES_SHOWN = 3;
const OTHER_SHAPE_CHARS = 120;

/**
 * A value no alternative of a union accepts: the problem of the alternative that came closest (its
 * problem the deepest in the value, and at a field the value has rather than one it lacks), with
 * a few others' after it, so the caller sees which shape was nearly right and why the others failed
 * (the Mistral seed's "clear error messages when the input doesn't match any expected shape").
 * Each other shape is quoted by its own problem only, cut short, so nested or recursive unions do
 * not multiply the message. The `{type: "null"}` zod emits for `.nullable()` and a top-level
 * `.optional()` is not a shape anyone wrote: it is not listed.
 */
function noShapeMatches(problems: readonly SchemaProblem[], nullOption: readonly boolean[], path: string): SchemaProblem {
  if (problems.length === 0) return { path, message: "matches none of the allowed shapes" };
  const score = (p: SchemaProblem) => p.path.split(".").length * 2 + (p.message === "is required" ? 0 : 1);
  // A written shape is the closest before `null` is (zod's .nullable() adds {type: "null"}).
  const candidates = problems.filter((_, i) => !nullOption[i]);
  const closest = (candidates.length > 0 ? candidates : problems).reduce((best, p) => (score(p) > score(best) ? p : best));
  const others = problems.flatMap((p, i) => (p === closest || nullOption[i] ? [] : [{ p, i }]));
  if (others.length === 0) return closest;
  const own = closest.own ?? closest.message;
  const clip = (m: string) => (m.length > OTHER_SHAPE_CHARS ? `${m.slice(0, OTHER_SHAPE_CHARS - 1)}…` : m);
  // A shape that is itself a union is quoted as one: it may take values its closest shape does not.
  const quote = (p: SchemaProblem) => (p.shapes !== undefined ? `${p.path} matches none of its ${p.shapes} shapes (closest: ${p.own})` : `${p.path} ${p.own ?? p.message}`);
  const shown = others.slice(0, OTHER_SHAPES_SHOWN).map(({ p, i }) => `shape ${i + 1}: ${clip(quote(p))}`);
  if (others.length > OTHER_SHAPES_SHOWN) shown.push(`${others.length - OTHER_SHAPES_SHOWN} more`);
  return { path: closest.path, own, shapes: problems.length, message: `${own} (in shape ${problems.indexOf(closest) + 1} of ${problems.length}, the closest; ${shown.join("; ")})` };
}

/**
 * A union of object shapes that each fix one field to a constant — zod's `discriminatedUnion`, or
 * a plain union of objects with literal tags — refuses a value by its tag first, as zod does: a
 * tag no shape has (or no tag) is the problem, at the tag, naming the allowed ones; a tag some
 * shapes have picks them, and the problem is theirs alone. Without this "the closest" shape was a
 * tie broken by order, so `{kind: "sms"}` was told the email shape's `address` was required. Null
 * if the union is not tagged so (the closest-shape message applies) or the value is no object.
 */
function tagProblem(options: readonly unknown[], value: unknown, root: JsonSchema, problems: readonly SchemaProblem[], path: string): SchemaProblem | null {
  if (typeOf(value) !== "object") return null;
  const shapes = options.flatMap((o, i) => (isNullOption(o) ? [] : [{ tags: constFields(o, root), i }]));
  if (shapes.length < 2) return null;
  const tag = Object.keys(shapes[0]!.tags).find((k) => shapes.every((s) => Object.hasOwn(s.tags, k)));
  if (tag === undefined) return null;
  const obj = value as Record<string, unknown>;
  const picked = Object.hasOwn(obj, tag) ? shapes.filter((s) => JSON.stringify(s.tags[tag]) === JSON.stringify(obj[tag])) : [];
  if (picked.length === 0) {
    const allowed = [...new Set(shapes.map((s) => quoted(s.tags[tag])))];
    const shown = allowed.slice(0, ENUM_VALUES_SHOWN).join(", ") + (allowed.length > ENUM_VALUES_SHOWN ? ` (and ${allowed.length - ENUM_VALUES_SHOWN} more)` : "");
    return { path: `${path}.${tag}`, message: `${Object.hasOwn(obj, tag) ? "must be" : "is required:"} one of ${shown} (the field that picks the shape)` };
  }
  if (picked.length === 1) return problems[picked[0]!.i]!;
  return noShapeMatches(picked.map((s) => problems[s.i]!), picked.map(() => false), path);
}

/** The fields an object shape (or the `$ref` it is) fixes to one value, by `const` or a one-value `enum`. */
function constFields(option: unknown, root: JsonSchema): Record<string, unknown> {
  let o = option;
  if (typeof o === "object" && o !== null && typeof (o as { $ref?: unknown }).$ref === "string") o = resolveRef(root, (o as { $ref: string }).$ref);
  const props = typeof o === "object" && o !== null ? (o as { properties?: unknown }).properties : undefined;
  if (typeof props !== "object" || props === null) return {};
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(props as Record<string, unknown>)) {
    if (typeof p !== "object" || p === null) continue;
    const { const: c, enum: e } = p as { const?: unknown; enum?: unknown };
    if (c !== undefined) out[k] = c;
    else if (Array.isArray(e) && e.length === 1) out[k] = e[0];
  }
  return out;
}

/** Exactly `{type: "null"}`: what zod emits for `.nullable()`, a top-level `.optional()` and `z.null()` alike. */
function isNullOption(o: unknown): boolean {
  return typeof o === "object" && o !== null && Object.keys(o).length === 1 && (o as { type?: unknown }).type === "null";
}

const isEmptySchema = (s: unknown): boolean => s === true || (typeof s === "object" && s !== null && Object.keys(s).length === 0);

/**
 * Whether `value` is a multiple of `step` up to floating-point rounding (2.03 is a multiple of
 * 0.07), decided as zod's `multipleOf` decides (its floatSafeRemainder), so the platform and the
 * worker's parse agree.
 */
function isMultipleOf(value: number, step: number): boolean {
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 4 * Number.EPSILON * Math.max(Math.abs(ratio), 1);
}
