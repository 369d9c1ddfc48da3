/**
 * The SDK as an app outside this repository gets it: `npm run sdk:pack`, `npm install` of the
 * tarball into a fresh project, a worker and a client written in plain JavaScript run by the
 * machine's own Node (Node 20 on a fresh machine: no type stripping), against a real `wrangler dev`;
 * and a TypeScript file of that project type-checks against the shipped declarations.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, Child, ROOT } from "../support/processes.ts";
import { DEV_KEY, Platform, tempDir } from "./platform.ts";

/** The first `node` on PATH outside node_modules: the machine's own, not the project's Node 22. */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (!dir.includes("node_modules") && existsSync(candidate)) return candidate;
  }
  return join(BIN, "node");
}

const NODE = machineNode();
const machinePath = (process.env.PATH ?? "").split(delimiter).filter((d) => !d.includes("node_modules")).join(delimiter);
let platform: Platform;
let app: string;

const WORKER = `
import { z } from "zod";
import { runWorker } from "@sundial/sdk/worker";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";

const shout = defineActivity({ name: "pkg_shout", run: async (text, ctx) => \`\${text.toUpperCase()}! (attempt \${ctx.attempt})\` });
export const greet = defineWorkflow({
  name: "pkg_greet",
  input: z.object({ name: z.string() }),
  run: async (ctx, { name }) => ({ greeting: await ctx.executeActivity(shout, \`hello \${name}\`), node: process.versions.node.split(".")[0] }),
});
const worker = runWorker({ url: process.env.SUNDIAL_URL, apiKey: process.env.SUNDIAL_API_KEY, taskQueue: "pkg", workflows: [greet], activities: [shout] });
await worker.ready;
console.log("worker ready on node " + process.version);
await worker.done;
`;

const START = `
import { SundialClient } from "@sundial/sdk/client";
const client = new SundialClient({ url: process.env.SUNDIAL_URL, apiKey: process.env.SUNDIAL_API_KEY });
const outcome = await client.executions.execute("pkg_greet", { input: { name: "package" }, taskQueue: "pkg", timeout: "60s" });
console.log(JSON.stringify(outcome));
`;

// Types are real, not any: the expect-error lines fail the check if the declarations lose them.
const TYPED = `
import { z } from "zod";
import { SundialClient, SundialApiError } from "@sundial/sdk/client";
import { defineWorkflow } from "@sundial/sdk/workflow";

export const typed = defineWorkflow({ name: "pkg_typed", input: z.object({ n: z.number() }), run: async (_ctx, { n }) => n * 2 });
export async function main(client: SundialClient): Promise<number | undefined> {
  // @ts-expect-error: the input must match the workflow's schema
  await client.executions.start(typed, { input: { n: "two" } });
  const r = await client.executions.execute(typed, { input: { n: 2 } });
  if (r.status !== "completed") throw new SundialApiError({ status: 500, code: "x", title: "x", detail: "x", type: "about:blank" });
  // @ts-expect-error: a result is the workflow's output type
  const s: string = r.result;
  return r.result;
}
`;

beforeAll(async () => {
  platform = await Platform.start();
  const packed = execFileSync(join(BIN, "node"), [join(ROOT, "scripts/pack-sdk.mjs"), tempDir("sdk-pack")], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  app = tempDir("sdk-app");
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-app", private: true, type: "module" }));
  // The machine's npm and Node, as in a project of the user's own; zod comes as the SDK's peer.
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", packed], { cwd: app, env: { ...process.env, PATH: machinePath }, stdio: "pipe" });
  writeFileSync(join(app, "worker.mjs"), WORKER);
  writeFileSync(join(app, "start.mjs"), START);
  writeFileSync(join(app, "typed.ts"), TYPED);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ["typed.ts"] }));
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

describe("the packed SDK in a project of its own", () => {
  it(`a worker and a client in plain JavaScript run on the machine's Node (${NODE}) and complete a workflow`, async () => {
    const env = { SUNDIAL_URL: platform.url, SUNDIAL_API_KEY: DEV_KEY, PATH: machinePath };
    const worker = new Child("packaged worker", NODE, [join(app, "worker.mjs")], env);
    await worker.waitFor("worker ready");
    const out = execFileSync(NODE, [join(app, "start.mjs")], { cwd: app, env: { ...process.env, ...env }, encoding: "utf8" });
    const outcome = JSON.parse(out.trim().split("\n").pop()!);
    const version = execFileSync(NODE, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim();
    expect(outcome).toMatchObject({ status: "completed", result: { greeting: "HELLO PACKAGE! (attempt 1)", node: version } });
    await worker.stop();
  });

  it("a TypeScript file of that project type-checks against the shipped declarations", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    let problems = "";
    try {
      execFileSync(NODE, [tsc, "-p", join(app, "tsconfig.json")], { cwd: app, encoding: "utf8", stdio: "pipe" });
    } catch (err) {
      problems = `${(err as { stdout?: string }).stdout ?? ""}${(err as Error).message}`;
    }
    expect(problems).toBe("");
  });
});
