export * from "./duration.ts";
export * from "./time.ts";
export * from "./schedule-spec.ts";
