-- Evidence uploaded through the gateway's API: the media type the uploader declared (and the
-- intake checked), so GET /v1/evidence/:cid answers with the right Content-Type. The bytes live in
-- the evidence store (IPFS), addressed by the CID; this is not part of the indexer's read model.
create table evidence_uploads (
  cid          text primary key,
  media_type   text not null,
  size         bigint not null check (size >= 0),
  member_id    bigint not null check (member_id > 0),
  uploaded_at  timestamptz not null default now()
);
create index evidence_uploads_member on evidence_uploads (member_id, uploaded_at);
