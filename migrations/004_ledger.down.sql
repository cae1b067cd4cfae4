DROP VIEW account_balances;
DROP TABLE world_ledger;
DROP TABLE transactions;
