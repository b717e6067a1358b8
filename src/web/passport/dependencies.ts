import type { Queryable } from "../../db";
import type { LotPassport } from "./types";

/** The rows a lot page is made from, named by what the page lists. */
export type PassportDependencies = {
  lotIds: string[];
  /** Origin plot commitments of the deliveries (attestations about plots, the plots' districts). */
  origins: string[];
  accounts: string[];
  memberIds: string[];
};

export function dependenciesOf(passport: LotPassport): PassportDependencies {
  const origins = new Set<string>();
  for (const lot of passport.lots) {
    const genesis = lot.events[0]?.event as { kind?: string; origin?: string } | undefined;
    if (genesis?.kind === "minted" && typeof genesis.origin === "string") {
      origins.add(genesis.origin);
      origins.add(genesis.origin.toLowerCase());
    }
  }
  return {
    lotIds: passport.lots.map((lot) => lot.lotId),
    origins: [...origins],
    accounts: Object.keys(passport.accounts),
    memberIds: passport.members.map((member) => member.memberId),
  };
}

/**
 * One digest over every row the page is made from (the ancestry's events, lot rows, ingredients,
 * edges, claims, products and due diligence statements, the attestations about its lots and plots, the plots, the members
 * and accounts it names, the schemes, the premium commitments and published payments), in one statement: equal digests, equal rows. A row changed
 * by the indexer or behind its back changes it.
 */
export async function dependencyDigest(q: Queryable, dependencies: PassportDependencies): Promise<string> {
  const rows = (table: string, where: string, order = "md5(t::text)") => `(select string_agg(md5(t::text), ',' order by ${order}) from ${table} t ${where})`;
  const { rows: [row] } = await q.query<{ digest: string }>(
    `select md5(concat_ws('|', ${[
      rows("lot_events", "where t.lot_id = any($1::int8[])", "t.lot_id, t.seq"),
      rows("lots", "where t.lot_id = any($1::int8[])", "t.lot_id"),
      rows("lot_ingredients", "where t.lot_id = any($1::int8[])"),
      rows("lot_edges", "where t.child_id = any($1::int8[])"),
      rows("lot_claims", "where t.lot_id = any($1::int8[])"),
      rows("products", "where t.lot_id = any($1::int8[])"),
      rows("dds_references", "where t.lot_id = any($1::int8[])", "t.position"),
      rows("attestations", "where t.lot_id = any($1::int8[]) or t.subject = any($2::text[])"),
      rows("origin_plots", "where t.commitment = any($2::text[])"),
      rows("accounts", "where t.address = any($3::text[])"),
      rows("members", "where t.member_id = any($4::int8[])"),
      rows("schemes", ""),
      rows("accreditations", ""),
      // The premium figures: commitments on the ancestry, the published payments for its deliveries, their runs.
      rows("premium_commitments", "where t.lot_id = any($1::int8[])", "t.commitment_id"),
      rows("payments", "where t.payout_root is not null and t.delivery_lot_ids && $1::int8[]", "t.id"),
      rows("payout_runs", "where t.root in (select p.payout_root from payments p where p.delivery_lot_ids && $1::int8[])", "t.root"),
      // The passkey share counts a confirmation once its batch's root is indexed: a new batch changes the page.
      rows("confirmation_batches", "where t.run_root in (select p.payout_root from payments p where p.delivery_lot_ids && $1::int8[])", "t.batch_root"),
    ].join(", ")})) as digest`,
    [dependencies.lotIds, dependencies.origins, dependencies.accounts, dependencies.memberIds],
  );
  return row!.digest;
}

/**
 * The first time after the page's block at which something it shows changes by itself: an
 * attestation or a claim expiring. A page kept past it is built again.
 */
export function nextChangeOf(passport: LotPassport): number | null {
  const checked = passport.verification.block.time === null ? 0 : Date.parse(passport.verification.block.time);
  let next: number | null = null;
  const consider = (iso: string | null) => {
    if (iso === null) return;
    const at = Date.parse(iso);
    if (Number.isFinite(at) && at > checked && (next === null || at < next)) next = at;
  };
  for (const attestation of passport.attestations) consider(attestation.expiresAt);
  for (const claim of passport.claims) consider(claim.validUntil);
  return next;
}
