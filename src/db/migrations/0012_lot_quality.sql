-- firstmile:read-model
-- The commodity model. A lot's measured quality in basis points of its weight (DRC for rubber,
-- moisture for cocoa; 0 = not measured), as minted, derived, or re-measured at an acceptance
-- (`handovers.quality`: the lot's quality from that acceptance on). Forms whose transform yields
-- count on dry weight (the form catalogue's `DryBasisSet`). The non-traced ingredients a transform
-- declared (sugar, lecithin, carbon black): every output of that transform lists them all, in
-- declaration order, as its DERIVED history event commits to their digest. Yield bounds with
-- output form 0 bound all outputs of a transform together (joint products).
--
-- lot_edges: in a transform that declared ingredients, `child_grams` and `outputs_grams` count
-- each output's traced share (its grams less its part of the ingredients of its form), so the
-- quantities flowing along edges stay what came from the parents.
alter table forms add column dry_basis boolean not null default false;
alter table lots add column quality integer not null default 0 check (quality between 0 and 10000);
alter table handovers add column quality integer check (quality between 0 and 10000);

create table lot_ingredients (
  lot_id       bigint not null,
  seq          integer not null,
  output_form  smallint not null,
  grams        numeric(20, 0) not null,
  name         text not null,   -- bytes32 as emitted (UTF-8, zero-padded), 0x hex
  position     text not null,
  primary key (lot_id, seq)
);
