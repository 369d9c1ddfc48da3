/**
 * Starts the hello workflow and prints its result: `npx node examples/hello/start.ts [name]`.
 * Needs the platform (`npm start`) and the worker (`npx node examples/hello/worker.ts`) running.
 */
import { SundialClient } from "@sundial/sdk/client";
import { hello } from "./workflows.ts";

const client = new SundialClient({
  url: process.env.SUNDIAL_URL ?? "http://127.0.0.1:8787",
  apiKey: process.env.SUNDIAL_API_KEY ?? "dev.sundial-local-development-key",
});

const name = process.argv[2] ?? "world";
// The queue the worker polls (worker.ts reads the same variable).
const started = await client.executions.start(hello, { input: { name }, taskQueue: process.env.SUNDIAL_TASK_QUEUE ?? "default" });
console.log(`started ${started.executionId} (run ${started.runId})`);

const outcome = await client.executions.result(started.executionId, { timeout: "2m" });
if (outcome.status === "completed") {
  console.log("result:", outcome.result);
} else {
  console.error(`execution ${outcome.status}:`, outcome.failure?.message ?? "");
  process.exitCode = 1;
}
