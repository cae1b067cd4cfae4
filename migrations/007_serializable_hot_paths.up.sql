-- Purchases of different lands must not conflict under SERIALIZABLE.
--
-- Under SERIALIZABLE every index page a transaction reads is predicate-locked,
-- and a foreign-key check reads the index page of the row it references. A
-- purchase inserts a land and then a transaction row referencing it (and a
-- ledger row referencing that): each check read the very pages the other
-- purchases were inserting into, so on a young database nearly every pair of
-- concurrent purchases formed a read/write cycle and one was cancelled.
-- These two references are written once, in one transaction, by one function,
-- and the tables are insert-only; the ledger checker verifies them instead.
ALTER TABLE transactions DROP CONSTRAINT transactions_land_id_fkey;
ALTER TABLE world_ledger DROP CONSTRAINT world_ledger_transaction_id_fkey;

-- Leaving room on each heap page keeps balance updates HOT: no new index
-- entries, so no writes into index pages other transactions have read.
ALTER TABLE users SET (fillfactor = 50);
ALTER TABLE lands SET (fillfactor = 70);
ALTER TABLE listings SET (fillfactor = 70);
