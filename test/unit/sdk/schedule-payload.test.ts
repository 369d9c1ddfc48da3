import { describe, expect, it } from "vitest";
import { activate, defineWorkflow } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

/** Polos' scheduled workflow: it reads its SchedulePayload and returns it. */
const reminder = defineWorkflow({
  name: "user-reminder",
  run: async (ctx) => ({ schedule: ctx.schedule }),
});

describe("ctx.schedule: Polos' SchedulePayload as the workflow sees it", () => {
  it("carries every field of the run's payload, camelCase, and the schedule's input stays the run's input", async () => {
    const schedule = {
      timestamp: "2027-06-01T15:00:00.000Z",
      actual_timestamp: "2027-06-01T15:00:07.000Z",
      last_timestamp: "2027-05-31T15:00:00.000Z",
      timezone: "America/Los_Angeles",
      schedule_id: "user-reminder:user_123",
      key: "user_123",
      upcoming: "2027-06-02T15:00:00.000Z",
    };
    const h = new HistoryBuilder({ workflow: "user-reminder", input: { userId: "user_123" }, schedule }).task();
    const { commands } = await activate(reminder, h.build(), undefined, quiet);
    expect(commands).toEqual([
      {
        type: "complete_workflow",
        result: {
          schedule: {
            timestamp: schedule.timestamp,
            actualTimestamp: schedule.actual_timestamp,
            lastTimestamp: schedule.last_timestamp,
            timezone: schedule.timezone,
            scheduleId: schedule.schedule_id,
            key: schedule.key,
            upcoming: schedule.upcoming,
          },
        },
      },
    ]);
  });

  it("the first run's lastTimestamp and the last run's upcoming are null; a run no schedule started has none", async () => {
    const only = { timestamp: "2027-06-01T15:00:00.000Z", actual_timestamp: "2027-06-01T15:00:00.000Z", last_timestamp: null, timezone: "UTC", schedule_id: "r:global", key: "global", upcoming: null };
    const first = await activate(reminder, new HistoryBuilder({ workflow: "user-reminder", schedule: only }).task().build(), undefined, quiet);
    expect(first.commands).toEqual([{ type: "complete_workflow", result: { schedule: expect.objectContaining({ lastTimestamp: null, upcoming: null, key: "global" }) } }]);
    const plain = await activate(reminder, new HistoryBuilder({ workflow: "user-reminder" }).task().build(), undefined, quiet);
    expect(plain.commands).toEqual([{ type: "complete_workflow", result: { schedule: null } }]);
  });
});
