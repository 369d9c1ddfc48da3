import { describe, expect, it } from "vitest";
import { Command, type CommandInput } from "@sundial/sdk/protocol";
import { planCommands, unhandledCommandFailure, type CommandContext } from "../../../src/core/execution/commands.ts";

const ctx: CommandContext = { status: "running", lastActivitySeq: 0, lastTimerSeq: 0, pendingActivities: new Set(), pendingTimers: new Set(), cancelRequested: true };
const effectsOf = (...input: CommandInput[]) => planCommands(ctx, input.map((c) => Command.parse(c)));

describe("unhandledCommandFailure: a task may not close the run over events it never saw (Temporal's UnhandledCommand)", () => {
  it.each<[string, CommandInput[]]>([
    ["complete_workflow", [{ type: "complete_workflow", result: 1 }]],
    ["fail_workflow", [{ type: "fail_workflow", failure: { message: "no" } }]],
    ["cancel_workflow", [{ type: "cancel_workflow" }]],
    ["continue_as_new", [{ type: "continue_as_new", input: null }]],
    ["a timer, then complete_workflow", [{ type: "start_timer", seq: 1, duration: 5 }, { type: "complete_workflow", result: 1 }]],
  ])("%s with new events waiting: failed, retryable", (_name, commands) => {
    expect(unhandledCommandFailure(effectsOf(...commands), true)).toEqual({ message: expect.stringContaining("new events arrived"), type: "UnhandledCommand", non_retryable: false });
  });

  it.each<[string, CommandInput[], boolean]>([
    ["complete_workflow with nothing new", [{ type: "complete_workflow", result: 1 }], false],
    ["no commands with new events", [], true],
    ["a timer with new events", [{ type: "start_timer", seq: 1, duration: 5 }], true],
  ])("%s: may complete", (_name, commands, pending) => {
    expect(unhandledCommandFailure(effectsOf(...commands), pending)).toBeNull();
  });
});
