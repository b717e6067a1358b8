-- firstmile:read-model
-- The indexer's read model: the contracts' events as SQL rows, written by src/indexer only.
-- A read-model migration (first line above) holds only these tables, unqualified: `firstmile index
-- rebuild` runs every such migration into a fresh schema, replays the chain into it and swaps it in.
-- No foreign keys (rows arrive in chain order, in batches) and no wall-clock columns (a rebuild
-- must produce the same rows). Addresses lower case, bytes32 as 0x hex, grams exact (uint64 fits
-- numeric(20, 0), not bigint). Positions are checkpoints: 16-digit block, 8-digit log index.

-- Where the indexer is: the position of the last log whose rows are committed, written in the same
-- transaction as those rows. One row per indexed chain; `sources` names the contracts and their
-- deployment blocks, so a database indexed from other contracts is refused, not mixed.
create table indexer_checkpoint (
  name          text primary key,
  chain_id      bigint not null,
  sources       text not null,
  checkpoint    text not null check (checkpoint ~ '^[0-9]{24}$'),
  block_number  bigint not null check (block_number >= 0),
  log_index     integer not null check (log_index >= 0)
);

create table members (
  member_id         bigint primary key,
  roles             smallint not null,
  active            boolean not null,
  country           text not null,
  metadata          text not null,
  added_position    text not null,
  added_at          timestamptz,
  updated_position  text not null
);

-- `number` is the account's network-wide number (1-based), the prefix of the lot ids it creates.
create table accounts (
  address         text primary key,
  member_id       bigint not null,
  number          bigint not null unique,
  active          boolean not null,
  added_position  text not null,
  added_at        timestamptz
);
create index accounts_member on accounts (member_id, number);

create table forms (
  form                 smallint primary key,
  commodity            smallint not null,
  tolerance_bps        integer not null,
  name                 text not null,
  registered_position  text not null
);

create table yield_bounds (
  input_form        smallint not null,
  output_form       smallint not null,
  min_bps           bigint not null,
  max_bps           bigint not null,
  updated_position  text not null,
  primary key (input_form, output_form)
);

-- A lot's current state. `genesis`: minted (a delivery) or the operation that derived it.
create table lots (
  lot_id                   bigint primary key,
  commodity                smallint not null,
  form                     smallint not null,
  grams                    numeric(20, 0) not null,
  status                   text not null check (status in ('active', 'in_transit', 'consumed')),
  custodian                text not null,
  custodian_member         bigint not null,
  pending_receiver         text,
  pending_receiver_member  bigint,
  open_handover_seq        integer,
  creator                  text not null,
  creator_member           bigint not null,
  genesis                  text not null check (genesis in ('minted', 'split', 'merged', 'transformed')),
  metadata                 text not null,
  origin                   text,
  head                     text not null,
  event_count              integer not null,
  created_position         text not null,
  created_block            bigint not null,
  created_tx               text not null,
  created_at               timestamptz,
  consumed_position        text,
  consumed_at              timestamptz,
  updated_position         text not null
);
-- Lists walk one of these in lot-id order (keyset pagination); member views aggregate over them.
create index lots_custodian on lots (custodian_member, lot_id);
create index lots_form on lots (form, lot_id);
create index lots_incoming on lots (pending_receiver_member, lot_id) where status = 'in_transit';
create index lots_stock on lots (custodian_member, form) include (grams) where status <> 'consumed';
create index lots_deliveries on lots (creator_member, created_at) include (commodity, form, grams) where genesis = 'minted';

-- Every event of every lot, in order, with the history head after it (emitted by the contract and
-- recomputed by the indexer: equal, or the indexer stops). `fields` are the event's fields the head
-- commits to besides kind and lot id, so the head can be recomputed from SQL alone.
create table lot_events (
  lot_id        bigint not null,
  seq           integer not null,
  kind          text not null,
  position      text not null,
  block_number  bigint not null,
  log_index     integer not null,
  tx_hash       text not null,
  block_time    timestamptz,
  head          text not null,
  fields        json not null,
  primary key (lot_id, seq)
);

-- Parent -> child links of splits, merges and transforms, with the grams on both sides and the
-- operation's totals: the quantity flowing along an edge is parent_grams * child_grams / outputs_grams
-- (of the parent) or child_grams * parent_grams / inputs_grams (of the child).
create table lot_edges (
  parent_id      bigint not null,
  child_id       bigint not null,
  kind           text not null check (kind in ('split', 'merged', 'transformed')),
  parent_grams   numeric(20, 0) not null,
  child_grams    numeric(20, 0) not null,
  inputs_grams   numeric(30, 0) not null,
  outputs_grams  numeric(30, 0) not null,
  position       text not null,
  created_at     timestamptz,
  primary key (parent_id, child_id)
);
create index lot_edges_child on lot_edges (child_id, parent_id);

-- Custody handovers: one row per offer, closed by its accept, reject or cancel.
create table handovers (
  lot_id            bigint not null,
  offer_seq         integer not null,
  sender            text not null,
  sender_member     bigint not null,
  receiver          text not null,
  receiver_member   bigint not null,
  status            text not null check (status in ('offered', 'accepted', 'rejected', 'cancelled')),
  grams_sent        numeric(20, 0) not null,
  grams_received    numeric(20, 0),
  reason            integer,
  accepted_by       text,
  offered_position  text not null,
  offered_at        timestamptz,
  closed_position   text,
  closed_at         timestamptz,
  primary key (lot_id, offer_seq)
);
create index handovers_receiver on handovers (receiver_member, offered_position);
create index handovers_sender on handovers (sender_member, offered_position);

-- Evidence attached to lots: sha2-256 digests of evidence CIDs (src/evidence/chainDigest.ts).
create table lot_evidence (
  lot_id      bigint not null,
  seq         integer not null,
  digest      text not null,
  by_account  text not null,
  by_member   bigint not null,
  position    text not null,
  tx_hash     text not null,
  block_time  timestamptz,
  primary key (lot_id, seq)
);
create index lot_evidence_digest on lot_evidence (digest);
