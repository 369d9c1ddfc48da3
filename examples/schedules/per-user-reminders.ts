/**
 * Per-user schedules in each user's own time zone (the Polos seed), through the typed client:
 *
 *   npx node examples/schedules/per-user-reminders.ts             create or update, list by key, preview DST
 *   npx node examples/schedules/per-user-reminders.ts --trigger   also run user_123's reminder now (needs worker.ts)
 *   npx node examples/schedules/per-user-reminders.ts --cleanup   delete this example's schedules
 *
 * Reads SUNDIAL_URL (default http://127.0.0.1:8787) and SUNDIAL_API_KEY (default: the key `npm start`
 * accepts locally).
 */
import { SundialApiError, SundialClient, type ScheduleSpecOptions } from "@sundial/sdk/client";
import { userReminder } from "./workflows.ts";

const client = new SundialClient({
  url: process.env.SUNDIAL_URL ?? "http://127.0.0.1:8787",
  apiKey: process.env.SUNDIAL_API_KEY ?? "dev.sundial-local-development-key",
});

const users = [
  { id: "user_123", timezone: "America/Los_Angeles" },
  { id: "user_456", timezone: "Europe/London" },
  { id: "user_789", timezone: "Asia/Kolkata" }, // no DST at all
  { id: "user_1011", timezone: "Australia/Lord_Howe" }, // DST moves the clock by 30 minutes
];

/** An RFC 3339 instant as a wall-clock time in `timezone`, e.g. "Sun, Mar 14, 03:30 EDT". */
function local(iso: string | null, timezone: string): string {
  if (iso === null) return "—";
  return new Date(iso).toLocaleString("en-US", { timeZone: timezone, weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
}

if (process.argv.includes("--cleanup")) {
  for await (const s of client.schedules.listAll({ workflow: userReminder.name })) {
    await client.schedules.delete(s.scheduleId);
    console.log(`deleted ${s.scheduleId}`);
  }
  process.exit(0);
}

console.log("1. One schedule per user, 08:00 in the user's time zone");
for (const user of users) {
  // (workflow, key) identifies a schedule: running this script again updates them in place.
  const { scheduleId, created, schedule } = await client.schedules.create({
    workflow: userReminder, // or its name, "user-reminder"
    key: user.id,
    cron: "0 8 * * *",
    timezone: user.timezone,
    input: { userId: user.id },
    policy: { catchupWindow: "1h", overlap: "SKIP" },
  });
  console.log(`   ${created ? "created" : "updated"} ${scheduleId.padEnd(24)} next ${local(schedule.nextRunAt, user.timezone).padEnd(28)} (${schedule.nextRunAt})`);
}

console.log("\n2. user_123 prefers 09:00: the same call again updates the schedule in place");
const moved = await client.schedules.create({ workflow: userReminder, key: "user_123", cron: "0 9 * * *", timezone: "America/Los_Angeles", input: { userId: "user_123" } });
console.log(`   created: ${moved.created}, id ${moved.scheduleId}, version ${moved.schedule.version}: ${moved.schedule.description}`);

console.log("\n3. Listing: by key, then every user's schedule (all pages)");
const { schedules } = await client.schedules.list({ key: "user_123" });
for (const s of schedules) console.log(`   key=user_123 → ${s.scheduleId} (${s.status}, next ${s.nextFireAt})`);
for await (const s of client.schedules.listAll({ workflow: userReminder.name, pageSize: 2 })) console.log(`   ${s.key.padEnd(10)} ${s.status.padEnd(7)} next ${s.nextFireAt}`);
const detail = await client.schedules.get(moved.scheduleId);
console.log(`   ${detail.scheduleId}: next three fires ${detail.nextFireTimes.slice(0, 3).map((f) => local(f.nominal, detail.spec.timezone)).join(" · ")}`);

console.log("\n4. Previews: what DST does to a schedule (nothing is created)");
async function show(title: string, spec: ScheduleSpecOptions & { timezone: string }, after: string, count: number): Promise<void> {
  const { fireTimes, description } = await client.schedules.preview(spec, { after, count });
  console.log(`   ${title} — ${description}`);
  for (const f of fireTimes) console.log(`     ${f.nominal}  ${local(f.nominal, spec.timezone)}`);
}
// 02:30 does not exist on 14 March 2027 in New York: that fire happens once, shifted to 03:30 EDT.
await show("New York, spring forward", { cron: "30 2 * * *", timezone: "America/New_York" }, "2027-03-12T12:00:00Z", 3);
// 01:30 happens twice on 7 November 2027: a fixed hour fires once, at the first occurrence…
await show("New York, fall back", { cron: "30 1 * * *", timezone: "America/New_York" }, "2027-11-05T12:00:00Z", 3);
// …while an every-hour expression fires in both real hours.
await show("New York, fall back, every hour", { cron: "0 * * * *", timezone: "America/New_York" }, "2027-11-07T04:30:00Z", 4);
// Lord Howe Island's clock jumps 02:00 → 02:30: 02:15 fires once at 02:45.
await show("Lord Howe, 30-minute DST", { cron: "15 2 * * *", timezone: "Australia/Lord_Howe" }, "2027-10-01T12:00:00Z", 3);
// Intervals count elapsed time: every 24 h from 08:00 EST is 09:00 EDT after the change.
await show("New York, 24 h interval", { intervals: [{ every: "24h" }], startAt: "2027-03-12T13:00:00Z", timezone: "America/New_York" }, "2027-03-12T12:00:00Z", 4);

if (process.argv.includes("--trigger")) {
  console.log("\n5. Run user_123's reminder now (a worker must be running: npx node examples/schedules/worker.ts)");
  const run = await client.schedules.trigger(moved.scheduleId, { requestId: `demo-${Date.now()}` });
  console.log(`   ${run.outcome}: ${run.runId}`);
  if (run.started) {
    try {
      const outcome = await client.executions.result(run.runId, { timeout: "1m" });
      console.log(`   ${outcome.status}:`, outcome.result ?? outcome.failure);
    } catch (err) {
      console.error(`   no result yet (${err instanceof Error ? err.message : String(err)}): is the worker running?`);
    }
  }
}

// Errors from the platform are SundialApiError, with a stable code and the field at fault.
try {
  await client.schedules.create({ workflow: userReminder, key: "user_x", cron: "0 8 * * *", timezone: "Mars/Olympus", input: { userId: "user_x" } });
} catch (err) {
  if (!(err instanceof SundialApiError)) throw err;
  console.log(`\nA typo in a zone is refused before anything is written: ${err.status} ${err.code} at ${err.field}`);
}
