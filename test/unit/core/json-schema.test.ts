import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inputJsonSchema, safeParseInput } from "../../../sdk/src/workflow/input-schema.ts";
import { validateJsonSchema } from "../../../src/core/json-schema.ts";
import { LIMITS } from "../../../src/core/limits.ts";

describe("json-schema subset validator", () => {
  it("names the path of the first problem", () => {
    const schema = { type: "object", properties: { user: { type: "object", properties: { age: { type: "integer", minimum: 0 } }, required: ["age"] } }, required: ["user"] };
    expect(validateJsonSchema(schema, { user: { age: -1 } })).toEqual({ path: "input.user.age", message: "must be >= 0" });
    expect(validateJsonSchema(schema, { user: {} })).toEqual({ path: "input.user.age", message: "is required" });
    expect(validateJsonSchema(schema, { user: { age: 3 } })).toBeNull();
  });

  it("a value no union member accepts names the closest member's problem, then the others' (the Mistral seed's PromptInput | CountInput)", () => {
    const PromptInput = z.strictObject({ prompt: z.string() });
    const CountInput = z.strictObject({ count: z.number().int() });
    const schema = inputJsonSchema(z.union([PromptInput, CountInput]));
    expect(validateJsonSchema(schema, { prompt: "hello" })).toBeNull();
    expect(validateJsonSchema(schema, { count: 42 })).toBeNull();
    // CountInput was nearly right: the field it refuses is one the value has; PromptInput's complaint is a field it lacks.
    expect(validateJsonSchema(schema, { count: 42, extra: "field" })).toEqual({
      path: "input.extra",
      message: "unknown field (in shape 2 of 2, the closest; shape 1: input.prompt is required)",
    });
    // A problem deeper in the value wins over one at its top.
    expect(validateJsonSchema(schema, { count: 4.5 })).toMatchObject({ path: "input.count", message: expect.stringMatching(/^expected integer, got number \(in shape 2 of 2, the closest; shape 1: input.prompt is required\)$/) });
  });

  it("a tagged union (discriminated, or objects with literal tags) is judged by its tag first, as zod judges it", () => {
    const Email = z.object({ kind: z.literal("email"), address: z.string() });
    const Sms = z.object({ kind: z.literal("sms"), phone: z.string() });
    const Push = z.object({ kind: z.literal("push"), device: z.string() });
    for (const union of [z.discriminatedUnion("kind", [Email, Sms, Push]), z.union([Email, Sms, Push]), z.union([Email, Sms, Push.meta({ id: "Push" })])]) {
      const schema = inputJsonSchema(z.object({ channel: union }));
      // Not the first shape's "address is required": the tag picked the sms shape, and only its problem counts.
      expect(validateJsonSchema(schema, { channel: { kind: "sms" } })).toEqual({ path: "input.channel.phone", message: "is required" });
      expect(validateJsonSchema(schema, { channel: { kind: "push", device: 3 } })).toEqual({ path: "input.channel.device", message: "expected string, got integer" });
      expect(validateJsonSchema(schema, { channel: { kind: "fax", number: "1" } })).toEqual({ path: "input.channel.kind", message: 'must be one of "email", "sms", "push" (the field that picks the shape)' });
      expect(validateJsonSchema(schema, { channel: { address: "a@b.c" } })).toEqual({ path: "input.channel.kind", message: 'is required: one of "email", "sms", "push" (the field that picks the shape)' });
      expect(validateJsonSchema(schema, { channel: { kind: "email", address: "a@b.c" } })).toBeNull();
    }
    // Two shapes under one tag: the closest of those two, the third not mentioned.
    const Fax = z.object({ kind: z.literal("sms"), number: z.number() });
    const schema = inputJsonSchema(z.union([Email, Sms, Fax]));
    expect(validateJsonSchema(schema, { kind: "sms", phone: 3 })).toEqual({ path: "input.phone", message: "expected string, got integer (in shape 1 of 2, the closest; shape 2: input.number is required)" });
    // Nullable: null still passes, and an object is judged by its tag.
    const nullable = inputJsonSchema(z.discriminatedUnion("kind", [Email, Sms]).nullable());
    expect(validateJsonSchema(nullable, null)).toBeNull();
    expect(validateJsonSchema(nullable, { kind: "sms" })).toEqual({ path: "input.phone", message: "is required" });
    // Shapes without a common literal field keep the closest-shape message.
    const untagged = inputJsonSchema(z.union([z.object({ kind: z.literal("a"), x: z.string() }), z.object({ y: z.string() })]));
    expect(validateJsonSchema(untagged, { kind: "b" })!.message).toContain("the closest");
  });

  it("a union's message stays short: nested and recursive unions quote each other shape's own problem, cut short, at most three", () => {
    type Node = { next?: Node; a?: 1; b?: 2 };
    const Node: z.ZodType<Node> = z.lazy(() => z.union([z.strictObject({ next: Node.optional(), a: z.literal(1).optional() }), z.strictObject({ next: Node.optional(), b: z.literal(2).optional() })]));
    let value: Record<string, unknown> = { a: 2, b: 1 };
    for (let i = 0; i < 13; i++) value = { next: value };
    const problem = validateJsonSchema(inputJsonSchema(Node), value)!;
    expect(problem.path).toMatch(/^input(\.next){13}\.(a|b)$/);
    expect(problem.message.length).toBeLessThan(1_000);
    const wide = inputJsonSchema(z.union(Array.from({ length: 60 }, (_, i) => z.strictObject({ [`k${i}`]: z.string() }))));
    const many = validateJsonSchema(wide, { nope: 1 })!;
    expect(many.message).toMatch(/; 56 more\)$/);
    expect(many.message.length).toBeLessThan(1_000);
  });

  it("a .nullable() object or an optional input (zod's anyOf with null) is not a union the message talks about", () => {
    const schema = inputJsonSchema(z.object({ o: z.object({ y: z.string() }).nullable() }).optional());
    expect(validateJsonSchema(schema, { o: {} })).toEqual({ path: "input.o.y", message: "is required" });
  });

  it("a $ref to a name with / or ~ (JSON Pointer ~1 and ~0) is followed, not taken for an unknown reference", () => {
    const schema = inputJsonSchema(z.union([z.strictObject({ prompt: z.string() }), z.string()]).meta({ id: "app/Prompt~Raw" }));
    expect(schema.$ref).toBe("#/$defs/app~1Prompt~0Raw");
    expect(validateJsonSchema(schema, "hello")).toBeNull();
    expect(validateJsonSchema(schema, 7)).toMatchObject({ path: "input", message: expect.stringContaining("expected") });
  });

  it("a $ref to an id with % in it (zod writes it as it is) resolves; an id that only percent-decoding finds resolves too", () => {
    for (const id of ["a%20b", "a%2Fb", "50%off"]) {
      const schema = inputJsonSchema(z.union([z.strictObject({ a: z.string() }), z.string()]).meta({ id }));
      expect(validateJsonSchema(schema, "x"), id).toBeNull();
      expect(validateJsonSchema(schema, 5), id).not.toBeNull();
    }
    const encoded = { $ref: "#/$defs/a%20b", $defs: { "a b": { type: "string" } } };
    expect(validateJsonSchema(encoded, 5)).toMatchObject({ message: "expected string, got integer" });
  });

  it("a member that is a union with null first is still listed; a written shape is the closest before null", () => {
    const A = z.strictObject({ a: z.string() });
    const B = z.strictObject({ b: z.string() });
    const nested = validateJsonSchema(inputJsonSchema(z.union([A, z.union([z.null(), B])])), 5)!;
    expect(nested.message).toContain("shape 2:");
    expect(validateJsonSchema(inputJsonSchema(z.union([z.null(), A])), "x")).toEqual({ path: "input", message: "expected object, got string" });
  });

  it("an enum or const quoted in a problem is cut short: ten values, eighty characters each", () => {
    const many = validateJsonSchema({ enum: Array.from({ length: 2_000 }, (_, i) => `value-${i}`) }, "x")!;
    expect(many.message).toMatch(/^must be one of "value-0", .*"value-9" \(and 1990 more\)$/);
    const long = validateJsonSchema({ const: "y".repeat(10_000) }, "x")!;
    expect(long.message.length).toBeLessThan(100);
  });

  it("a shape that is itself a union is quoted as one, not by its closest shape alone", () => {
    const PromptOrRaw = z.union([z.strictObject({ prompt: z.string() }), z.string()]).meta({ id: "PromptOrRaw2" });
    const problem = validateJsonSchema(inputJsonSchema(z.union([z.strictObject({ count: z.number() }), PromptOrRaw])), 5)!;
    expect(problem.message).toContain("shape 2: input matches none of its 2 shapes (closest: expected object, got integer)");
  });

  it("does not mistake inherited names for properties", () => {
    expect(validateJsonSchema({ type: "object", properties: {}, additionalProperties: false }, JSON.parse('{"constructor":1}'))).toEqual({ path: "input.constructor", message: "unknown field" });
    expect(validateJsonSchema({ type: "object", required: ["toString"] }, {})).toEqual({ path: "input.toString", message: "is required" });
  });

  it("oneOf is checked as anyOf: shapes looser than their zod schema must not refuse what zod accepts", () => {
    // The .catch branch registers its tag as any value, so both shapes accept {type: "b"}: zod gives it to the second.
    const du = z.discriminatedUnion("type", [z.object({ type: z.literal("a").catch("a"), x: z.number() }), z.object({ type: z.literal("b"), x: z.number() })]);
    const refined = z.xor([z.string().refine((s) => s.startsWith("a")), z.string().refine((s) => s.startsWith("b"))]);
    const cases: [z.ZodType, unknown][] = [
      [du, { type: "b", x: 1 }],
      [refined, "abc"],
    ];
    for (const [schema, value] of cases) {
      const json = inputJsonSchema(schema); // what the SDK registers
      expect(safeParseInput(schema, value).success).toBe(true);
      expect(validateJsonSchema(json, value), JSON.stringify(value)).toBeNull();
    }
    // Matching no shape is still refused.
    expect(validateJsonSchema({ oneOf: [{ type: "string" }, { type: "number" }] }, true)).not.toBeNull();
  });

  it("bounds the work of recursive alternatives instead of hanging", () => {
    const schema = { $ref: "#/$defs/a", $defs: { a: { anyOf: [{ $ref: "#/$defs/a" }, { $ref: "#/$defs/a" }] } } };
    const t = performance.now();
    expect(validateJsonSchema(schema, 1)?.message).toMatch(/too complex/);
    expect(performance.now() - t).toBeLessThan(2_000);
  });

  it("checks ordinary patterns as before", () => {
    const schema = { type: "object", properties: { slug: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" }, day: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } } };
    expect(validateJsonSchema(schema, { slug: "user_1", day: "2027-01-31" })).toBeNull();
    expect(validateJsonSchema(schema, { slug: "User 1" })).toEqual({ path: "input.slug", message: "must match ^[a-z0-9_-]{1,64}$" });
    expect(validateJsonSchema(schema, { day: "31/01/2027" })?.path).toBe("input.day");
  });

  it(`fails a string longer than ${LIMITS.maxPatternInputLength} characters instead of running the pattern on it`, () => {
    const schema = { type: "string", pattern: "^a*$" };
    expect(validateJsonSchema(schema, "a".repeat(LIMITS.maxPatternInputLength))).toBeNull();
    expect(validateJsonSchema(schema, "a".repeat(LIMITS.maxPatternInputLength + 1))).toEqual({
      path: "input",
      message: "is longer than 10000 characters, the most a string checked against a pattern may have",
    });
  });

  it("never runs a catastrophic pattern (a schema registered before registration refused them)", () => {
    const schema = { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } };
    const t = performance.now();
    const p = validateJsonSchema(schema, { name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" });
    expect(performance.now() - t).toBeLessThan(500);
    expect(p?.path).toBe("input.name");
    expect(p?.message).toMatch(/cannot be checked: .*may backtrack catastrophically/);
  });
});

describe("keywords zod emits beyond the basics", () => {
  it("not: `not: {}` (a z.undefined() inside an object or array) matches no value, null included", () => {
    const schema = { type: "object", properties: { a: { anyOf: [{ type: "string" }, { not: {} }] } } };
    expect(validateJsonSchema(schema, { a: "x" })).toBeNull();
    expect(validateJsonSchema(schema, {})).toBeNull();
    expect(validateJsonSchema(schema, { a: null })?.path).toBe("input.a");
    expect(validateJsonSchema({ type: "array", items: { not: {} } }, [null])).toEqual({ path: "input.0", message: "must be left out" });
    expect(validateJsonSchema({ not: { type: "string" } }, "x")).toEqual({ path: "input", message: "matches a shape that is not allowed here" });
    expect(validateJsonSchema({ not: { type: "string" } }, 1)).toBeNull();
  });

  it("multipleOf: decimal multiples count despite binary rounding, as zod's check decides", () => {
    const step = { type: "number", multipleOf: 0.07 };
    expect(validateJsonSchema(step, 2.03)).toBeNull();
    expect(validateJsonSchema({ type: "number", multipleOf: 0.1 }, 0.3)).toBeNull();
    expect(validateJsonSchema({ type: "integer", multipleOf: 5 }, 15)).toBeNull();
    expect(validateJsonSchema({ type: "integer", multipleOf: 5 }, 7)).toEqual({ path: "input", message: "must be a multiple of 5" });
    expect(validateJsonSchema(step, 2.04)).toEqual({ path: "input", message: "must be a multiple of 0.07" });
  });

  it("propertyNames: every key is checked, and the problem names the field", () => {
    const schema = { type: "object", propertyNames: { type: "string", enum: ["a", "b"] }, additionalProperties: { type: "number" } };
    expect(validateJsonSchema(schema, { a: 1, b: 2 })).toBeNull();
    expect(validateJsonSchema(schema, { a: 1, c: 2 })).toEqual({ path: "input.c", message: 'is not an allowed field name: it must be one of "a", "b"' });
    expect(validateJsonSchema({ type: "object", propertyNames: { pattern: "^u_" } }, { x: 1 })).toEqual({ path: "input.x", message: "is not an allowed field name: it must match ^u_" });
  });
});
