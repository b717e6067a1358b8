-- Payments to farmers and payout runs: the cooperative's own records, off chain, kept across
-- `firstmile index rebuild`. What is personal or commercial (weights, quality, price, deductions,
-- premiums, totals, method, receipt) is sealed in `details_enc` (AES-256-GCM under the keystore's
-- record key; associated data: the payment id and the field), as a farmer's fields are.

-- A payment to one farmer for one or more deliveries (lots its cooperative minted).
-- `payout_root`: the payout run it was published in (null until then).
create table payments (
  id                 text primary key check (length(id) between 19 and 43 and id ~ '^pm_[0-9a-z]+$'),
  member_id          bigint not null check (member_id > 0),
  farmer_id          text not null references farmers (id),
  delivery_lot_ids   bigint[] not null check (cardinality(delivery_lot_ids) between 1 and 100),
  currency           text not null check (currency in ('IDR', 'THB', 'VND', 'USD')),
  paid_at            timestamptz not null,
  details_enc        bytea not null,
  payout_root        text check (payout_root is null or (length(payout_root) = 66 and payout_root ~ '^0x[0-9a-f]+$')),
  recorded_by_token  bigint,
  created_at         timestamptz not null default now()
);
create index payments_member on payments (member_id, paid_at, id);
create index payments_farmer on payments (farmer_id, paid_at);
create index payments_root on payments (payout_root) where payout_root is not null;

-- A payout run the cooperative built: its root, sent to the chain through the relay (the read
-- model's payout_runs says when it is mined), and its leaves with their salts, sealed (the export
-- an auditor checks against the root). `idempotency_key`: the request's, so a retried request
-- answers the same run.
create table payout_run_records (
  root             text primary key check (length(root) = 66 and root ~ '^0x[0-9a-f]+$'),
  member_id        bigint not null check (member_id > 0),
  idempotency_key  text not null,
  count            integer not null check (count > 0),
  totals           text not null,
  leaves_enc       bytea not null,
  created_at       timestamptz not null default now(),
  unique (member_id, idempotency_key)
);

-- Other household income a farmer declared for a year (optional, private): the living-income
-- report adds it to the year's recorded payments.
create table farmer_other_income (
  farmer_id    text not null references farmers (id),
  year         smallint not null check (year between 2000 and 2100),
  currency     text not null check (currency in ('IDR', 'THB', 'VND', 'USD')),
  amount_enc   bytea not null,
  updated_at   timestamptz not null default now(),
  primary key (farmer_id, year, currency)
);

-- A cooperative's living-income benchmarks (ISEAL / Anker methodology): the annual income a
-- household of `household_size` in `region` needs for a decent standard of living, with where the
-- figure comes from. Without rows of its own the report uses the shipped example figures, marked.
create table living_income_benchmarks (
  member_id       bigint not null check (member_id > 0),
  region          text not null check (length(region) between 1 and 80),
  household_size  smallint not null check (household_size between 1 and 30),
  currency        text not null check (currency in ('IDR', 'THB', 'VND', 'USD')),
  annual_minor    numeric(24, 0) not null check (annual_minor > 0),
  source          text not null check (length(source) between 1 and 300),
  year            smallint not null check (year between 2000 and 2100),
  primary key (member_id, region, household_size)
);
