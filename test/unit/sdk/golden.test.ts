import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { HistoryEvent, type Command } from "@sundial/sdk/protocol";
import { activate, queryWorkflow, splitActivations, type WorkflowState } from "@sundial/sdk/workflow";
import { commandMatches } from "../../../sdk/src/workflow/command-matcher.ts";
import { COMMAND_EVENT_TYPES } from "../../../sdk/src/workflow/history-batches.ts";
import { goldenWorkflows } from "../../golden/workflows.ts";

/**
 * Replays every recorded history in test/golden/ against today's code. A change to the runtime or
 * to a golden workflow that alters the commands an old history produces fails here, loudly.
 */
const GoldenFile = z.object({
  description: z.string(),
  workflow: z.string(),
  execution_id: z.string(),
  history: z.array(HistoryEvent),
  expected: z.array(
    z.object({
      task_started_event: z.number().int(),
      /** Updates the platform offered to this task; `commands` then ends with their accept/reject answers. */
      updates: z.array(z.object({ update_id: z.string(), name: z.string(), input: z.unknown() })).optional(),
      commands: z.array(z.unknown()),
    }),
  ),
  /** Queries answered on the history up to (and including) event `history_up_to`. */
  queries: z.array(z.object({ history_up_to: z.number().int(), name: z.string(), input: z.unknown().optional(), result: z.unknown() })).default([]),
});

/** Update answers are not command events: the platform records update_accepted after the task's command events. */
const isUpdateAnswer = (c: unknown) => (c as Command).type === "accept_update" || (c as Command).type === "reject_update";

const dir = fileURLToPath(new URL("../../golden/", import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
const quiet = { logSink: () => {} };

/** Failure stacks name files on the machine that ran the code: not part of the contract. */
function withoutStacks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStacks);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "stack").map(([k, v]) => [k, withoutStacks(v)]));
}

it("there are golden histories to replay", () => {
  expect(files.length).toBeGreaterThanOrEqual(4);
});

describe.each(files)("golden history %s", (file) => {
  const golden = GoldenFile.parse(JSON.parse(readFileSync(dir + file, "utf8")));
  const def = goldenWorkflows.get(golden.workflow);
  const options = { ...quiet, executionId: golden.execution_id };
  const upTo = (eventId: number) => golden.history.slice(0, golden.history.findIndex((e) => e.id === eventId) + 1);

  it("names a golden workflow and lists every workflow task of its history", () => {
    expect(def, `no workflow "${golden.workflow}" in test/golden/workflows.ts`).toBeDefined();
    const tasks = splitActivations(golden.history).flatMap((a) => (a.started ? [a.started.id] : []));
    expect(golden.expected.map((e) => e.task_started_event)).toEqual(tasks);
  });

  it("is internally consistent: each task's expected commands are what its history recorded", () => {
    const activations = splitActivations(golden.history);
    golden.expected.forEach((exp, i) => {
      const next = activations[i + 1]?.events ?? [];
      const recorded = next.filter((e) => COMMAND_EVENT_TYPES.has(e.type));
      const commands = exp.commands.filter((c) => !isUpdateAnswer(c));
      expect(recorded.length, `task at event ${exp.task_started_event}`).toBe(commands.length);
      recorded.forEach((ev, j) => expect(commandMatches(commands[j] as Command, ev), `event ${ev.id}`).toBe(true));
      // Accepted updates appear, in order, as update_accepted after the task's command events; rejected ones nowhere.
      const accepted = exp.commands.flatMap((c) => ((c as Command).type === "accept_update" ? [(c as { update_id: string }).update_id] : []));
      expect(next.flatMap((e) => (e.type === "update_accepted" ? [e.update_id] : [])), `task at event ${exp.task_started_event}`).toEqual(accepted);
      const lastCommandEvent = next.findLastIndex((e) => COMMAND_EVENT_TYPES.has(e.type));
      next.forEach((e, j) => {
        if (e.type === "update_accepted") expect(j, `update_accepted ${e.id} follows the command events`).toBeGreaterThan(lastCommandEvent);
      });
    });
    const rejected = golden.expected.flatMap((exp) => exp.commands.flatMap((c) => ((c as Command).type === "reject_update" ? [(c as { update_id: string }).update_id] : [])));
    for (const id of rejected) expect(JSON.stringify(golden.history), `rejected update ${id} left no trace`).not.toContain(`"${id}"`);
  });

  it("replays each task from scratch to exactly the expected commands", async () => {
    for (const exp of golden.expected) {
      const { commands } = await activate(def!, upTo(exp.task_started_event), undefined, { ...options, ...(exp.updates ? { updates: exp.updates } : {}) });
      expect(withoutStacks(commands), `task at event ${exp.task_started_event}`).toEqual(exp.commands);
    }
  });

  it("gives the same commands when each task continues the previous task's cached state", async () => {
    let state: WorkflowState | undefined;
    for (const [i, exp] of golden.expected.entries()) {
      const result = await activate(def!, upTo(exp.task_started_event), state, { ...options, ...(exp.updates ? { updates: exp.updates } : {}) });
      expect(result.fromCache, `task at event ${exp.task_started_event}`).toBe(i > 0);
      expect(withoutStacks(result.commands)).toEqual(exp.commands);
      state = result.state;
    }
  });

  it.runIf(golden.queries.length > 0)("answers its recorded queries from the replayed history", async () => {
    for (const q of golden.queries) {
      const answer = await queryWorkflow(def!, upTo(q.history_up_to), { name: q.name, input: q.input }, options);
      expect(answer, `${q.name} up to event ${q.history_up_to}`).toEqual(q.result);
    }
  });

  it("replays the whole closed history without a non-determinism error", async () => {
    const { commands, state } = await activate(def!, golden.history, undefined, options);
    expect(commands).toEqual([]);
    expect(state.closed).toBe(true);
  });
});
