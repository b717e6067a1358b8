-- The relay writes every outbox row several times (claimed, signed, submitted, mined); each write
-- that changes the status also writes an entry into every index of the table. Two indexes no
-- query uses any more go: requests are read by id (primary key) or by member and idempotency key
-- (the unique index, whose first column also serves reads by member), and receipts are matched to
-- rows by id, not by transaction hash.
drop index outbox_member;
drop index outbox_tx_hash;
