ALTER TABLE users RESET (fillfactor);
ALTER TABLE lands RESET (fillfactor);
ALTER TABLE listings RESET (fillfactor);
ALTER TABLE world_ledger ADD CONSTRAINT world_ledger_transaction_id_fkey
  FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id);
ALTER TABLE transactions ADD CONSTRAINT transactions_land_id_fkey
  FOREIGN KEY (land_id) REFERENCES lands (land_id);
