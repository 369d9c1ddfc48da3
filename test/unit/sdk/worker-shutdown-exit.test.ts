import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { FakePlatform, until } from "./helpers/fake-platform.ts";

let fake: FakePlatform;
afterEach(async () => {
  await fake?.stop();
});

// In a child process: only there does a timer left running show, as a process that does not exit.
it("once shutdown resolved after the grace period ran out (an activity handed back), no timer of the worker keeps the process alive", async () => {
  fake = await new FakePlatform().start();
  const script = fileURLToPath(new URL("./fixtures/grace-worker.ts", import.meta.url));
  const child = spawn(process.execPath, [script, fake.url], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  await until(() => out.includes("ready"), 10_000, "child ready");
  fake.push({ kind: "activity", task_token: "a-1", execution_id: "ex", run_id: "r", workflow: "wf", activity_type: "slow", seq: 1, input: null, attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 300 });
  await exited;
  expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "a-1", failure: { type: "WorkerShutdown" } }]);
  const done = Number(/done (\d+)/.exec(out)?.[1]);
  const exit = Number(/exit (\d+)/.exec(out)?.[1]);
  // REPORT_GRACE_MS (5 s) is what a forgotten timer would hold it.
  expect(exit - done).toBeLessThan(1_000);
}, 20_000);
