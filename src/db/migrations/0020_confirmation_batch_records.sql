-- A batch of farmers' confirmations the cooperative built for one payout run: its root, sent to
-- the chain through the relay (the read model's confirmation_batches says when it is mined), and
-- its leaves (payment leaf hash, verdict, kind, proof hash: nothing that names a farmer). The
-- gateway's own records, kept across `firstmile index rebuild` (a read-model migration is replayed
-- into a rebuild's schema, so these live apart from 0019). `idempotency_key`: the request's, so a
-- retried request answers the same batch.
create table confirmation_batch_records (
  batch_root       text primary key check (length(batch_root) = 66 and batch_root ~ '^0x[0-9a-f]+$'),
  run_root         text not null references payout_run_records (root),
  member_id        bigint not null check (member_id > 0),
  idempotency_key  text not null,
  count            integer not null check (count > 0),
  leaves           text not null,
  created_at       timestamptz not null default now(),
  unique (member_id, idempotency_key)
);
create index confirmation_batch_records_run on confirmation_batch_records (run_root, created_at);

-- The batch a confirmation was published in (null until then; a confirmation is in at most one).
alter table payment_confirmations add column batch_root text references confirmation_batch_records (batch_root);
create index payment_confirmations_unbatched on payment_confirmations (member_id) where batch_root is null;
