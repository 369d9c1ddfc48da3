import { z } from "zod";
import { ApplicationFailure } from "./errors.ts";

/** The few zod internals the union check reads (zod v4's `def`, stable across 4.x). */
interface SchemaDef {
  type: string;
  options?: readonly z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  values?: readonly unknown[];
  getter?: () => z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

/** Schema kinds whose only value is undefined: what a left-out input is. */
const LEFT_OUT = new Set(["undefined", "void"]);

/** The schema a wrapper that does not change what a union member is wraps (itself when it is none). */
function unwrapOnce(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if ((def.type === "optional" || def.type === "nullable" || def.type === "default" || def.type === "prefault" || def.type === "readonly" || def.type === "catch") && def.innerType) {
    return def.innerType;
  }
  // z.preprocess(fn, schema) is a pipe from a transform: the schema is its output side.
  if (def.type === "pipe" && def.in) return def.out !== undefined && defOf(def.in).type === "transform" ? def.out : def.in;
  if (def.type === "lazy" && def.getter) return def.getter();
  return schema;
}

/** The schema and each schema its wrappers wrap, outermost first (at most 33 levels). */
function wrapperChain(schema: z.ZodType): z.ZodType[] {
  const chain = [schema];
  for (let i = 0; i < 32; i++) {
    const inner = unwrapOnce(chain[chain.length - 1]!);
    if (inner === chain[chain.length - 1]) break;
    chain.push(inner);
  }
  return chain;
}

/** Wrappers that do not change what a union member is, removed. */
function unwrap(schema: z.ZodType): z.ZodType {
  return wrapperChain(schema).at(-1)!;
}

/**
 * A schema named with `.meta({ id })` in zod's global registry: the seed's named RootModel (its
 * escape hatch for a union that must include a non-object type).
 */
function named(schema: z.ZodType): boolean {
  // .describe() or another .meta() after .meta({ id }) makes a new instance whose own entry lacks
  // the id; zod's JSON Schema follows the chain of parents to it, and so does this.
  for (let s: z.ZodType | undefined = schema, i = 0; s !== undefined && i < 32; s = parentOf(s), i++) {
    if (typeof z.globalRegistry.get(s)?.id === "string") return true;
  }
  return false;
}

const parentOf = (schema: z.ZodType): z.ZodType | undefined => (schema as unknown as { _zod: { parent?: z.ZodType } })._zod.parent;

/** Whether the schema, or one of the wrappers between it and what it wraps, is {@link named}. */
function namedOnTheWay(schema: z.ZodType): boolean {
  return wrapperChain(schema).some(named);
}

/** Union members, nested unions flattened (a named one stays one member: the seed's named RootModel as a member). */
function members(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  return (def.options ?? []).flatMap((m) => {
    if (namedOnTheWay(m)) return [m];
    const inner = unwrap(m);
    return defOf(inner).type === "union" ? members(inner) : [inner];
  });
}

/** A member's kind; `z.literal(null)` is null, as `z.null()` is. */
function memberType(schema: z.ZodType): string {
  const def = defOf(schema);
  return def.type === "literal" && def.values !== undefined && def.values.length > 0 && def.values.every((v) => v === null) ? "null" : def.type;
}

/** The sides of an intersection, nested intersections flattened (`A.and(B).and(C)`: A, B, C). */
function sides(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.type !== "intersection" || def.left === undefined || def.right === undefined) return [schema];
  return [...sides(unwrap(def.left)), ...sides(unwrap(def.right))];
}

const jsonOf = (schema: z.ZodType) => JSON.stringify(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));

/**
 * Why an intersection cannot be one object (null when it can): every side must be an object
 * schema, and a property more than one side declares must have the same schema on each (its
 * JSON Schema). Then its input is the merged object, whose properties include a union's tag.
 */
function unmergeable(schema: z.ZodType): string | null {
  const seen = new Map<string, string>();
  for (const side of sides(schema)) {
    const def = defOf(side);
    if (def.type !== "object" || def.shape === undefined) return `one side is ${memberType(side)}, not an object`;
    for (const [key, property] of Object.entries(def.shape)) {
      const json = jsonOf(property);
      if ((seen.get(key) ?? json) !== json) return `property ${JSON.stringify(key)} has different schemas on its sides`;
      seen.set(key, json);
    }
  }
  return null;
}

/**
 * Checks a workflow input schema at define time. Primitives, objects, arrays and other single
 * shapes are accepted; a union must consist of object schemas (optionally with `null`), matched in
 * order with the first match passed to `run` (the Mistral seed's rule). A member written `A.and(B)`
 * counts as the object it merges into, if it merges (see {@link unmergeable}). Anything else throws,
 * unless the union is named (`.meta({ id })`, the seed's named RootModel): then its members may be
 * anything, still tried in order, and its JSON Schema is a `$ref` to that name.
 * @example
 * checkInputSchema("my_workflow", z.union([PromptInput, z.string()]));
 * // TypeError: Input schema of workflow "my_workflow" has unsupported union members: string. …
 */
export function checkInputSchema(workflowName: string, schema: z.ZodType): void {
  const root = unwrap(schema);
  if (defOf(root).type !== "union" || namedOnTheWay(schema)) return;
  // A named member (the seed's RootModel as a member) may be anything: only unnamed ones are checked.
  const all = members(root);
  all.forEach((m, i) => {
    const problem = !namedOnTheWay(m) && memberType(m) === "intersection" ? unmergeable(m) : null;
    if (problem !== null) {
      throw new TypeError(
        `Input schema of workflow "${workflowName}": union member ${i + 1} is an intersection that cannot be merged into one object: ${problem}. ` +
          `Union members must be objects: write A.and(B) over object schemas whose shared properties agree, or one object (A.extend(B.shape)).`,
      );
    }
  });
  const bad = all
    .filter((m) => !namedOnTheWay(m))
    .map((m) => memberType(m))
    .filter((t) => t !== "object" && t !== "intersection" && t !== "null" && !LEFT_OUT.has(t));
  if (bad.length > 0) {
    throw new TypeError(
      `Input schema of workflow "${workflowName}" has unsupported union members: ${[...new Set(bad)].join(", ")}. ` +
        `Union inputs only support object schemas and null. ` +
        `Use a dedicated object schema instead, e.g. z.object({ value: z.union([...]) }). ` +
        `If you genuinely need a union that includes a non-object type, name it: z.union([...]).meta({ id: "PromptOrRaw" }).`,
    );
  }
}

/**
 * The JSON Schema (draft 2020-12) of what callers send, registered with the platform so it can
 * validate starts and schedule inputs at the edge. Types JSON cannot express become `{}`.
 * @example inputJsonSchema(z.object({ name: z.string() })) // { type: "object", properties: { name: { type: "string" } }, ... }
 */
export function inputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  // `z.undefined()` (a union member: `z.union([A, z.undefined()])`) and `z.void()` (a workflow that
  // takes no input) are what a left-out input arrives as: null. As `{}` (zod's "any") they would
  // let every input through, to fail the run at the worker instead of a 422 at start.
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", override: (ctx) => (nullForUndefined(ctx), anyForCatch(ctx)) }) as Record<string, unknown>;
  const takesNull = json.type === "null" || (Array.isArray(json.anyOf) && json.anyOf.some((m: { type?: unknown }) => m.type === "null"));
  if (!leavesOut(schema) || takesNull) return json;
  // An input that may be left out (`.optional()` at the top): JSON Schema has no undefined, and
  // zod drops the optionality, so a start without input (null on the wire) would be refused. Null
  // joins the accepted values; $schema and $defs stay at the root, where references resolve.
  const { $schema, $defs, ...rest } = json;
  return { ...($schema === undefined ? {} : { $schema }), ...($defs === undefined ? {} : { $defs }), anyOf: [rest, { type: "null" }] };
}

function nullForUndefined(ctx: OverrideContext & { path: readonly (string | number)[] }): void {
  if (!LEFT_OUT.has(defOf(ctx.zodSchema as z.ZodType).type)) return;
  // The input itself, or a member of its top-level union: null is how a left-out input travels.
  // Deeper, JSON has no value for undefined (a property is left out instead, and an array's
  // undefined item arrives as null, which zod refuses for z.undefined()): such a member matches
  // nothing, so the platform refuses what the worker's parse would.
  if (ctx.path.every((p) => typeof p === "number" || p === "anyOf" || p === "oneOf")) ctx.jsonSchema.type = "null";
  else ctx.jsonSchema.not = {};
}

type OverrideContext = { zodSchema: unknown; jsonSchema: Record<string, unknown> };

/**
 * `.catch(fallback)` takes any value, or none, and the worker's parse puts the fallback in its
 * place; zod registers it as its inner schema (required in its object), which would refuse at
 * start what the worker runs. It registers as any value, and its property as one that may be left out.
 */
function anyForCatch(ctx: OverrideContext): void {
  const def = defOf(ctx.zodSchema as z.ZodType);
  if (def.type === "catch") {
    for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  } else if (def.type === "object" && def.shape !== undefined && Array.isArray(ctx.jsonSchema.required)) {
    const shape = def.shape;
    const required = (ctx.jsonSchema.required as string[]).filter((key) => shape[key] === undefined || !takesAnything(shape[key]));
    if (required.length > 0) ctx.jsonSchema.required = required;
    else delete ctx.jsonSchema.required;
  }
}

/** Whether a schema takes any input at all: a `.catch()`, possibly behind wrappers that keep that so. */
function takesAnything(schema: z.ZodType, depth = 0): boolean {
  const def = defOf(schema);
  if (def.type === "catch") return true;
  if (depth > 32) return false;
  if ((def.type === "nullable" || def.type === "optional" || def.type === "default" || def.type === "prefault" || def.type === "readonly") && def.innerType) return takesAnything(def.innerType, depth + 1);
  // `.catch(x).transform(f)`: the transform takes whatever the catch gives it.
  if (def.type === "pipe" && def.in !== undefined && def.out !== undefined && defOf(def.out).type === "transform") return takesAnything(def.in, depth + 1);
  return false;
}

/** Whether the schema takes an input left out (undefined) but not null: then null means "left out" ({@link safeParseInput}). */
function leavesOut(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success && !schema.safeParse(null).success;
}

/**
 * Parses a workflow's input with its schema; a mismatch becomes a non-retryable
 * `ApplicationFailure` of type `InvalidInput` whose message names each field at fault.
 */
export function parseInput<T>(workflowName: string, schema: z.ZodType<T>, raw: unknown): T {
  const result = safeParseInput(schema, raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "input"}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`invalid input for workflow "${workflowName}": ${issues.join("; ")}`, "InvalidInput", { issues });
}

/**
 * `schema.safeParse(raw)`, where a null `raw` is also "no input": JSON has no `undefined`, so an
 * input left out (`ctx.executeActivity(a)`, a start without `input`) arrives as null, and a schema
 * written for an optional input (`z.string().optional()`) accepts undefined but not null. It gets
 * undefined then, as the caller's code passed; a null the schema accepts stays null. The same raw
 * input always parses the same way, so a replay sees what the first run saw.
 */
export function safeParseInput<T>(schema: z.ZodType<T>, raw: unknown): z.ZodSafeParseResult<T> {
  const result = schema.safeParse(raw);
  if (result.success || raw !== null || !leavesOut(schema)) return result;
  return schema.safeParse(undefined);
}
