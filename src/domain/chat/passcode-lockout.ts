/**
 * Online limits on guessing a land's 4-digit passcode (10,000 values), so
 * that a keyed hash is the only way in and guessing it is not. Pure: the
 * service counts attempts in Redis and asks these rules what to do.
 */

/** Wrong attempts by one user on one land before that user is locked out of it. */
export const WRONG_ATTEMPTS_PER_USER = 5;
/** A user's wrong attempts are forgotten this long after the last one (or at once on a right passcode). */
export const USER_ATTEMPT_MEMORY_MS = 60 * 60 * 1000;
/** Wrong attempts on one land, by all users together, per window, before the land refuses every passcode. */
export const WRONG_ATTEMPTS_PER_LAND = 20;
export const LAND_ATTEMPT_WINDOW_MS = 60 * 60 * 1000;

/** The first lockout; each further one doubles it (30, 60, … minutes) up to the cap. */
export const FIRST_LOCKOUT_MS = 15 * 60 * 1000;
export const MAX_LOCKOUT_MS = 24 * 60 * 60 * 1000;
/** How long after a lockout ends the next one still counts as a repeat. */
export const LOCKOUT_MEMORY_MS = 24 * 60 * 60 * 1000;

/**
 * The length of a user's lockout from a land, given how many lockouts of
 * that user on that land came before it (still remembered): 15 min × 2ⁿ, at
 * most 24 h.
 */
export function lockoutDurationMs(previousLockouts: number): number {
  if (!Number.isInteger(previousLockouts) || previousLockouts < 0) throw new RangeError("previousLockouts must be a non-negative integer");
  // 2^7 × 15 min already exceeds the cap; stop before the exponent can overflow.
  return Math.min(MAX_LOCKOUT_MS, FIRST_LOCKOUT_MS * 2 ** Math.min(previousLockouts, 16));
}

/** True when this wrong attempt is the one that locks the user out (the attempt count is 1-based). */
export function locksOut(wrongAttemptsSoFar: number): boolean {
  return wrongAttemptsSoFar === WRONG_ATTEMPTS_PER_USER;
}

/** Whole minutes, rounded up, for a message a person reads. */
export function minutesLeft(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}
