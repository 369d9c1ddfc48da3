import { describe, expect, it } from "vitest";
import { validateJsonSchema } from "../../../src/core/json-schema.ts";

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
});
