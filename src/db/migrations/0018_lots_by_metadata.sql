-- firstmile:read-model
-- A field agent's phone pays for deliveries before their lots exist: its payment names each
-- delivery by the metadata digest of its receipt, and the gateway finds the lot by that digest
-- among the cooperative's minted lots (docs/field-app.md).
create index lots_minted_metadata on lots (creator_member, metadata) where genesis = 'minted';
