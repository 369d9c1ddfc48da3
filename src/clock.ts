/**
 * The one clock the platform reads. Tests replace `clock.now` to drive time explicitly (Vitest fake
 * timers would change Date.now() inside objects in ways the platform notes warn against); the core
 * never reads it — it takes `now` as an argument.
 */
export const clock = {
  now: (): number => Date.now(),
};
