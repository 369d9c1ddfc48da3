import { expect } from "vitest";
import type { Command } from "@sundial/sdk/protocol";
import { activate, type ActivateOptions, type OfferedUpdate, type WorkflowDefinition, type WorkflowState } from "@sundial/sdk/workflow";
import type { HistoryBuilder } from "./history.ts";

/** Failure stacks name files and call paths: not part of what a task must reproduce. */
export function withoutStacks<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutStacks) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "stack").map(([k, v]) => [k, withoutStacks(v)])) as T;
}

/**
 * Drives a workflow task by task the way a worker does, and checks at every task that a full
 * replay of the history and the continuation of the previous task's cached state emit the same
 * commands. `complete()` records the last task's commands (and its accepted updates) in history.
 */
export class Driver {
  state: WorkflowState | undefined;
  private offered: readonly OfferedUpdate[] = [];

  readonly def: WorkflowDefinition;
  readonly h: HistoryBuilder;
  readonly options: Pick<ActivateOptions, "executionId" | "runNumber">;

  constructor(def: WorkflowDefinition, h: HistoryBuilder, options: Pick<ActivateOptions, "executionId" | "runNumber"> = {}) {
    this.def = def;
    this.h = h;
    this.options = options;
  }

  /** Processes the history up to its last workflow_task_started (with `updates` offered). */
  async task(updates?: readonly OfferedUpdate[]): Promise<Command[]> {
    const opts = { logSink: () => {}, ...this.options, ...(updates === undefined ? {} : { updates }) };
    const full = await activate(this.def, this.h.build(), undefined, opts);
    const cached = await activate(this.def, this.h.build(), this.state, opts);
    expect(cached.fromCache, "the cached state continues").toBe(this.state !== undefined);
    expect(withoutStacks(cached.commands), "full replay and cached state agree").toEqual(withoutStacks(full.commands));
    this.state = cached.state;
    this.offered = updates ?? [];
    return withoutStacks(full.commands);
  }

  /** Records `commands` (those of the last task) as the platform does. */
  complete(commands: Command[]): HistoryBuilder {
    return this.h.complete(commands, this.offered);
  }
}
