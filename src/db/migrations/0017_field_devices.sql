-- The field app (docs/field-app.md): one-time enrolment tokens a cooperative hands its field
-- agents' phones, and the private records (farmer, plot, payment) those phones signed offline,
-- kept by (device, sequence) so a record sent again answers what it answered the first time.
create table field_enrolments (
  id            bigserial primary key,
  member_id     bigint not null,
  token_hash    bytea not null unique,
  label         text not null default '',
  created_at    timestamptz not null default now(),
  expires_at    timestamptz not null,
  used_at       timestamptz,
  device        text,
  api_token_id  bigint,
  request_id    bigint
);

create table field_records (
  device       text not null,
  seq          integer not null,
  member_id    bigint not null,
  kind         text not null check (kind in ('farmer', 'plot', 'payment')),
  signature    text not null,
  message      text not null,
  result       jsonb not null,
  recorded_at  timestamptz not null default now(),
  primary key (device, seq)
);
