ALTER TABLE listings DROP CONSTRAINT listings_leading_bid_fkey;
DROP TABLE bids;
DROP TABLE listings;
DROP TABLE lands;
