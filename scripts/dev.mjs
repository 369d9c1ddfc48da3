// `npm start`: prints the banner, then runs wrangler dev with the local-development settings.
// Options after `--` go to wrangler dev: `npm start -- --port 8799` serves on port 8799 (and the
// banner says so). npm appends them to the script's last command only, which is why this is one
// script rather than a banner followed by `wrangler dev --port 8787 …` (a second --port there was
// a wrangler error: "expects a single value, but received multiple").
import { spawn } from "node:child_process";

const given = process.argv.slice(2);
/** Takes `--name value` or `--name=value` out of the given options. */
function take(name) {
  for (let i = 0; i < given.length; i++) {
    if (given[i] === `--${name}` && i + 1 < given.length) return given.splice(i, 2)[1];
    if (given[i]?.startsWith(`--${name}=`)) return given.splice(i, 1)[0].slice(name.length + 3);
  }
  return undefined;
}
const ip = take("ip") ?? "127.0.0.1";
const port = take("port") ?? "8787";
const url = `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;

console.log(`
  Sundial (local development)
  API           ${url}/v1   (health: ${url}/v1/health, OpenAPI, with the key: ${url}/openapi.json)
  API key       dev.sundial-local-development-key   (admin of namespace "default"; local only)
  State         .wrangler/state   (delete it to start from scratch)
  Try           curl -H "Authorization: Bearer dev.sundial-local-development-key" ${url}/v1/workflows/workers/whoami${port === "8787" ? "" : `
  Clients       SUNDIAL_URL=${url} (the examples fall back to http://127.0.0.1:8787; the SDK has no default URL and reads this variable)`}
`);

const args = ["dev", "--ip", ip, "--port", port, "--persist-to", ".wrangler/state", "--var", "SUNDIAL_DEV_MODE:true", ...given];
const child = spawn("wrangler", args, { stdio: "inherit", shell: process.platform === "win32" });
// Ctrl-C reaches wrangler itself (same process group): wait for it to finish. A SIGTERM sent to
// this process alone is passed on.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on("error", (err) => {
  console.error(`could not run wrangler: ${err.message}`);
  process.exit(1);
});
