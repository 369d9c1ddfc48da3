/**
 * The hello example's workflow and activity. Workflow code is deterministic: it only orchestrates;
 * the activity does the (here trivial) side effect.
 */
import { z } from "zod";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";

/** An activity: any I/O (HTTP calls, database writes, LLM calls) belongs in one. */
export const composeGreeting = defineActivity({
  name: "compose_greeting",
  options: { startToCloseTimeout: "10s", retry: { maximumAttempts: 3 } },
  run: async (name: string, ctx) => {
    console.log(`compose_greeting(${JSON.stringify(name)}), attempt ${ctx.attempt}`);
    return `Hello, ${name}!`;
  },
});

/** One activity, then a durable sleep: kill the worker during the sleep and start it again. */
export const hello = defineWorkflow({
  name: "hello",
  input: z.object({ name: z.string().min(1).default("world") }),
  executionTimeout: "10m",
  run: async (ctx, { name }) => {
    const greeting = await ctx.executeActivity(composeGreeting, name);
    await ctx.sleep("5s");
    ctx.log.info("greeted", { name });
    return { greeting, finishedAt: ctx.now().toISOString() };
  },
});
