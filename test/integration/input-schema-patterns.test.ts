import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inputJsonSchema } from "@sundial/sdk/workflow";
import { api, uid } from "./helpers.ts";

const register = (name: string, input_schema: unknown) =>
  api("POST", "/v1/workflows/workers/register", { identity: "pattern-test", task_queue: uid("q-pattern"), workflows: [{ name, input_schema }], activities: [] });

describe("input schema patterns", () => {
  it("a registration whose pattern may backtrack catastrophically is a 422 naming the pattern's path, and writes nothing", async () => {
    const wf = uid("re-bad");
    const r = await register(wf, { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "invalid_input_schema", field: "workflows.0.input_schema.properties.name.pattern" });
    expect(r.body.detail).toMatch(/may backtrack catastrophically/);
    // Nothing registered: the input is not checked against anything.
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" } })).status).toBe(201);
  });

  it("a local $ref that names no entry of $defs is a 422 naming it (it would check nothing at start); ids with / ~ % resolve", async () => {
    const wf = uid("bad-ref");
    const r = await register(wf, { $ref: "#/$defs/Missing", $defs: { Present: { type: "string" } } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "invalid_input_schema", field: "workflows.0.input_schema.$ref" });
    for (const id of ["app/Prompt", "a~b", "50%off"]) {
      const ok = await register(uid("good-ref"), inputJsonSchema(z.union([z.object({ p: z.string() }), z.string()]).meta({ id })));
      expect(ok.status, `${id}: ${JSON.stringify(ok.body)}`).toBeLessThan(300);
    }
  });

  it("refuses a pattern longer than 1,000 characters and one with a backreference, anywhere in the schema", async () => {
    const long = await register(uid("re-long"), { $defs: { id: { type: "string", pattern: "a".repeat(1_001) } }, $ref: "#/$defs/id" });
    expect(long.status).toBe(422);
    expect(long.body.field).toBe("workflows.0.input_schema.$defs.id.pattern");
    expect(long.body.detail).toMatch(/longer than 1000 characters/);
    const backref = await register(uid("re-backref"), { type: "array", items: { type: "string", pattern: "^(\\w)\\1$" } });
    expect(backref.status).toBe(422);
    expect(backref.body.field).toBe("workflows.0.input_schema.items.pattern");
  });

  it("ordinary patterns register and are enforced at create time", async () => {
    const wf = uid("re-ok");
    const reg = await register(wf, { type: "object", properties: { slug: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" }, day: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } } });
    expect(reg.status, JSON.stringify(reg.body)).toBeLessThan(300);
    const bad = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { slug: "Not A Slug" } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_input", field: "input.slug" });
    const tooLong = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { day: "1".repeat(10_001) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail).toMatch(/longer than 10000 characters/);
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { slug: "user_1", day: "2027-01-31" } })).status).toBe(201);
  });

  it("a zod input's multipleOf, record keys and nested undefined are enforced at start, as the worker's parse would", async () => {
    const wf = uid("zod-kw");
    const Input = z.object({ step: z.number().multipleOf(0.07), scores: z.record(z.enum(["a", "b"]), z.number()).optional(), note: z.union([z.string(), z.undefined()]).optional() });
    expect((await register(wf, inputJsonSchema(Input))).status).toBeLessThan(300);
    const start = (input: unknown) => api("POST", "/v1/workflows/executions", { workflow: wf, input });
    expect((await start({ step: 2.04 })).body).toMatchObject({ status: 422, code: "invalid_input", field: "input.step" });
    expect((await start({ step: 2.03, scores: { a: 1, b: 2, c: 3 } })).body).toMatchObject({ status: 422, code: "invalid_input", field: "input.scores.c" });
    expect((await start({ step: 2.03, note: null })).body).toMatchObject({ status: 422, code: "invalid_input", field: "input.note" });
    const ok = await start({ step: 2.03, scores: { a: 1, b: 2 }, note: "x" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it("a named union with a primitive member (the seed's named RootModel) registers as a $ref and is enforced at start", async () => {
    const wf = uid("prompt-or-raw");
    const PromptOrRaw = z.union([z.object({ prompt: z.string() }), z.string()]).meta({ id: "PromptOrRaw" });
    expect((await register(wf, inputJsonSchema(PromptOrRaw))).status).toBeLessThan(300);
    const start = (input: unknown) => api("POST", "/v1/workflows/executions", { workflow: wf, input });
    expect((await start("hello")).status).toBe(201);
    expect((await start({ prompt: "hi" })).status).toBe(201);
    expect((await start(7)).body).toMatchObject({ status: 422, code: "invalid_input" });
    expect((await start({ prompt: 7 })).body).toMatchObject({ status: 422, code: "invalid_input" });
  });
});
