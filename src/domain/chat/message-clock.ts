/**
 * Timestamps of chat messages: microseconds since the epoch, strictly
 * increasing within one process, so the messages of a land (whose room lives
 * in one process) sort by `created_at` in the order they were broadcast, even
 * within one batch. Pure: the caller passes the clock.
 */

/** The next timestamp, in microseconds: now, or one microsecond after the last one if the clock has not moved on. */
export function nextTimestampMicros(lastMicros: number, nowMs: number): number {
  return Math.max(Math.floor(nowMs * 1000), lastMicros + 1);
}

/** ISO-8601 UTC with six fractional digits, as PostgreSQL stores it: `2025-01-02T03:04:05.123456Z`. */
export function formatTimestampMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString(); // …T03:04:05.123Z
  const extra = String(micros - millis * 1000).padStart(3, "0");
  return `${iso.slice(0, -1)}${extra}Z`;
}
