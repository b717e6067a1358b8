-- What the gateway needs before the contracts are wired in: API tokens, custodial keys
-- (encrypted), and the relay's durable outbox with its nonces.
-- Member ids are Membership's uint64 ids; addresses are stored in lower case.

-- API tokens. The token is shown once when issued; only its sha-256 is kept.
create table members_auth (
  id          bigint generated always as identity primary key,
  member_id   bigint not null check (member_id > 0),
  token_hash  bytea not null unique check (octet_length(token_hash) = 32),
  label       text not null default '',
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);
create index members_auth_member on members_auth (member_id);

-- The keystore's key-encryption key: how it is derived, and a value encrypted with it that tells
-- a wrong passphrase or key file apart from a tampered custodial key. The key itself is never stored.
create table keystore_keks (
  id          smallint primary key,
  kdf         text not null check (kdf in ('scrypt', 'key-file')),
  kdf_params  jsonb not null,   -- scrypt: { "salt": hex, "N", "r", "p" }; key-file: {}
  check_blob  bytea not null,   -- same format as custodial_keys.encrypted_key, of a fixed text
  created_at  timestamptz not null default now()
);

-- Custodial keys: one per member account, only ever encrypted (AES-256-GCM under the KEK,
-- the address as associated data). encrypted_key = version (1) || nonce (12) || ciphertext (32) || tag (16).
create table custodial_keys (
  address        text primary key check (address ~ '^0x[0-9a-f]{40}$'),
  member_id      bigint not null check (member_id > 0),
  kek_id         smallint not null references keystore_keks (id),
  encrypted_key  bytea not null check (octet_length(encrypted_key) = 61),
  created_at     timestamptz not null default now()
);
create index custodial_keys_member on custodial_keys (member_id, created_at);

-- The relay outbox, one row per member request, written before the request is acknowledged.
-- queued -> signed -> submitted -> mined | failed; a request may also arrive already signed.
-- Workers claim due rows with `for update skip locked`; a lock older than the stale-lock time
-- expires; failures retry with exponential backoff until max_attempts.
create table outbox (
  id               bigint generated always as identity primary key,
  member_id        bigint not null check (member_id > 0),
  idempotency_key  text not null check (length(idempotency_key) between 1 and 255),
  request_hash     bytea not null check (octet_length(request_hash) = 32), -- sha-256 of kind and payload
  kind             text not null check (length(kind) between 1 and 100),
  payload          jsonb not null,
  -- ERC2771Forwarder ForwardRequest, set when signed
  from_address     text check (from_address ~ '^0x[0-9a-f]{40}$'),
  to_address       text check (to_address ~ '^0x[0-9a-f]{40}$'),
  value            numeric(78, 0) check (value >= 0),
  gas              numeric(78, 0) check (gas >= 0),
  nonce            numeric(78, 0) check (nonce >= 0),
  deadline         bigint check (deadline >= 0),          -- uint48 unix seconds
  data             bytea,
  signature        bytea,
  status           text not null default 'queued'
                   check (status in ('queued', 'signed', 'submitted', 'mined', 'failed')),
  tx_hash          text check (tx_hash ~ '^0x[0-9a-f]{64}$'),
  block_number     bigint check (block_number >= 0),
  outputs          jsonb,
  error            jsonb,
  attempts         integer not null default 0 check (attempts >= 0),
  max_attempts     integer not null default 10 check (max_attempts >= 1),
  run_at           timestamptz not null default now(),
  locked_by        text,
  locked_at        timestamptz,
  submitted_at     timestamptz,
  finished_at      timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (member_id, idempotency_key),
  check ((locked_by is null) = (locked_at is null)),
  check (status in ('queued', 'failed') or (signature is not null and from_address is not null
         and to_address is not null and value is not null and gas is not null and nonce is not null
         and deadline is not null and data is not null)),
  check (status not in ('submitted', 'mined') or tx_hash is not null),
  check (status <> 'mined' or block_number is not null),
  check ((status in ('mined', 'failed')) = (finished_at is not null))
);
-- The claim query: due work, oldest first.
create index outbox_due on outbox (run_at, id) where status in ('queued', 'signed');
-- Receipts and resubmission after a restart.
create index outbox_tx_hash on outbox (tx_hash) where tx_hash is not null;
create index outbox_submitted on outbox (submitted_at, id) where status = 'submitted';
create index outbox_member on outbox (member_id, id);

-- Nonces the relay hands out: the relayer account's transaction nonce (scope 'tx') and each
-- member account's ERC2771Forwarder nonce (scope = forwarder address), per chain.
create table relay_nonces (
  chain_id    bigint not null check (chain_id > 0),
  scope       text not null check (scope = 'tx' or scope ~ '^0x[0-9a-f]{40}$'),
  account     text not null check (account ~ '^0x[0-9a-f]{40}$'),
  next_nonce  numeric(78, 0) not null check (next_nonce >= 0),
  updated_at  timestamptz not null default now(),
  primary key (chain_id, scope, account)
);
