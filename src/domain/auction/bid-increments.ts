/**
 * The bid increment table, banded by the current price as buyers know it from
 * eBay: the visible price of an auction rises by at least the increment of its
 * band. Amounts are whole taka.
 *
 * | current price (BDT) | increment |
 * |---|---|
 * | 0 – 99 | 5 |
 * | 100 – 499 | 10 |
 * | 500 – 999 | 25 |
 * | 1,000 – 4,999 | 50 |
 * | 5,000 – 9,999 | 100 |
 * | 10,000 – 49,999 | 250 |
 * | 50,000 – 99,999 | 500 |
 * | 100,000 – 499,999 | 1,000 |
 * | 500,000 and above | 5,000 |
 */
export const BID_INCREMENT_BANDS: ReadonlyArray<{ from: number; increment: number }> = [
  { from: 500_000, increment: 5_000 },
  { from: 100_000, increment: 1_000 },
  { from: 50_000, increment: 500 },
  { from: 10_000, increment: 250 },
  { from: 5_000, increment: 100 },
  { from: 1_000, increment: 50 },
  { from: 500, increment: 25 },
  { from: 100, increment: 10 },
  { from: 0, increment: 5 },
];

/** The increment that applies at `price`. */
export function bidIncrement(price: number): number {
  for (const band of BID_INCREMENT_BANDS) if (price >= band.from) return band.increment;
  return BID_INCREMENT_BANDS[BID_INCREMENT_BANDS.length - 1]!.increment;
}

/**
 * The lowest acceptable next bid: the starting price while there are no bids,
 * then the visible price plus its band's increment.
 */
export function minimumNextBid(startingPrice: number, currentPrice: number | null, bidCount: number): number {
  if (bidCount === 0 || currentPrice === null) return startingPrice;
  return currentPrice + bidIncrement(currentPrice);
}
