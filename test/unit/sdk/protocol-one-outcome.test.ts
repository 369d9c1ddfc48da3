import { describe, expect, it } from "vitest";
import { Command, QueryResponseRequest } from "@sundial/sdk/protocol";

// An update's or a query's answer is a result or a failure (a durable step's record_step is checked
// by the core's command planner, test/unit/core/execution.test.ts, as a 422 invalid_command). A message carrying both used to be
// accepted with one of them silently winning; the wire schema (shared by SDK and server) refuses it.

const failure = { message: "no" };
const token = "t".repeat(20);

describe("an answer carries a result or a failure, not both", () => {
  it.each([
    ["complete_update", (o: object) => Command.safeParse({ type: "complete_update", update_id: "u1", ...o })],
    ["query/respond", (o: object) => QueryResponseRequest.safeParse({ task_token: token, ...o })],
  ])("%s accepts either one or neither, and refuses both, naming failure", (_name, parse) => {
    expect(parse({ result: 1 }).success).toBe(true);
    expect(parse({ failure }).success).toBe(true);
    expect(parse({}).success).toBe(true);
    for (const result of [1, null, { ok: true }]) {
      const r = parse({ result, failure });
      expect(r.success).toBe(false);
      expect(r.error!.issues).toEqual([expect.objectContaining({ path: ["failure"], message: expect.stringContaining("not both") })]);
    }
  });
});
