import { describe, expect, it } from "vitest";
import { z } from "zod";
import { activate, defineActivity, defineWorkflow, inputJsonSchema, parseInput } from "@sundial/sdk/workflow";
import { safeParseInput } from "../../../sdk/src/workflow/input-schema.ts";
import { Name } from "@sundial/sdk/protocol";
import { HistoryBuilder } from "./helpers/history.ts";
import { validateJsonSchema } from "../../../src/core/json-schema.ts";

const quiet = { logSink: () => {} };

const PromptInput = z.strictObject({ prompt: z.string() });
const CountInput = z.strictObject({ count: z.number().int() });

async function firstCommand(def: Parameters<typeof activate>[0], input: unknown) {
  const { commands } = await activate(def, new HistoryBuilder({ workflow: def.name, input }).task().build(), undefined, quiet);
  return commands[0];
}

const flexible = defineWorkflow({
  name: "flexible_workflow",
  input: z.union([PromptInput, CountInput, z.null()]),
  run: async (_ctx, params) => {
    if (params === null) return "no input";
    if ("prompt" in params) return `prompt: ${params.prompt}`;
    return `count: ${params.count}`;
  },
});

describe("workflow input schemas", () => {
  it.each([
    [{ prompt: "hello" }, "prompt: hello"],
    [{ count: 42 }, "count: 42"],
    [null, "no input"],
  ])("a union of objects matches members in order: %j → %s", async (input, expected) => {
    expect(await firstCommand(flexible, input)).toEqual({ type: "complete_workflow", result: expected });
  });

  it("an input matching no member fails the run with a non-retryable InvalidInput failure", async () => {
    const cmd = await firstCommand(flexible, { count: 42, extra: "field" });
    expect(cmd).toMatchObject({ type: "fail_workflow", failure: { type: "InvalidInput", non_retryable: true, message: expect.stringContaining('invalid input for workflow "flexible_workflow"') } });
  });

  it("discriminated unions of objects are accepted and dispatch on the tag", async () => {
    const wf = defineWorkflow({
      name: "tagged",
      input: z.discriminatedUnion("kind", [z.object({ kind: z.literal("a"), x: z.number() }), z.object({ kind: z.literal("b"), y: z.string() })]).nullable(),
      run: async (_ctx, input) => (input === null ? "none" : input.kind === "a" ? input.x * 2 : input.y.toUpperCase()),
    });
    expect(await firstCommand(wf, { kind: "b", y: "hi" })).toEqual({ type: "complete_workflow", result: "HI" });
    expect(await firstCommand(wf, { kind: "a", x: 21 })).toEqual({ type: "complete_workflow", result: 42 });
  });

  it("primitives and objects are parsed (defaults applied) before run", async () => {
    const report = defineWorkflow({
      name: "report_workflow",
      input: z.object({ report_type: z.string(), include_details: z.boolean().default(false) }),
      run: async (_ctx, input) => input,
    });
    expect(await firstCommand(report, { report_type: "daily" })).toEqual({ type: "complete_workflow", result: { report_type: "daily", include_details: false } });
    const count = defineWorkflow({ name: "count", input: z.number().int().positive(), run: async (_ctx, n) => n + 1 });
    expect(await firstCommand(count, 41)).toEqual({ type: "complete_workflow", result: 42 });
    expect(await firstCommand(count, "41")).toMatchObject({ type: "fail_workflow", failure: { type: "InvalidInput" } });
  });

  it("an input whose fields all have defaults may be left out with .prefault({}), as the seed's run(self, report_type=\"daily\") takes no input", async () => {
    // zod 4's .prefault({}) parses {} through the object, so every field's default applies (.default({}) would hand {} over as is).
    const Input = z.object({ report_type: z.string().default("daily"), include_details: z.boolean().default(false) }).prefault({});
    const wf = defineWorkflow({ name: "report_defaults", input: Input, run: async (_ctx, input) => input });
    expect(await firstCommand(wf, null)).toEqual({ type: "complete_workflow", result: { report_type: "daily", include_details: false } });
    expect(await firstCommand(wf, { report_type: "weekly" })).toEqual({ type: "complete_workflow", result: { report_type: "weekly", include_details: false } });
    expect(wf.inputJsonSchema).toMatchObject({ anyOf: [{ type: "object" }, { type: "null" }] });
  });

  it("a union mixing an object with a primitive throws at define time, like the seed", () => {
    expect(() => defineWorkflow({ name: "my_workflow", input: z.union([PromptInput, z.string()]), run: async () => null })).toThrow(
      'Input schema of workflow "my_workflow" has unsupported union members: string. Union inputs only support object schemas and null. Use a dedicated object schema instead, e.g. z.object({ value: z.union([...]) }). If you genuinely need a union that includes a non-object type, name it: z.union([...]).meta({ id: "PromptOrRaw" }).',
    );
  });

  it("a named union (.meta({ id }), the seed's named RootModel) may mix in a primitive: tried in order, registered as a $ref to its name", async () => {
    const PromptOrRaw = z.union([PromptInput, z.string()]).meta({ id: "PromptOrRaw" });
    const wf = defineWorkflow({
      name: "my_workflow",
      input: PromptOrRaw,
      run: async (_ctx, params) => (typeof params === "string" ? `raw: ${params}` : `structured: ${params.prompt}`),
    });
    expect(await firstCommand(wf, "hello")).toEqual({ type: "complete_workflow", result: "raw: hello" });
    expect(await firstCommand(wf, { prompt: "hi" })).toEqual({ type: "complete_workflow", result: "structured: hi" });
    expect(await firstCommand(wf, 7)).toMatchObject({ type: "fail_workflow", failure: { type: "InvalidInput" } });
    expect(wf.inputJsonSchema).toMatchObject({ $ref: "#/$defs/PromptOrRaw", $defs: { PromptOrRaw: { anyOf: [{ type: "object" }, { type: "string" }] } } });
    // Optional around the named union: still the named union inside.
    expect(() => defineWorkflow({ name: "w2", input: PromptOrRaw.optional(), run: async () => null })).not.toThrow();
    // Named, then described or given more metadata (new zod instances whose own entry lacks the id), or named under a wrapper: still named.
    for (const input of [PromptOrRaw.describe("d"), PromptOrRaw.meta({ title: "t" }), z.union([PromptInput, z.string()]).optional().meta({ id: "Opt" }).nullable()]) {
      expect(() => defineWorkflow({ name: "w4", input, run: async () => null })).not.toThrow();
    }
    // A named union as a member of an unnamed one is one member, as a named RootModel is.
    const CountInput = z.strictObject({ count: z.number() });
    const outer = defineWorkflow({ name: "w5", input: z.union([CountInput, PromptOrRaw]), run: async (_ctx, p) => (typeof p === "string" ? p : "count" in p ? p.count : p.prompt) });
    expect(await firstCommand(outer, "raw")).toEqual({ type: "complete_workflow", result: "raw" });
    expect(await firstCommand(outer, { count: 3 })).toEqual({ type: "complete_workflow", result: 3 });
    // A description is not a name: still refused.
    expect(() => defineWorkflow({ name: "w3", input: z.union([PromptInput, z.string()]).describe("prompt or raw"), run: async () => null })).toThrow("unsupported union members: string");
  });

  it("names every unsupported member, also inside nested, optional or nullable unions", () => {
    const schema = z.union([PromptInput, z.union([z.number(), z.array(z.string())])]).optional();
    expect(() => defineWorkflow({ name: "w", input: schema, run: async () => null })).toThrow("has unsupported union members: number, array.");
  });

  it("accepts null written as z.literal(null), the same input as z.null()", async () => {
    const wf = defineWorkflow({ name: "maybe_prompt", input: z.union([PromptInput, z.literal(null)]), run: async (_ctx, p) => (p === null ? "none" : p.prompt) });
    expect(await firstCommand(wf, null)).toEqual({ type: "complete_workflow", result: "none" });
  });

  it("checks a union behind z.preprocess too (its pipe's input side is the transform)", () => {
    const schema = z.preprocess((x) => x, z.union([PromptInput, z.string()]));
    expect(() => defineWorkflow({ name: "w", input: schema, run: async () => null })).toThrow("has unsupported union members: string.");
  });

  it("accepts a union member written A.and(B): merged into one object, its tag dispatches, the JSON Schema has the merged shape", async () => {
    const Base = z.strictObject({ id: z.string() });
    const wf = defineWorkflow({
      name: "merged",
      input: z.union([Base.and(z.strictObject({ kind: z.literal("a"), x: z.number() })), Base.and(z.strictObject({ kind: z.literal("b"), y: z.string() })), z.null()]),
      run: async (_ctx, input) => (input === null ? "none" : input.kind === "a" ? `${input.id}:${input.x * 2}` : `${input.id}:${input.y}`),
    });
    expect(await firstCommand(wf, { id: "i", kind: "b", y: "hi" })).toEqual({ type: "complete_workflow", result: "i:hi" });
    expect(await firstCommand(wf, { id: "i", kind: "a", x: 21 })).toEqual({ type: "complete_workflow", result: "i:42" });
    expect(await firstCommand(wf, { id: "i", kind: "a", x: 1, extra: true })).toMatchObject({ type: "fail_workflow", failure: { type: "InvalidInput" } });
    expect(wf.inputJsonSchema).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      anyOf: [
        { type: "object", properties: { id: { type: "string" }, kind: { type: "string", const: "a" }, x: { type: "number" } }, required: ["id", "kind", "x"], additionalProperties: false },
        { type: "object", properties: { id: { type: "string" }, kind: { type: "string", const: "b" }, y: { type: "string" } }, required: ["id", "kind", "y"], additionalProperties: false },
        { type: "null" },
      ],
    });
    // Nested intersections, and a key both sides declare the same way, merge too.
    const Kind = z.literal("c");
    expect(() => defineWorkflow({ name: "w", input: z.union([Base.and(z.object({ kind: Kind })).and(z.object({ kind: Kind, n: z.number() })), z.null()]), run: async () => null })).not.toThrow();
  });

  it("refuses a union member intersection that cannot be merged, naming the member and the property", () => {
    const A = z.object({ kind: z.literal("a") });
    expect(() => defineWorkflow({ name: "w", input: z.union([z.null(), A.and(z.string())]), run: async () => null })).toThrow(
      'Input schema of workflow "w": union member 2 is an intersection that cannot be merged into one object: one side is string, not an object.',
    );
    expect(() => defineWorkflow({ name: "w", input: z.union([A, z.object({ n: z.number() }).and(z.object({ kind: z.literal("b") }).and(z.object({ kind: z.string() })))]), run: async () => null })).toThrow(
      'Input schema of workflow "w": union member 2 is an intersection that cannot be merged into one object: property "kind" has different schemas on its sides.',
    );
  });

  it("exports the input side of the schema as JSON Schema for registration", () => {
    expect(flexible.inputJsonSchema).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      anyOf: [
        { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"], additionalProperties: false },
        { type: "object", properties: { count: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 } }, required: ["count"], additionalProperties: false },
        { type: "null" },
      ],
    });
    const withDefault = defineWorkflow({ name: "d", input: z.object({ a: z.string().default("x") }), run: async () => null });
    expect(withDefault.inputJsonSchema).toMatchObject({ type: "object", properties: { a: { type: "string", default: "x" } } });
    expect((withDefault.inputJsonSchema as { required?: string[] }).required).toBeUndefined();
  });

  it("checks workflow and activity names by the wire's Name rule (1-200 letters, digits and . _ : -)", () => {
    for (const name of ["a", "A.b_c:d-9", "x".repeat(200)]) {
      expect(Name.safeParse(name).success).toBe(true);
      expect(defineWorkflow({ name, run: async () => null }).name).toBe(name);
      expect(defineActivity({ name, run: async () => null }).name).toBe(name);
    }
    for (const name of ["", "x".repeat(201), "-lead", "a/b", "a b", 7]) {
      expect(Name.safeParse(name).success).toBe(false);
      expect(() => defineWorkflow({ name: name as string, run: async () => null })).toThrow("is invalid: use 1-200 letters");
      expect(() => defineActivity({ name: name as string, run: async () => null })).toThrow(TypeError);
    }
  });

  it("rejects bad names, execution timeouts and duplicate schedule keys at define time", () => {
    expect(() => defineWorkflow({ name: "has space", run: async () => null })).toThrow('workflow name "has space" is invalid');
    expect(() => defineWorkflow({ name: "t", executionTimeout: "forever" as never, run: async () => null })).toThrow('workflow "t" executionTimeout: invalid duration "forever"');
    expect(defineWorkflow({ name: "t", run: async () => null }).executionTimeout).toBe(3600);
    expect(defineWorkflow({ name: "t", executionTimeout: "7d", run: async () => null }).executionTimeout).toBe(604_800);
    expect(defineWorkflow({ name: "s", schedules: [{ cronExpressions: ["0 0 * * *"] }, { cronExpressions: ["0 12 * * *"] }], run: async () => null }).schedules).toHaveLength(2);
    expect(() =>
      defineWorkflow({ name: "s", schedules: [{ key: "u_1", cronExpressions: ["0 0 * * *"] }, { key: "u_1", cronExpressions: ["0 12 * * *"] }], run: async () => null }),
    ).toThrow('workflow "s" declares more than one schedule with key "u_1": give each schedule a distinct key');
  });
});

describe("an input that may be left out (travels as null)", () => {
  const Input = z.object({ n: z.number() });

  it("an optional schema registers null as accepted, and parses null as undefined", () => {
    const json = inputJsonSchema(Input.optional());
    expect(json).toEqual({ $schema: "https://json-schema.org/draft/2020-12/schema", anyOf: [{ type: "object", properties: { n: { type: "number" } }, required: ["n"] }, { type: "null" }] });
    expect(parseInput("w", Input.optional(), null)).toBeUndefined();
    expect(parseInput("w", Input.optional(), { n: 1 })).toEqual({ n: 1 });
  });

  it("a union with undefined registers it as null (not as any value) and parses null as undefined", () => {
    const union = z.union([Input, z.undefined()]);
    expect(inputJsonSchema(union)).toEqual({ $schema: "https://json-schema.org/draft/2020-12/schema", anyOf: [{ type: "object", properties: { n: { type: "number" } }, required: ["n"] }, { type: "null" }] });
    expect(parseInput("w", union, null)).toBeUndefined();
  });

  it("z.void() (a workflow that takes no input) registers null only, as z.undefined() does, not any value", () => {
    // zod renders void as {} (any value): the platform let {x: 1} start a run that then failed at
    // the worker with InvalidInput, instead of a 422 at start.
    const json = inputJsonSchema(z.void());
    expect(json).toEqual({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "null" });
    expect(validateJsonSchema(json, { x: 1 })).not.toBeNull();
    expect(validateJsonSchema(json, null)).toBeNull();
    expect(parseInput("w", z.void(), null)).toBeUndefined();
    expect(inputJsonSchema(z.union([Input, z.void()]))).toEqual(inputJsonSchema(z.union([Input, z.undefined()])));
    expect(() => defineWorkflow({ name: "w", input: z.union([Input, z.void()]), run: async () => null })).not.toThrow();
  });

  it("a schema that takes null keeps it, and one that takes neither still refuses it", () => {
    expect(inputJsonSchema(Input.nullish())).toEqual(z.toJSONSchema(Input.nullish(), { io: "input" }));
    expect(parseInput("w", Input.nullish(), null)).toBeNull();
    expect(inputJsonSchema(Input)).not.toHaveProperty("anyOf");
    expect(() => parseInput("w", Input, null)).toThrow(/invalid input for workflow "w"/);
  });
});

describe("the registered JSON Schema accepts what the worker's parse accepts", () => {
  // The platform checks starts against the registered schema (422 at start); the worker parses with
  // zod. Where they disagree, a start the worker would refuse is accepted and the run fails later.
  const X = z.object({ n: z.number() });
  type Node = { v: number; children?: Node[] };
  const Tree: z.ZodType<Node> = z.lazy(() => z.object({ v: z.number(), children: z.array(Tree).optional() }));
  const cases: Record<string, z.ZodType> = {
    "a property that is X or undefined": z.object({ a: z.union([X, z.undefined()]) }),
    "an optional property": z.object({ a: X.optional() }),
    "a property that is undefined, or left out": z.object({ a: z.undefined().optional(), b: z.number() }),
    "array items that may be undefined": z.array(z.union([z.string(), z.undefined()])),
    "a top-level union with undefined": z.union([X, z.undefined()]),
    "a top-level optional": X.optional(),
    "no input": z.void(),
    "multipleOf": z.object({ step: z.number().multipleOf(0.07), five: z.int().multipleOf(5) }),
    "a record keyed by an enum": z.record(z.enum(["a", "b"]), z.number()),
    "a record keyed by a pattern": z.record(z.string().regex(/^u_/), z.number()),
    "a discriminated union with an undefined member": z.discriminatedUnion("k", [z.object({ k: z.literal("a") }), z.object({ k: z.literal("b"), v: z.union([z.string(), z.undefined()]) })]),
    // .catch() takes any value (or none) and puts its fallback in its place.
    "a property with .catch()": z.object({ a: z.number().catch(0), b: z.number() }),
    "a nullable or piped property with .catch()": z.object({ a: z.number().catch(0).nullable(), c: z.string().catch("").transform((x) => x.length), b: z.number() }),
    "array items with .catch()": z.array(z.number().catch(0)),
    "a record's values with .catch()": z.record(z.string(), X.catch({ n: 0 })),
    // z.lazy() of the whole input: its JSON Schema refers to the root as "#".
    "a recursive tree": Tree,
  };
  const values: unknown[] = [
    null, 1, "x", [], ["x"], ["x", null], [null], {}, { a: null }, { a: { n: 1 } }, { a: { n: "1" } }, { a: 1, b: 2 }, { a: 1, c: 2 }, { a: 1, b: 2, c: 3 }, { b: 1 },
    { a: null, b: 1 }, { n: 1 }, { u_1: 1 }, { x: 1 }, { step: 2.03, five: 15 }, { step: 2.04, five: 15 }, { step: 0.07, five: 7 },
    { k: "a" }, { k: "b" }, { k: "b", v: "s" }, { k: "b", v: null },
    { v: 1 }, { v: 1, children: [{ v: 2, children: [] }] }, { v: 1, children: [{ v: "2" }] }, { v: 1, children: [{ v: 2, children: [{ v: null }] }] },
    { a: "x", b: 1 }, { a: "x", b: "y" }, { a: { n: 1 }, c: 5, b: 1 }, [1, "x", null], { x: "y" }, { x: { n: "1" } },
  ];

  for (const [name, schema] of Object.entries(cases)) {
    it(name, () => {
      const json = inputJsonSchema(schema);
      const verdicts = values.map((v) => ({ v, platform: validateJsonSchema(json, v) === null, worker: safeParseInput(schema, v).success }));
      expect(verdicts.filter((x) => x.platform !== x.worker)).toEqual([]);
      expect(verdicts.some((x) => x.worker)).toBe(true);
      expect(verdicts.some((x) => !x.worker)).toBe(true);
    });
  }

  it("an input with .catch() at the top: anything, or nothing, starts the run", () => {
    const schema = z.object({ n: z.number() }).catch({ n: 0 });
    const json = inputJsonSchema(schema);
    for (const v of values) expect({ v, platform: validateJsonSchema(json, v) === null }).toEqual({ v, platform: safeParseInput(schema, v).success });
    expect(safeParseInput(schema, "x").success).toBe(true);
  });
});
