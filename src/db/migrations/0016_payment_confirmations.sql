-- What a farmer holds and signs: the codes printed on payment receipts, the farmer's own-page
-- sessions, passkeys (WebAuthn credentials), one-use challenges, and the confirmations or disputes
-- of payments. The gateway's own records (kept across `firstmile index rebuild`).

-- A receipt code: random, printed on one receipt (QR and text), opens the farmer's own page. Only
-- its SHA-256 is kept: a copy of this table opens no page.
create table receipt_codes (
  code_hash    text primary key check (length(code_hash) = 64 and code_hash ~ '^[0-9a-f]+$'),
  farmer_id    text not null references farmers (id),
  payment_id   text not null references payments (id),
  member_id    bigint not null check (member_id > 0),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null
);
create index receipt_codes_farmer on receipt_codes (farmer_id);

-- A session on the farmer's own page, opened with a receipt code or a passkey. Only the hash of
-- the cookie's token is kept.
create table farmer_sessions (
  token_hash   text primary key check (length(token_hash) = 64 and token_hash ~ '^[0-9a-f]+$'),
  farmer_id    text not null references farmers (id),
  opened_with  text not null check (opened_with in ('receipt-code', 'passkey')),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null
);

-- A farmer's passkey: a WebAuthn credential made on the farmer's own phone.
create table farmer_passkeys (
  credential_id  text primary key check (length(credential_id) between 16 and 1400),
  farmer_id      text not null references farmers (id),
  public_key     bytea not null,
  counter        bigint not null default 0 check (counter >= 0),
  transports     text not null default '',
  created_at     timestamptz not null default now()
);
create index farmer_passkeys_farmer on farmer_passkeys (farmer_id);

-- A WebAuthn challenge handed out once: for a registration, a sign-in with a passkey (no farmer
-- known until it is answered), or confirming or disputing one payment. `used_at` is set by the
-- answer that spends it; a second answer with it is a replay.
create table webauthn_challenges (
  challenge    text primary key check (length(challenge) between 16 and 128),
  farmer_id    text references farmers (id),
  purpose      text not null check (purpose in ('register', 'confirm', 'login')),
  statement    text,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  used_at      timestamptz,
  check ((purpose = 'login') = (farmer_id is null))
);

-- A farmer's word on a payment. `kind`: 'passkey' (a WebAuthn assertion over a challenge that
-- binds the payment's digest: `statement`, `authenticator_data`, `client_data_json`, `signature`
-- and `public_key` let anyone re-verify it), or the weaker 'agent-code' (a field agent entered the
-- farmer's receipt code) and 'paper' (a signed paper receipt, private evidence). Only 'passkey'
-- counts as a farmer's own confirmation. Never updated; a later word is a new row.
create table payment_confirmations (
  id                  text primary key check (id ~ '^pc_[0-9a-z]{16,40}$'),
  payment_id          text not null references payments (id),
  farmer_id           text not null references farmers (id),
  member_id           bigint not null check (member_id > 0),
  kind                text not null check (kind in ('passkey', 'agent-code', 'paper')),
  verdict             text not null check (verdict in ('confirmed', 'disputed')),
  payment_digest      text not null check (length(payment_digest) = 66),
  statement           text,
  credential_id       text references farmer_passkeys (credential_id),
  public_key          bytea,
  authenticator_data  bytea,
  client_data_json    bytea,
  signature           bytea,
  evidence_cid        text,
  recorded_by         text,
  reason_enc          bytea,
  created_at          timestamptz not null default now(),
  check (kind <> 'passkey' or (statement is not null and credential_id is not null and public_key is not null
                               and authenticator_data is not null and client_data_json is not null and signature is not null)),
  check (kind <> 'paper' or evidence_cid is not null)
);
create index payment_confirmations_payment on payment_confirmations (payment_id, created_at);
