/**
 * Benchmark entry: `npm run bench -- <suite> [args...]` runs `bench/<suite>.ts`, whose
 * `run(args)` prints one comparable table. Suites are imported on demand, so a missing or broken
 * suite only fails its own invocation (helpers shared by suites live in bench/lib/).
 */
import { existsSync, readdirSync } from "node:fs";

/** The suites this harness expects, in listing order. */
const PLANNED: readonly { name: string; about: string }[] = [
  { name: "core", about: "next-fire computations per second of src/core, beside cron-parser" },
  { name: "workflows", about: "workflows/s, start-to-close and dispatch latency on wrangler dev, beside Cloudflare Workflows" },
  { name: "schedules", about: "schedule creates/s, fire lateness of 1,000 simultaneous fires, listing among 100k, beside BullMQ" },
  { name: "profile", about: "where the platform's CPU goes for creates or workflows: per-process user/system time, the Worker isolate's hottest functions" },
];

/** Top-level .ts files that are not suites: this entry, and the bench Worker's entry (bench/wrangler.bench.toml). */
const NOT_SUITES = new Set(["run.ts", "bench-entry.ts"]);

/** Planned suites plus any other `bench/<name>.ts` (not NOT_SUITES, not `_`-prefixed scratch files). */
const SUITES: readonly { name: string; about: string }[] = [
  ...PLANNED,
  ...readdirSync(new URL(".", import.meta.url))
    .filter((f) => f.endsWith(".ts") && !NOT_SUITES.has(f) && !f.startsWith("_"))
    .map((f) => f.slice(0, -3))
    .filter((name) => !PLANNED.some((p) => p.name === name))
    .sort()
    .map((name) => ({ name, about: "" })),
];

type Suite = { run(args: string[]): Promise<void> };

function suiteUrl(name: string): URL {
  return new URL(`./${name}.ts`, import.meta.url);
}

function usage(): string {
  const width = Math.max(...SUITES.map((s) => s.name.length));
  const lines = SUITES.map((s) => `  ${s.name.padEnd(width)}  ${s.about}${existsSync(suiteUrl(s.name)) ? "" : " (not added yet)"}`);
  return ["usage: npm run bench -- <suite> [args...]", "", "suites:", ...lines].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  if (name === undefined) {
    console.error(`no suite given\n\n${usage()}`);
    return 2;
  }
  const known = SUITES.find((s) => s.name === name);
  if (!known) {
    console.error(`unknown suite ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (!existsSync(suiteUrl(name))) {
    console.error(`suite ${name} has not been added yet (bench/${name}.ts is missing)\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(suiteUrl(name).href)) as Partial<Suite>;
  if (typeof mod.run !== "function") throw new Error(`bench/${name}.ts does not export an async run(args) function`);
  await mod.run(args);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
}
