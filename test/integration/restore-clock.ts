import { afterAll, afterEach, beforeEach } from "vitest";
import { clock } from "../../src/clock.ts";

// Tests drive platform time by replacing `clock.now`. Each test ends on the clock it started with
// (the real one, or the fake time a file's beforeAll set for all its tests), and each file ends on
// the real clock, so no test or file leaks its fake time into the next.
let atStart = clock.now;
beforeEach(() => {
  atStart = clock.now;
});
afterEach(() => {
  clock.now = atStart;
});
afterAll(() => {
  clock.now = () => Date.now();
});
