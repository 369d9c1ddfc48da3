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
