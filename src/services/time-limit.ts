import { unavailable } from "../errors.js";

/**
 * `promise`, or UNAVAILABLE with `message` if it has not settled within `ms`.
 * The work itself is not cancelled: callers use this only where finishing
 * late is harmless (a rate-limit decision, a job that replays its answer).
 */
export function withinTime<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
