-- What the public page may say about where a lot came from, and which product a QR code names.
-- Not part of the indexer's read model: these rows are the gateway's own records, kept across
-- `firstmile index rebuild`.

-- A farmer's plot. On chain a delivery carries only `origin`, the commitment: keccak-256 of the
-- plot's canonical record (geometry, farmer reference and a random salt, see src/origins). The
-- geometry, farmer reference and salt stay here, private: no public page or public API reads
-- them. District, province, country and area are what the public page may show, summarised.
create table origin_plots (
  commitment     text primary key check (commitment ~ '^0x[0-9a-f]{64}$'),
  member_id      bigint not null check (member_id > 0),
  farmer_ref     text not null,
  geometry       jsonb not null,
  salt           text not null check (salt ~ '^0x[0-9a-f]{64}$'),
  country        text not null check (country ~ '^[A-Z]{2}$'),
  province       text not null,
  district       text not null,
  area_m2        bigint not null check (area_m2 > 0),
  registered_at  timestamptz not null default now()
);
create index origin_plots_member on origin_plots (member_id, registered_at);

-- A trade item (GTIN-14, check digit valid) and batch/lot number, as a GS1 Digital Link
-- `/01/{gtin}/10/{batch}` names it, resolved to the lot it was made as.
create table products (
  gtin         text not null check (gtin ~ '^[0-9]{14}$'),
  batch        text not null check (length(batch) between 1 and 20),
  lot_id       bigint not null check (lot_id > 0),
  member_id    bigint not null check (member_id > 0),
  name         text not null default '',
  created_at   timestamptz not null default now(),
  primary key (gtin, batch)
);
create index products_lot on products (lot_id);
