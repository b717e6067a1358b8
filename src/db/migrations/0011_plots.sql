-- Plots become the farmer's, versioned and archivable; the gateway keeps a ledger of the
-- deliveries it accepted from each plot (the capacity rule), and of rows it imported (so the same
-- spreadsheet twice creates nothing new). The gateway's own records, kept across
-- `firstmile index rebuild`.

-- A plot is one or more versions, each an origin_plots row with its own commitment: an update
-- writes a new version (new geometry or tenure, new salt, new commitment); deliveries minted
-- before keep the commitment they carry. `plot_id` names the plot across its versions ('p_' and
-- base32; rows from before this migration get one from their commitment). The current version
-- is the one not superseded; archiving marks it. `farmer_id` is the farmer the plot belongs to
-- (rows from before it have only their `farmer_ref`, the reference their commitment binds).
-- A Point plot stands for a declared area (at most 4 ha, EUDR Art. 2(28)); `area_m2` is that
-- area for a point and the geodesic area of the outline otherwise.
alter table origin_plots
  add column plot_id             text,
  add column version             integer not null default 1 check (version >= 1),
  add column farmer_id           text references farmers (id),
  add column ref                 text check (ref is null or length(ref) between 1 and 64),
  add column declared_area_m2    bigint check (declared_area_m2 > 0),
  add column tenure              text not null default 'none' check (tenure in ('title', 'customary', 'none')),
  add column tenure_evidence_cid text references private_evidence (cid),
  add column superseded_at       timestamptz,
  add column archived_at         timestamptz;
update origin_plots set plot_id = 'p_' || substr(commitment, 3, 26);
-- Counted repetitions ({64}) make PostgreSQL's regular expressions slow (about 45 µs a value
-- against 8 µs for the length and a plain class): the same rules, checked the cheap way, for the
-- plots an import fills by the thousand (0010 writes the farmers' checks this way from the start).
alter table origin_plots
  drop constraint origin_plots_commitment_check,
  drop constraint origin_plots_salt_check,
  add constraint origin_plots_commitment_check check (length(commitment) = 66 and commitment ~ '^0x[0-9a-f]+$'),
  add constraint origin_plots_salt_check check (length(salt) = 66 and salt ~ '^0x[0-9a-f]+$');
alter table origin_plots
  alter column plot_id set not null,
  add constraint origin_plots_plot_id check (length(plot_id) between 18 and 42 and plot_id ~ '^p_[0-9a-z]+$'),
  add constraint origin_plots_point_area check (geometry ->> 'type' <> 'Point' or (declared_area_m2 is not null and declared_area_m2 <= 40000));
create unique index origin_plots_version on origin_plots (plot_id, version);
create unique index origin_plots_current on origin_plots (plot_id) where superseded_at is null;
create index origin_plots_member_current on origin_plots (member_id, registered_at, plot_id) where superseded_at is null;
-- The listing reads current versions only (the index above); every version of a plot is read by plot_id.
drop index origin_plots_member;
create index origin_plots_farmer on origin_plots (farmer_id) where farmer_id is not null;
create unique index origin_plots_ref on origin_plots (member_id, ref) where ref is not null and superseded_at is null and archived_at is null;

-- The deliveries the gateway accepted with a registered plot as origin, one row per delivery of a
-- mint request, written before the request enters the outbox and counted only while that request
-- (same member and idempotency key) is in the outbox and has not failed: a request refused before
-- the outbox, or reverted on chain, uses no capacity. `year`: the calendar year (UTC) it was accepted.
create table plot_deliveries (
  member_id        bigint not null check (member_id > 0),
  idempotency_key  text not null,
  item             integer not null check (item >= 0),
  plot_id          text not null,
  commitment       text not null check (length(commitment) = 66 and commitment ~ '^0x[0-9a-f]+$'),
  form             smallint not null check (form between 1 and 255),
  grams            numeric(20, 0) not null check (grams > 0),
  year             smallint not null,
  created_at       timestamptz not null default now(),
  primary key (member_id, idempotency_key, item)
);
create index plot_deliveries_plot_year on plot_deliveries (plot_id, year);

-- Rows a cooperative imported from a spreadsheet, by the sha-256 of their content (the row's
-- cells under their canonical column names): the same row again is "unchanged", never a second
-- farmer, plot or delivery. `created_ref`: what the row became (farmer id, plot id, request id).
create table import_rows (
  member_id     bigint not null check (member_id > 0),
  kind          text not null check (kind in ('farmers', 'plots', 'deliveries')),
  content_hash  bytea not null check (octet_length(content_hash) = 32),
  created_ref   text not null,
  created_at    timestamptz not null default now(),
  primary key (member_id, kind, content_hash)
);
