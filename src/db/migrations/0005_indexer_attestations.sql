-- firstmile:read-model
-- The attestation registry's events in the indexer's read model (see 0003_indexer.sql for the rules:
-- read-model DDL only, unqualified, no foreign keys, no wall-clock columns). Times are Unix seconds
-- as the contract keeps them (`bigint`: a uint48 does not always fit timestamptz); null = no expiry.

create table schemes (
  scheme               integer primary key,
  model                smallint not null,   -- 1 identity preserved, 2 segregated, 3 mass balance
  subjects             smallint not null,   -- bit 1 << kind: lot 2, plot 4, member 8
  default_validity     bigint not null,     -- seconds; 0 = no expiry
  name                 text not null,
  version              text not null,
  registered_position  text not null
);

create table accreditations (
  scheme            integer not null,
  member_id         bigint not null,
  until             bigint not null,
  withdrawn         boolean not null,
  updated_position  text not null,
  primary key (scheme, member_id)
);

-- Every attestation with its revocation. `lot_id` is set for lot subjects (subject = the lot id).
create table attestations (
  uid               text primary key,
  scheme            integer not null,
  subject_kind      smallint not null,      -- 1 lot, 2 plot, 3 member
  subject           text not null,
  lot_id            bigint,
  attester          text not null,
  attester_member   bigint not null,
  attested_at       bigint,
  expires_at        bigint,
  evidence          text not null,
  data_hash         text not null,
  position          text not null,
  tx_hash           text not null,
  revoked           boolean not null,
  revoker           text,
  revoke_reason     integer,
  revoked_at        bigint,
  revoked_position  text
);
create index attestations_lot on attestations (lot_id, scheme, position) where lot_id is not null;
create index attestations_attester on attestations (attester_member, position, uid);
create index attestations_subject on attestations (subject_kind, subject, scheme, position);

-- A lot's claim besides its direct attestation (IAttestationRegistry.LotClaim): carried through a
-- split, merge or transform, marked claimed (mass balance), or spent (became the next custodian's
-- credit at a handover).
create table lot_claims (
  lot_id       bigint not null,
  scheme       integer not null,
  state        text not null check (state in ('carried', 'marked', 'spent')),
  valid_until  bigint,
  family       bigint,
  position     text not null,
  primary key (lot_id, scheme)
);

-- Mass-balance credit moves (one per event) and each member's credit per scheme and form.
create table mass_balance_moves (
  position   text primary key,
  member_id  bigint not null,
  scheme     integer not null,
  form       smallint not null,
  lot_id     bigint not null,
  direction  text not null check (direction in ('credit', 'debit')),
  cause      text not null check (cause in ('handover', 'derivation', 'mark')),
  grams      numeric(20, 0) not null,
  balance    numeric(78, 0) not null,
  tx_hash    text not null,
  block_time timestamptz
);
create index mass_balance_moves_member on mass_balance_moves (member_id, scheme, position);

create table mass_balance_credits (
  member_id         bigint not null,
  scheme            integer not null,
  form              smallint not null,
  balance           numeric(78, 0) not null,
  updated_position  text not null,
  primary key (member_id, scheme, form)
);
