// `npm run sdk:pack [-- <directory>]`: builds @sundial/sdk for projects outside this repository and
// packs it as a tarball (default directory: dist/), to `npm install <tarball>` there.
//
// In this repository the SDK's entry points are its TypeScript sources (Node >= 22.18 strips the
// types). Node refuses to strip types under node_modules, and Node 20 cannot at all, so an
// installed copy must be JavaScript: this compiles sdk/src with sdk/tsconfig.build.json (JavaScript
// and .d.ts files in sdk/dist), stages it with a package.json whose exports point at them, and runs
// `npm pack`. Prints the tarball's path.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sdk = join(root, "sdk");
const out = resolve(process.argv[2] ?? join(root, "dist"));

rmSync(join(sdk, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(sdk, "tsconfig.build.json")], { stdio: "inherit" });

const source = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8"));
const exports = Object.fromEntries(
  Object.keys(source.exports).map((entry) => {
    const base = source.exports[entry].replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, "");
    return [entry, { types: `${base}.d.ts`, default: `${base}.js` }];
  }),
);
const stage = mkdtempSync(join(tmpdir(), "sundial-sdk-"));
try {
  cpSync(join(sdk, "dist"), join(stage, "dist"), { recursive: true });
  const pkg = {
    name: source.name,
    version: source.version,
    type: "module",
    description: source.description,
    engines: { node: ">=20.3" },
    exports,
    files: ["dist"],
    // The app's own zod, so the schemas it defines workflows with are the instances the SDK reads.
    peerDependencies: source.dependencies,
  };
  writeFileSync(join(stage, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], { cwd: stage, encoding: "utf8" }).trim().split("\n").pop();
  console.log(join(out, packed));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
