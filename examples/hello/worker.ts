/**
 * Runs the hello example's worker: `npx node examples/hello/worker.ts`. Ctrl-C shuts it down
 * gracefully (a second Ctrl-C skips the grace period).
 */
import { runWorker } from "@sundial/sdk/worker";
import { composeGreeting, hello } from "./workflows.ts";

const url = process.env.SUNDIAL_URL ?? "http://127.0.0.1:8787";
const apiKey = process.env.SUNDIAL_API_KEY ?? "dev.sundial-local-development-key";

const worker = runWorker({
  url,
  apiKey,
  taskQueue: process.env.SUNDIAL_TASK_QUEUE ?? "default",
  workflows: [hello],
  activities: [composeGreeting],
});

await worker.ready;
console.log(`worker ${worker.identity} polling ${url} (Ctrl-C to stop)`);
await worker.done;
