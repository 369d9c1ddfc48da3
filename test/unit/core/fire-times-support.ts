import { expect } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { between } from "../../../src/core/fire-times.ts";

// Shared by fire-times.test.ts and fire-times-exclude.test.ts.
export const ms = (s: string): number => Date.parse(s);
export const iso = (t: number): string => new Date(t).toISOString();
const DEFAULT_CREATED = "2025-01-01T00:00:00Z";

export function compile(input: ScheduleSpecInput, createdAt = DEFAULT_CREATED): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: ms(createdAt) });
}

export interface Row {
  name: string;
  input: ScheduleSpecInput;
  createdAt?: string;
  from: string;
  to: string;
  fires: string[];
}

/** Asserts that `between(from, to]` of the row's spec is exactly its fires. */
export function run(row: Row): void {
  const spec = compile(row.input, row.createdAt);
  const got = between(spec, ms(row.from), ms(row.to)).map(iso);
  expect(got).toEqual(row.fires.map((f) => iso(ms(f))));
}
