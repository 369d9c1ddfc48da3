import { describe, expect, it, vi } from "vitest";
import { readRegistration, type WorkerLogFields } from "@sundial/sdk/worker";
import { refreshRegistration } from "../../../sdk/src/worker/registration.ts";

/**
 * What the worker logs when the platform keeps a workflow's definition back, for a workflow that
 * declares no schedules in code (the hello example run on a second task queue, say): the definition
 * kept back is its input schema, task queue and execution timeout, so the warning must not say that
 * "the schedules declared in code" were not applied, which sends the reader looking for schedules
 * the workflow never had.
 */

const why = "a build without a buildId registers hello on task queue other, and on task queue default too (61s ago), which sorts first";

function answer(kept: boolean) {
  return {
    namespace: "default",
    task_queue: "other",
    workflows: [{ name: "hello", schedules: [], applied: !kept }],
    activities: ["compose_greeting"],
    conflicts: kept ? [{ workflow: "hello", message: why }] : [],
  };
}

function recorder() {
  const warnings: [string, WorkerLogFields | undefined][] = [];
  const infos: string[] = [];
  return { warnings, infos, logger: { info: (m: string) => void infos.push(m), error: () => {}, warn: (m: string, f?: WorkerLogFields) => void warnings.push([m, f]) } };
}

describe("a kept-back workflow that declares no schedules in code", () => {
  it("is warned of as its definition not applied, not as schedules not applied", () => {
    const { warnings, logger } = recorder();
    const registered = readRegistration(answer(true), logger);
    expect(registered.conflicts).toEqual([{ workflow: "hello", scheduleIds: [], message: why }]);
    expect(warnings).toEqual([
      [`the definition of workflow "hello" (its input schema, task queue and execution timeout; it declares no schedules in code) was not applied: ${why}`, { workflow: "hello", schedule_ids: [], reason: why }],
    ]);
  });

  it("a running worker's refresh says so the same way when it is kept back, and when it is applied again", async () => {
    const { warnings, infos, logger } = recorder();
    const answers = [true, false];
    const register = vi.fn(async () => answer(answers.shift() ?? false));
    const stop = new AbortController();
    const registration = { task_queue: "other", identity: "w-1", workflows: [{ name: "hello", schedules: [] }], activities: [] };
    const running = refreshRegistration({ register } as never, registration as never, 1, { conflicts: [] }, logger, stop.signal);
    await vi.waitFor(() => expect(infos).toContain('the definition of workflow "hello" is applied'), { timeout: 2_000, interval: 10 });
    stop.abort();
    await running;
    expect(warnings.map(([m]) => m)).toEqual([`the definition of workflow "hello" (its input schema, task queue and execution timeout; it declares no schedules in code) is kept back: ${why}`]);
  });
});
