import { z } from "zod";
import { sql, type DatabasePool } from "../db/database.js";

export interface LedgerReport {
  ok: boolean;
  totals: { balances_bdt: number; audited_credits_bdt: number; held_bdt: number };
  problems: string[];
}

const count = z.object({ n: z.number() });

/**
 * Checks that money is conserved and every invariant of the ledger holds:
 * - the sum of all balances (the world account's ledger included) equals the
 *   sum of audited credits and debits (money enters and leaves only there);
 * - each user's held_bdt equals the maxima of the bids they lead on active
 *   auctions; no balance or hold is negative, no hold exceeds its balance;
 * - every land has an existing owner; every transaction row has its audit row;
 *   every world-ledger entry belongs to an existing transaction;
 * - no listing is sold twice, no land has two active listings.
 * Used by `npm run check:ledger` and by the tests that break things on purpose.
 */
export async function checkLedger(pool: DatabasePool): Promise<LedgerReport> {
  const problems: string[] = [];
  const totals = await pool.one(sql.type(z.object({ balances_bdt: z.number(), held_bdt: z.number(), audited_credits_bdt: z.number() }))`
    SELECT (SELECT coalesce(sum(balance_bdt), 0)::bigint FROM account_balances) AS balances_bdt,
           (SELECT coalesce(sum(held_bdt), 0)::bigint FROM users) AS held_bdt,
           (SELECT coalesce(sum(amount_bdt), 0)::bigint FROM audit_logs
             WHERE event_type IN ('balance_credited', 'balance_debited')) AS audited_credits_bdt`);
  if (totals.balances_bdt !== totals.audited_credits_bdt) {
    problems.push(`balances sum to ${totals.balances_bdt} BDT but audited credits to ${totals.audited_credits_bdt} BDT`);
  }

  const holds = await pool.any(sql.type(z.object({ user_id: z.string(), held_bdt: z.number(), leading_bdt: z.number(), balance_bdt: z.number() }))`
    SELECT u.user_id, u.held_bdt, u.balance_bdt,
           coalesce((SELECT sum(b.amount_bdt) FROM listings l JOIN bids b ON b.bid_id = l.leading_bid_id
                     WHERE l.status = 'active' AND b.bidder_id = u.user_id), 0)::bigint AS leading_bdt
    FROM users u`);
  for (const row of holds) {
    if (row.held_bdt !== row.leading_bdt) problems.push(`user ${row.user_id} holds ${row.held_bdt} BDT but leads bids worth ${row.leading_bdt} BDT`);
    if (row.balance_bdt < 0 || row.held_bdt < 0 || row.held_bdt > row.balance_bdt) {
      problems.push(`user ${row.user_id} has balance ${row.balance_bdt} BDT and hold ${row.held_bdt} BDT`);
    }
  }

  const countQuery = sql.type(count);
  const checks: Array<[string, ReturnType<typeof countQuery>]> = [
    ["lands without an existing owner", countQuery`
      SELECT count(*)::int AS n FROM lands l LEFT JOIN users u ON u.user_id = l.owner_id WHERE u.user_id IS NULL`],
    ["transactions without their audit row", countQuery`
      SELECT count(*)::int AS n FROM transactions t
      WHERE NOT EXISTS (SELECT 1 FROM audit_logs a WHERE a.details ->> 'transaction_id' = t.transaction_id::text)`],
    ["world-ledger entries without their transaction", countQuery`
      SELECT count(*)::int AS n FROM world_ledger w
      WHERE w.transaction_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.transaction_id = w.transaction_id)`],
    ["transactions whose land does not exist", countQuery`
      SELECT count(*)::int AS n FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM lands l WHERE l.land_id = t.land_id)`],
    ["listings sold more than once", countQuery`
      SELECT count(*)::int AS n FROM (SELECT listing_id FROM transactions WHERE listing_id IS NOT NULL
                                      GROUP BY listing_id HAVING count(*) > 1) twice`],
    ["lands with more than one active listing", countQuery`
      SELECT count(*)::int AS n FROM (SELECT land_id FROM listings WHERE status = 'active'
                                      GROUP BY land_id HAVING count(*) > 1) doubled`],
  ];
  for (const [label, query] of checks) {
    const { n } = await pool.one(query);
    if (n > 0) problems.push(`${n} ${label}`);
  }
  return { ok: problems.length === 0, totals: { balances_bdt: totals.balances_bdt, audited_credits_bdt: totals.audited_credits_bdt, held_bdt: totals.held_bdt }, problems };
}
