import { describe, expect, it } from "vitest";
import { createGroupCommitter } from "../../src/services/group-commit.js";

/** A batch writer whose batches finish only when the test says so. */
function controllableWriter() {
  const batches: Array<{ items: number[]; finish: () => void; fail: (error: Error) => void }> = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, finish: () => resolve(items.map((item) => `done ${item}`)), fail: reject });
    });
  return { batches, write };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit", () => {
  it("writes items submitted in the same turn of the event loop as one batch", async () => {
    const writer = controllableWriter();
    const committer = createGroupCommitter({ maxBatch: 10, maxInFlight: 1 }, writer.write);
    const outcomes = [1, 2, 3].map((item) => committer.submit(item));
    await nextTurn();
    expect(writer.batches.map((batch) => batch.items)).toEqual([[1, 2, 3]]);
    writer.batches[0]!.finish();
    expect(await Promise.all(outcomes)).toEqual(["done 1", "done 2", "done 3"]);
  });

  it("gathers items that arrive while a batch is being written into the next batch", async () => {
    const writer = controllableWriter();
    const committer = createGroupCommitter({ maxBatch: 10, maxInFlight: 1 }, writer.write);
    const first = committer.submit(1);
    await nextTurn();
    const later = [2, 3, 4].map((item) => committer.submit(item));
    await nextTurn();
    expect(writer.batches).toHaveLength(1); // the only slot is busy
    writer.batches[0]!.finish();
    await first;
    await nextTurn();
    expect(writer.batches.map((batch) => batch.items)).toEqual([[1], [2, 3, 4]]);
    writer.batches[1]!.finish();
    expect(await Promise.all(later)).toEqual(["done 2", "done 3", "done 4"]);
  });

  it("never writes more than maxInFlight batches of at most maxBatch items at once", async () => {
    const writer = controllableWriter();
    const committer = createGroupCommitter({ maxBatch: 2, maxInFlight: 2 }, writer.write);
    const outcomes = [1, 2, 3, 4, 5].map((item) => committer.submit(item));
    await nextTurn();
    expect(writer.batches.map((batch) => batch.items)).toEqual([[1, 2], [3, 4]]);
    writer.batches[1]!.finish();
    await outcomes[3];
    await nextTurn();
    expect(writer.batches.map((batch) => batch.items)).toEqual([[1, 2], [3, 4], [5]]);
    writer.batches[0]!.finish();
    writer.batches[2]!.finish();
    expect(await Promise.all(outcomes)).toEqual(["done 1", "done 2", "done 3", "done 4", "done 5"]);
  });

  it("fails every item of a failed batch, and only those", async () => {
    const writer = controllableWriter();
    const committer = createGroupCommitter({ maxBatch: 2, maxInFlight: 2 }, writer.write);
    const outcomes = [1, 2, 3].map((item) => committer.submit(item).then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    ));
    await nextTurn();
    writer.batches[0]!.fail(new Error("serialization failure"));
    writer.batches[1]!.finish();
    expect(await Promise.all(outcomes)).toEqual([
      { error: "serialization failure" },
      { error: "serialization failure" },
      { value: "done 3" },
    ]);
  });
});
