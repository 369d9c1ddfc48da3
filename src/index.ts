import { createApp } from "./api/app.ts";

export { ExecutionObject } from "./objects/execution-object.ts";
export { ScheduleObject } from "./objects/schedule-object.ts";
export { TaskQueueObject } from "./objects/task-queue-object.ts";

const app = createApp();

export default app;
