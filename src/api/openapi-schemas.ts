import { z } from "zod";

/**
 * The document's `components.schemas`, filled as operations are generated. zod writes a recursive
 * schema (a failure's `cause`) as `$defs` inside the schema with `#/$defs/…` references, which in
 * an OpenAPI 3.1 document resolve against the document's root, where there is no `$defs`: they are
 * moved here and the references rewritten, one component per distinct definition. A definition
 * zod names from a schema's `id` meta (`Failure`) keeps that name; the unnamed ones are named
 * after the schema that first holds them.
 */
export class SchemaComponents {
  readonly schemas: Record<string, unknown> = {};
  private readonly byJson = new Map<string, string>();

  /** The JSON Schema of `schema`, its definitions moved to components named after `owner`. */
  jsonSchema(schema: z.ZodType, io: "input" | "output", owner: string): Record<string, unknown> {
    const { $schema: _, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
    if (!$defs) return rest;
    const names = new Map<string, string>();
    for (const [def, body] of Object.entries($defs as Record<string, unknown>)) {
      const unnamed = `${owner}_${def.replace(/^_+/, "")}`;
      names.set(def, this.reserve(JSON.stringify(body), def.startsWith("__") ? [unnamed] : [def, `${def}${io === "input" ? "Input" : "Output"}`, unnamed]));
    }
    const rewrite = (json: string) => json.replace(/"#\/\$defs\/([^"]+)"/g, (_m, def: string) => JSON.stringify(`#/components/schemas/${names.get(def)}`));
    for (const [def, body] of Object.entries($defs as Record<string, unknown>)) this.schemas[names.get(def)!] ??= JSON.parse(rewrite(JSON.stringify(body)));
    return JSON.parse(rewrite(JSON.stringify(rest))) as Record<string, unknown>;
  }

  /**
   * A component is named once per distinct definition (the same failure schema under every
   * operation is one component), with the first of `candidates` no other definition has (a named
   * schema differs as a request's input and a response's output: `Failure`, `FailureInput`).
   */
  private reserve(json: string, candidates: readonly string[]): string {
    const seen = this.byJson.get(json);
    if (seen !== undefined) return seen;
    const taken = new Set(this.byJson.values());
    const name = candidates.find((c) => !taken.has(c)) ?? candidates[candidates.length - 1]!;
    this.byJson.set(json, name);
    return name;
  }
}
