DROP TABLE request_results;
DROP TABLE users;
DROP FUNCTION ensure_month_partitions(TEXT, DATE, INT);
DROP FUNCTION reject_mutation();
