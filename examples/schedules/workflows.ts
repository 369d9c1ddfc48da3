/**
 * The per-user reminder workflow of the schedules example (Polos' `user-reminder`): every run is
 * started by one user's schedule, and learns which user from the schedule payload's `key`.
 */
import { z } from "zod";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";

/** The side effect (an e-mail, a push notification…) lives in an activity, retried by the platform. */
export const sendReminder = defineActivity({
  name: "send_reminder",
  options: { startToCloseTimeout: "30s", retry: { maximumAttempts: 5 } },
  run: async ({ userId, firedAt, timezone }: { userId: string; firedAt: string; timezone: string }) => {
    const local = new Date(firedAt).toLocaleString("en-GB", { timeZone: timezone, dateStyle: "medium", timeStyle: "short" });
    console.log(`reminder for ${userId}: ${local} in ${timezone}`);
    return { sent: true };
  },
});

/** One run per fire of a user's schedule; `input` is what the schedule was created with. */
export const userReminder = defineWorkflow({
  name: "user-reminder",
  input: z.object({ userId: z.string(), channel: z.enum(["email", "push"]).default("email") }),
  executionTimeout: "5m",
  run: async (ctx, { userId, channel }) => {
    // ctx.schedule is the payload (timestamp, actualTimestamp, lastTimestamp, timezone, scheduleId, key, upcoming),
    // null when the run was started by hand with client.executions.start.
    // Deterministic: the payload and ctx.now() come from history, never from the worker's clock.
    const firedAt = ctx.schedule?.timestamp ?? ctx.now().toISOString();
    await ctx.executeActivity(sendReminder, { userId, firedAt, timezone: ctx.schedule?.timezone ?? "UTC" });
    return { userId, channel, key: ctx.schedule?.key ?? null, firedAt, next: ctx.schedule?.upcoming ?? null };
  },
});
