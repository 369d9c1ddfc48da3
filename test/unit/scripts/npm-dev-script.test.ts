import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run dev` is `npm start` under the name wrangler projects use, so it must hand on the
 * options given after `--` as `npm start -- --port 8799` does (README quickstart). Written
 * `"dev": "npm start"`, npm appended them as `npm start --port 8799`, which npm read as its own
 * config: the port was dropped (and "8799" passed on as a stray argument), and the platform came up
 * on 8787, maybe on top of another `npm start`'s state. The scripts are run here through a
 * script shell that only prints the command npm hands it, so nothing is started.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "npm-dev-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command line npm runs for `npm run <script> -- <args>`, as its script shell receives it. */
function commandFor(script: string, args: string[]): string {
  const shell = join(dir, "print-shell");
  writeFileSync(shell, '#!/bin/sh\nprintf "%s\\n" "$2"\n');
  chmodSync(shell, 0o755);
  return execFileSync("npm", ["run", "--silent", `--script-shell=${shell}`, script, "--", ...args], { cwd: ROOT, encoding: "utf8" }).trim();
}

describe.skipIf(process.platform === "win32")("npm run dev", () => {
  it("passes the options after -- on to npm start, as npm start passes them to wrangler dev", () => {
    expect(commandFor("dev", ["--port", "8799"])).toBe("npm start -- --port 8799");
    expect(commandFor("start", ["--port", "8799"])).toBe("npm run db:migrate && node scripts/dev.mjs --port 8799");
  });
});
