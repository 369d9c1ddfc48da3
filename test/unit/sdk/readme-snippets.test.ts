import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { extractSnippets, readReadme, snippetFile, typecheckSnippets, type Snippet, type SnippetError, type SnippetFile } from "./helpers/readme-snippets.ts";

/**
 * Every ```ts block of README.md (and of the examples' READMEs) typechecks against the real SDK (`@sundial/sdk/*`, resolved as for
 * any file of this repository) with the compiler options of tsconfig.json, so an example that calls
 * a function or option the SDK does not have, or passes the wrong type, fails here.
 *
 * The README's convention (see helpers/readme-snippets.ts): a block starting `// name.ts` is that
 * file and may be imported by later blocks (`./workflows.ts`); a fragment that uses names from
 * elsewhere (`ctx`, `client`, imports of an earlier block) has, on the line right before its
 * fence, `<!-- snippet: prelude=a,b -->` naming preludes from PRELUDES below, which are put before
 * its code. Preludes only declare what the README shows elsewhere; they never silence errors.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** What a fragment may take for granted. `import("…")` types, so a snippet's own imports never clash. */
const PRELUDES: Record<string, string> = {
  // The imports the first block (workflows.ts) shows, for fragments of workflow code.
  "workflow-imports": `import { ApplicationFailure, defineWorkflow } from "@sundial/sdk/workflow";\nimport { z } from "zod";`,
  // Inside a workflow's run(ctx, input).
  "workflow-context": `declare const ctx: import("@sundial/sdk/workflow").WorkflowContext;`,
  // The step functions the steps example names in its comments: fetchDailyData(): Promise<Rows>, createReport(data).
  "step-functions": [
    `type Rows = { day: string; total: number }[];`,
    `type Report = { title: string; rows: Rows };`,
    `declare function fetchDailyData(): Promise<Rows>;`,
    `declare function createReport(rows: Rows): Report;`,
    `declare function emailReport(report: Report): Promise<void>;`,
  ].join("\n"),
  // The other workflows the child-workflow example starts.
  "child-workflows": [
    `declare const auditTrail: import("@sundial/sdk/workflow").WorkflowDefinition<{ cursor: number }, void>;`,
    `declare const chargeCustomer: import("@sundial/sdk/workflow").WorkflowDefinition<{ id: string }, { chargedCents: number }>;`,
  ].join("\n"),
  // The client the executions example builds.
  client: `import { SundialClient } from "@sundial/sdk/client";\ndeclare const client: SundialClient;`,
};

/** Blocks that cannot be checked, by name, with the reason. Empty: every block is checked. */
const UNCHECKED: Record<string, string> = {};

/**
 * Snippets that must fail, checked in the same Program: proof that the check can fail for the
 * mistakes it exists to catch (and that `./workflows.ts` and the preludes reach the real types).
 */
const CANARIES: { name: string; preludes: string[]; code: string; error: RegExp }[] = [
  {
    name: "a misspelt runWorker option",
    preludes: [],
    code: `import { runWorker } from "@sundial/sdk/worker";\nrunWorker({ workflows: [], taskQueu: "default" });`,
    error: /'taskQueu' does not exist/,
  },
  {
    name: "a client method the SDK does not have",
    preludes: ["client"],
    code: `await client.schedules.craete({ workflow: "onboarding", cron: "0 8 * * *" });`,
    error: /'craete' does not exist/,
  },
  {
    name: "an activity option of the wrong type",
    preludes: [],
    code: `import { defineActivity } from "@sundial/sdk/workflow";\ndefineActivity({ name: "a", options: { retry: { maximumAttempts: "5" } }, run: async () => 1 });`,
    error: /not assignable to type 'number'/,
  },
  {
    name: "a start input that does not fit the README's own workflow",
    preludes: ["client"],
    code: `import { onboarding } from "./workflows.ts";\nawait client.executions.start(onboarding, { input: { email: "ada@example.com" } });`,
    error: /'name' is missing/,
  },
  {
    name: "a schedule policy field under its wire name",
    preludes: ["client"],
    code: `await client.schedules.create({ workflow: "onboarding", cron: "0 8 * * *", policy: { catchup_window_seconds: 60 } });`,
    error: /'catchup_window_seconds' does not exist/,
  },
];

/** The examples' READMEs follow the same convention; their blocks are checked as files of their own. */
const EXAMPLE_READMES = ["examples/hello/README.md", "examples/schedules/README.md"];

const snippets: (Snippet & { source: string })[] = [
  ...extractSnippets(readReadme(ROOT)).map((s) => ({ ...s, source: "README.md" })),
  ...EXAMPLE_READMES.flatMap((source) =>
    extractSnippets(readFileSync(join(ROOT, source), "utf8")).map((s) => ({
      ...s,
      name: `${source}: ${s.name}`,
      fileName: `${source.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-${s.fileName}`,
      source,
    })),
  ),
];
const checked = snippets.filter((s) => !(s.name in UNCHECKED));

function preludeText(names: string[]): string {
  return names.map((n) => PRELUDES[n] ?? `/* unknown prelude ${n} */`).join("\n");
}

const files: SnippetFile[] = [
  ...checked.map((s) => snippetFile(s.fileName, s.code, preludeText(s.preludes))),
  ...CANARIES.map((c, i) => snippetFile(`canary-${i}.ts`, c.code, preludeText(c.preludes))),
];

function describeErrors(errors: SnippetError[], source: string, fenceLine: number): string {
  return errors.map((e) => (e.snippetLine > 0 ? `${source}:${fenceLine + e.snippetLine}: ${e.message}` : `(prelude): ${e.message}`)).join("\n");
}

describe("README ts snippets", () => {
  let errors = new Map<string, SnippetError[]>();
  beforeAll(() => {
    errors = typecheckSnippets(ROOT, files);
  }, 60_000);

  it("finds the README's ts blocks; each is checked or listed with a reason; markers name known preludes", () => {
    expect(snippets.filter((s) => s.source === "README.md").length).toBeGreaterThanOrEqual(11);
    expect(snippets.filter((s) => s.source !== "README.md").length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(UNCHECKED).filter((name) => !snippets.some((s) => s.name === name))).toEqual([]);
    const unknown = snippets.flatMap((s) => s.preludes.filter((p) => !(p in PRELUDES)).map((p) => `${s.name}: ${p}`));
    expect(unknown).toEqual([]);
    const used = new Set([...snippets, ...CANARIES].flatMap((s) => s.preludes));
    expect(Object.keys(PRELUDES).filter((p) => !used.has(p))).toEqual([]);
    expect(snippets.filter((s) => s.fileName.startsWith("canary-"))).toEqual([]);
    // A directive that silences the compiler would make a block pass unchecked.
    expect(snippets.filter((s) => /@ts-(ignore|nocheck|expect-error)/.test(s.code)).map((s) => s.name)).toEqual([]);
  });

  it.each(checked.map((s) => ({ ...s, line: s.fenceLine })))("$name ($source:$line) typechecks against the SDK", (s) => {
    expect(describeErrors(errors.get(s.fileName) ?? [], s.source, s.fenceLine)).toBe("");
  });

  it.each(CANARIES.map((c, i) => ({ ...c, i })))("rejects $name", (c) => {
    const found = errors.get(`canary-${c.i}.ts`) ?? [];
    expect(found.map((e) => e.message).join("\n")).toMatch(c.error);
  });
});
