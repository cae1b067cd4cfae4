/**
 * Group commit: work items that arrive while earlier ones are being written
 * gather into the next batch, so a busy moment costs one transaction for many
 * items instead of one each, and a quiet one costs no added wait (an item that
 * finds a free slot is written on the next turn of the event loop, together
 * with whatever arrived in the same turn).
 */
export interface GroupCommitSettings {
  /** Largest batch written at once. */
  maxBatch: number;
  /** Batches written concurrently (each holds a database connection). */
  maxInFlight: number;
}

export function createGroupCommitter<Item, Outcome>(
  settings: GroupCommitSettings,
  /** Writes a batch; resolves to one outcome per item, in order. A rejection fails every item of the batch. */
  writeBatch: (items: Item[]) => Promise<Outcome[]>,
) {
  type Pending = { item: Item; resolve: (outcome: Outcome) => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];
  let inFlight = 0;
  let flushScheduled = false;

  function scheduleFlush(): void {
    if (flushScheduled || queue.length === 0 || inFlight >= settings.maxInFlight) return;
    flushScheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    flushScheduled = false;
    while (queue.length > 0 && inFlight < settings.maxInFlight) {
      const batch = queue.slice(0, settings.maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      const release = () => {
        // The slot frees before the items learn their outcome, so whatever they do next finds it free.
        inFlight--;
        scheduleFlush();
      };
      writeBatch(batch.map((pending) => pending.item)).then(
        (outcomes) => {
          release();
          batch.forEach((pending, index) => pending.resolve(outcomes[index]!));
        },
        (error: unknown) => {
          release();
          batch.forEach((pending) => pending.reject(error));
        },
      );
    }
  }

  return {
    submit(item: Item): Promise<Outcome> {
      return new Promise<Outcome>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        scheduleFlush();
      });
    },
  };
}
