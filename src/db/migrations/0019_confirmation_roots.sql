-- firstmile:read-model
-- Confirmation batches as the payout registry published them (ConfirmationRootPublished): the
-- Merkle root of a batch of farmers' confirmation records, bound to the payout run it is about.
-- The public share of payments confirmed by passkey counts a confirmation only once its batch's
-- root is here, i.e. on chain. Rows are appended, never changed.
create table confirmation_batches (
  batch_root     text primary key,
  run_root       text not null,
  member_id      bigint not null,
  count          integer not null,
  position       text not null,
  tx_hash        text not null,
  published_at   timestamptz
);
create index confirmation_batches_run on confirmation_batches (run_root, position);
