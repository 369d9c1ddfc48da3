import { describe, expect, it } from "vitest";
import { validateJsonSchema } from "../../../src/core/json-schema.ts";
import { LIMITS } from "../../../src/core/limits.ts";

describe("json-schema subset validator", () => {
  it("names the path of the first problem", () => {
    const schema = { type: "object", properties: { user: { type: "object", properties: { age: { type: "integer", minimum: 0 } }, required: ["age"] } }, required: ["user"] };
    expect(validateJsonSchema(schema, { user: { age: -1 } })).toEqual({ path: "input.user.age", message: "must be >= 0" });
    expect(validateJsonSchema(schema, { user: {} })).toEqual({ path: "input.user.age", message: "is required" });
    expect(validateJsonSchema(schema, { user: { age: 3 } })).toBeNull();
  });

  it("does not mistake inherited names for properties", () => {
    expect(validateJsonSchema({ type: "object", properties: {}, additionalProperties: false }, JSON.parse('{"constructor":1}'))).toEqual({ path: "input.constructor", message: "unknown field" });
    expect(validateJsonSchema({ type: "object", required: ["toString"] }, {})).toEqual({ path: "input.toString", message: "is required" });
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
