/**
 * Spots a connection that keeps sending far beyond the chat's rate limit, so
 * the room can disconnect it instead of answering RATE_LIMITED forever. The
 * rule: more than `factor` × the sustained rate over the last `windowMs`
 * (with the defaults, more than 90 messages within 3 s, while the limit
 * admits at most burst + 10/s × 3 s = 50). The window is kept as ten
 * buckets, so memory is constant whatever the rate; it covers between 90 %
 * and 100 % of `windowMs`. Pure: the caller passes the clock.
 */
const BUCKETS = 10;

export class FloodDetector {
  private readonly counts = new Float64Array(BUCKETS);
  private readonly bucketMs: number;
  private currentBucket = Number.NEGATIVE_INFINITY;
  private total = 0;

  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {
    if (!(threshold >= 1)) throw new RangeError("threshold must be at least 1");
    if (!(windowMs > 0)) throw new RangeError("windowMs must be positive");
    this.bucketMs = windowMs / BUCKETS;
  }

  /** A detector for a limit of `ratePerSecond`: flooding is more than `factor` times it over `windowMs`. */
  static forRate(ratePerSecond: number, factor = 3, windowMs = 3_000): FloodDetector {
    return new FloodDetector(Math.max(1, Math.ceil(factor * ratePerSecond * (windowMs / 1000))), windowMs);
  }

  /**
   * A detector for a token bucket of `ratePerSecond` with `burst`: flooding is
   * more than `factor` times what the bucket admits over `windowMs` at its
   * steady rate, or `factor` times its burst, whichever is more, so a client
   * that spends its whole burst at once is never taken for a flooder, even
   * when the sustained rate is low. With the default limits (burst at most
   * the rate over 3 s) this is {@link forRate}.
   */
  static forLimit(limits: { ratePerSecond: number; burst: number }, factor = 3, windowMs = 3_000): FloodDetector {
    const admittedOverWindow = Math.max(limits.ratePerSecond * (windowMs / 1000), limits.burst);
    return new FloodDetector(Math.max(1, Math.ceil(factor * admittedOverWindow)), windowMs);
  }

  /**
   * Records one message received at `nowMs`.
   * @returns true when the messages within the window now exceed `threshold`.
   */
  record(nowMs: number): boolean {
    const bucket = Math.floor(nowMs / this.bucketMs);
    if (this.currentBucket === Number.NEGATIVE_INFINITY) this.currentBucket = bucket - BUCKETS;
    if (bucket > this.currentBucket) {
      // Forget the buckets that slid out of the window (all of them after a long pause).
      const expired = Math.min(BUCKETS, bucket - this.currentBucket);
      // The slots of the new buckets still hold counts from one window ago.
      for (let step = 1; step <= expired; step++) {
        const slot = (((this.currentBucket + step) % BUCKETS) + BUCKETS) % BUCKETS;
        this.total -= this.counts[slot]!;
        this.counts[slot] = 0;
      }
      this.currentBucket = bucket;
    }
    // A clock that steps back counts in the current bucket.
    const slot = ((this.currentBucket % BUCKETS) + BUCKETS) % BUCKETS;
    this.counts[slot]! += 1;
    this.total += 1;
    return this.total > this.threshold;
  }
}
