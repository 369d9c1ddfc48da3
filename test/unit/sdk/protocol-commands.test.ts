import { describe, expect, it } from "vitest";
import { Command, PollRequest, RegisterWorkerRequest } from "@sundial/sdk/protocol";

const schedule = (activity_type: string) => Command.safeParse({ type: "schedule_activity", seq: 1, activity_type, input: null });
const polls = (name: string) => PollRequest.safeParse({ task_queue: "q", kind: "activity", identity: "w", types: [name] }).success;
const registers = (name: string) => RegisterWorkerRequest.safeParse({ identity: "w", workflows: [], activities: [name] }).success;

describe("schedule_activity's activity_type and a poll's types follow the names a worker may register", () => {
  it.each([
    ["send_email", true],
    ["billing.charge:v2-eu", true],
    ["9lives", true],
    ["x".repeat(200), true],
    ["x".repeat(201), false],
    ["", false],
    ["send email", false],
    ["billing/charge", false],
    ["_private", false],
    ["charge@v2", false],
    ["é", false],
  ])("%j: accepted %s, as registration would", (name, ok) => {
    expect(schedule(name).success).toBe(ok);
    // The same rule, not a copy of it: whatever registration takes, a command may schedule.
    expect(registers(name)).toBe(ok);
    // A poll's types are names a worker registered too: one no worker could register matches nothing.
    expect(polls(name)).toBe(ok);
  });

  it("names the field at fault", () => {
    const r = schedule("send email");
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["activity_type"]);
  });
});

describe("set_patch_marker's patch_id", () => {
  const marker = (patch_id: unknown) => Command.safeParse({ type: "set_patch_marker", patch_id });
  it.each([
    ["charge-v2", true],
    ["any text: spaces, é, / too", true],
    ["x".repeat(200), true],
    ["x".repeat(201), false],
    ["", false],
    [42, false],
  ])("%j: accepted %s", (id, ok) => {
    expect(marker(id).success).toBe(ok);
  });

  it("is not deprecated unless it says so, and names the field at fault", () => {
    expect(marker("p").data).toEqual({ type: "set_patch_marker", patch_id: "p", deprecated: false });
    expect(marker("").error!.issues[0]!.path).toEqual(["patch_id"]);
  });
});
