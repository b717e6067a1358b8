-- firstmile:read-model
-- The payout registry's events (contracts/payments): premium commitments buyers made on lots they
-- held, and the Merkle roots of cooperatives' payout runs. Rows are appended, never changed.
-- `totals` of a run: JSON text, `[{"currency": "IDR", "total": "123400"}]`, minor units as strings.
create table premium_commitments (
  commitment_id  bigint primary key,
  lot_id         bigint not null,
  member_id      bigint not null,
  scheme         text not null,
  currency       text not null,
  rate_per_kg    numeric(20, 0) not null,
  grams          numeric(20, 0) not null,
  position       text not null,
  tx_hash        text not null,
  committed_at   timestamptz
);
create index premium_commitments_lot on premium_commitments (lot_id);

create table payout_runs (
  root           text primary key,
  member_id      bigint not null,
  count          integer not null,
  totals         text not null,
  position       text not null,
  tx_hash        text not null,
  published_at   timestamptz
);
create index payout_runs_member on payout_runs (member_id, position);
