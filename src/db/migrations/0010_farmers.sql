-- Farmers: private records of the cooperative that registered them, their consents, and private
-- (encrypted) evidence. Not part of the indexer's read model: the gateway's own records, kept
-- across `firstmile index rebuild`. Nothing here reaches the chain or a public page except a
-- farmer's pseudonym.

-- A cooperative's own secret: 32 random bytes sealed under the keystore's key-encryption key
-- (AES-256-GCM, see src/chain/keystore/cipher.ts; associated data names the member). The farmer
-- pseudonym key and the key that wraps a private document's data key are derived from it, so a
-- key rotation re-seals this row only and pseudonyms stay the same.
create table member_secrets (
  member_id      bigint primary key check (member_id > 0),
  sealed_secret  bytea not null check (octet_length(sealed_secret) = 61),
  created_at     timestamptz not null default now()
);

-- A farmer. `id` is opaque ('f_' and random base32), `pseudonym` a keyed hash (HMAC-SHA-256 under
-- the cooperative's pseudonym key) and `code` the card code (Crockford base32 with a check
-- character). Each *_enc column is one personal field sealed on its own (AES-256-GCM under a key
-- derived from the key-encryption key; associated data: farmer id and column), null if not given.
create table farmers (
  id                 text primary key check (length(id) between 18 and 42 and id ~ '^f_[0-9a-z]+$'),
  member_id          bigint not null check (member_id > 0),
  pseudonym          text not null unique check (length(pseudonym) = 64 and pseudonym ~ '^[0-9a-f]+$'),
  code               text not null unique check (length(code) between 4 and 16 and code ~ '^[0-9A-HJKMNP-TV-Z]+$'),
  name_enc           bytea not null,
  phone_enc          bytea,
  national_id_enc    bytea,
  gender_enc         bytea,
  birth_year_enc     bytea,
  household_size_enc bytea,
  female_headed_enc  bytea,
  village_enc        bytea,
  language           text not null default 'en' check (language in ('en', 'id', 'th', 'vi')),
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  archived_at        timestamptz
);
create index farmers_member on farmers (member_id, created_at, id);

-- A consent a farmer gave, never updated. A withdrawal is its own row (farmer_consent_withdrawals).
-- `certifier_member_id`: for an audit consent, the certifier the farmer agreed may read the record.
-- `evidence_cid`: the signed form, as private evidence (required when method is 'signed-form').
create table farmer_consents (
  id                   text primary key check (id ~ '^c_[0-9a-z]{16,40}$'),
  farmer_id            text not null references farmers (id),
  member_id            bigint not null check (member_id > 0),
  scope                text not null check (scope in ('traceability', 'eudr-statement-with-name', 'payments', 'research', 'audit')),
  method               text not null check (method in ('signed-form', 'thumbprint', 'witnessed-verbal')),
  certifier_member_id  bigint check (certifier_member_id > 0),
  evidence_cid         text,
  witness_enc          bytea,
  recorded_by          text not null check (length(recorded_by) between 1 and 200),
  recorded_by_token    bigint,
  recorded_at          timestamptz not null default now(),
  check (scope <> 'audit' or certifier_member_id is not null),
  check (method <> 'signed-form' or evidence_cid is not null)
);
create index farmer_consents_farmer on farmer_consents (farmer_id, scope, recorded_at);
create index farmer_consents_certifier on farmer_consents (certifier_member_id) where certifier_member_id is not null;

-- The withdrawal of a consent: appended, at most one per consent.
create table farmer_consent_withdrawals (
  consent_id         text primary key references farmer_consents (id),
  recorded_by        text not null check (length(recorded_by) between 1 and 200),
  recorded_by_token  bigint,
  reason             text not null default '' check (length(reason) <= 500),
  withdrawn_at       timestamptz not null default now()
);

-- A private document (land title, ID scan, signed consent form). Its ciphertext is a block in the
-- evidence store and `cid` names that ciphertext; the plaintext is never stored. The document's
-- random data key is wrapped per member in private_evidence_keys.
create table private_evidence (
  cid          text primary key,
  member_id    bigint not null check (member_id > 0),
  farmer_id    text references farmers (id),
  media_type   text not null,
  kind         text not null check (kind in ('land-title', 'id-scan', 'consent-form', 'other')),
  byte_length  bigint not null check (byte_length >= 0),
  created_at   timestamptz not null default now()
);
create index private_evidence_member on private_evidence (member_id, created_at);
create index private_evidence_farmer on private_evidence (farmer_id) where farmer_id is not null;

create table private_evidence_keys (
  cid          text not null references private_evidence (cid),
  member_id    bigint not null check (member_id > 0),
  wrapped_key  bytea not null check (octet_length(wrapped_key) = 61),
  primary key (cid, member_id)
);
