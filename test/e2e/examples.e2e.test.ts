/**
 * The examples, run the way their READMEs say (npm scripts and `npx node <file>`), against a real
 * `wrangler dev`: what a new user does right after the quickstart must keep working.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, Child, ROOT } from "../support/processes.ts";
import { DEV_KEY, Platform } from "./platform.ts";

const run = promisify(execFile);
let platform: Platform;

/** The environment a user's shell has after `npm install`, pointed at this test's platform. */
const userEnv = () => ({ ...process.env, PATH: `${BIN}:${process.env.PATH}`, SUNDIAL_URL: platform.url, SUNDIAL_API_KEY: DEV_KEY });

beforeAll(async () => {
  platform = await Platform.start();
});

afterAll(async () => {
  await platform?.stop();
});

describe("the examples, as their READMEs run them", () => {
  it("hello: `npm run example:worker`, then `npm run example:start` prints the greeting", async () => {
    const queue = "hello-e2e";
    const worker = new Child("npm run example:worker", "npm", ["run", "-s", "example:worker"], { ...userEnv(), SUNDIAL_TASK_QUEUE: queue });
    await worker.waitFor("polling");
    const { stdout } = await run("npm", ["run", "-s", "example:start", "--", "Ada"], { cwd: ROOT, env: { ...userEnv(), SUNDIAL_TASK_QUEUE: queue } });
    expect(stdout).toMatch(/^started \S+ \(run \S+\)$/m);
    expect(stdout).toContain("greeting: 'Hello, Ada!'");
    await worker.stop();
  });

  it("schedules: the worker, then per-user-reminders.ts --trigger runs user_123's reminder, and --cleanup deletes the schedules", async () => {
    const worker = new Child("schedules worker", "npx", ["node", "examples/schedules/worker.ts"], userEnv());
    await worker.waitFor("polling");
    const script = ["node", "examples/schedules/per-user-reminders.ts"];
    const { stdout } = await run("npx", [...script, "--trigger"], { cwd: ROOT, env: userEnv() });
    expect(stdout).toMatch(/created user-reminder:user_123/);
    expect(stdout).toMatch(/created: false, id user-reminder:user_123, version 2/);
    expect(stdout).toMatch(/2027-03-14T07:30:00\.000Z {2}Sun, Mar 14, 03:30 EDT/);
    expect(stdout).toMatch(/^ {3}started: user-reminder:user_123:/m);
    expect(stdout).toMatch(/^ {3}completed:/m);
    expect(stdout).toContain("A typo in a zone is refused before anything is written: 422 validation_failed at timezone");
    const listed = await platform.api("GET", "/v1/workflows/schedules?workflow=user-reminder");
    expect(listed.body.schedules).toHaveLength(4);
    const cleanup = await run("npx", [...script, "--cleanup"], { cwd: ROOT, env: userEnv() });
    expect(cleanup.stdout.match(/^deleted /gm)).toHaveLength(4);
    expect((await platform.api("GET", "/v1/workflows/schedules?workflow=user-reminder")).body.schedules).toEqual([]);
    await worker.stop();
  });
});
