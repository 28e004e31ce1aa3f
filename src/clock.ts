/** The clock seam: everything that reads the time takes a Clock, so tests can freeze it. */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
