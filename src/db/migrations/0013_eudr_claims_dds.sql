-- firstmile:read-model
-- The EUDR claim from mint and due diligence statement references (docs/eudr.md): a lot minted
-- from a plot holding a valid plot attestation has a claim of state 'origin' (the attestation
-- registry's `OriginClaimed`), and every statement a member filed for a lot is a row of
-- `dds_references` (the DDS registry's `DdsReferenced`).
alter table lot_claims drop constraint lot_claims_state_check;
alter table lot_claims add constraint lot_claims_state_check
  check (state in ('carried', 'marked', 'spent', 'origin'));
alter table lot_claims add column origin_uid text;

create table dds_references (
  position             text primary key,
  lot_id               bigint not null,
  member_id            bigint not null,
  by_account           text not null,
  reference_number     text not null,
  verification_number  text not null,
  tx_hash              text not null,
  block_time           timestamptz
);
create index dds_references_lot on dds_references (lot_id, position);
