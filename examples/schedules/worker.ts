/**
 * Runs the schedules example's worker: `npx node examples/schedules/worker.ts` (Ctrl-C stops it).
 * It registers `user-reminder` (with its input JSON Schema) and `send_reminder`, then polls.
 */
import { runWorker } from "@sundial/sdk/worker";
import { sendReminder, userReminder } from "./workflows.ts";

const url = process.env.SUNDIAL_URL ?? "http://127.0.0.1:8787";
const worker = runWorker({
  url,
  apiKey: process.env.SUNDIAL_API_KEY ?? "dev.sundial-local-development-key",
  taskQueue: "default",
  workflows: [userReminder],
  activities: [sendReminder],
});

await worker.ready;
console.log(`worker ${worker.identity} polling ${url} (Ctrl-C to stop)`);
await worker.done;
