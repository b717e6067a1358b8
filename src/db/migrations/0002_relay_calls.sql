-- The relay signs one ERC2771Forwarder ForwardRequest (a "call") for several requests when it can:
-- queued mints of one custodial account become one mintBatch with one signature. The signed call
-- therefore moves out of the outbox row into its own table; each request points at its call and
-- at its place in it (call_offset, call_items: which deliveries of a coalesced mintBatch are its own).
-- A self-signed request is one call with one request.

create table relay_calls (
  id            bigint generated always as identity primary key,
  from_address  text not null check (from_address ~ '^0x[0-9a-f]{40}$'),
  to_address    text not null check (to_address ~ '^0x[0-9a-f]{40}$'),
  value         numeric(78, 0) not null check (value >= 0),
  gas           numeric(78, 0) not null check (gas >= 0),
  nonce         numeric(78, 0) not null check (nonce >= 0),
  deadline      bigint not null check (deadline >= 0),   -- uint48 unix seconds
  data          bytea not null,
  signature     bytea not null check (octet_length(signature) = 65),
  -- true: signed by the gateway with a custodial key; false: by the member's own key.
  custodial     boolean not null,
  created_at    timestamptz not null default now()
);
-- The live calls of an account, by nonce: the relay's nonce allocation and gap checks.
create index relay_calls_signer on relay_calls (from_address, nonce);

-- Dropping the columns also drops the check that required them on signed rows.
alter table outbox
  drop column from_address,
  drop column to_address,
  drop column value,
  drop column gas,
  drop column nonce,
  drop column deadline,
  drop column data,
  drop column signature;

alter table outbox
  add column call_id bigint references relay_calls (id),
  add column call_offset integer check (call_offset >= 0),
  add column call_items integer check (call_items >= 1),
  add constraint outbox_signed_has_call check (status in ('queued', 'failed') or call_id is not null),
  add constraint outbox_call_place check ((call_id is null) = (call_offset is null) and (call_offset is null) = (call_items is null));
create index outbox_call on outbox (call_id) where call_id is not null;

-- The relayer account of each chain: a custodial key of a member with the relayer role; it sends
-- the forwarder's transactions and pays their gas (nothing on Besu, where gas is free).
create table relay_accounts (
  chain_id    bigint not null check (chain_id > 0),
  address     text not null check (address ~ '^0x[0-9a-f]{40}$') references custodial_keys (address),
  member_id   bigint not null check (member_id > 0),
  created_at  timestamptz not null default now(),
  primary key (chain_id, address)
);
