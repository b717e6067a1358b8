import type { LotPassport, PassportAttestation } from "./types";

/**
 * The claims as a shopper reads them: one line per scheme and kind of subject, counted against
 * what the lot came from ("all 40 origin plots", "39 of 40 deliveries, 1 revoked"), each with the
 * attestations behind it (not valid ones first) for the part a reader opens. Pure: from the twin.
 */
export type ClaimLine = {
  scheme: PassportAttestation["scheme"];
  /** plots: about the deliveries' origin plots; deliveries: about farm deliveries; lots: about the lot or lots made from them. */
  subject: "plots" | "deliveries" | "lots";
  valid: number;
  expired: number;
  revoked: number;
  /** What the counts are out of: the origin's plots or deliveries (null for lots). */
  total: number | null;
  /** Revoked and expired first, then valid ones. */
  attestations: PassportAttestation[];
};

export function claimLines(passport: Pick<LotPassport, "attestations" | "lots" | "origin">): ClaimLine[] {
  const deliveries = new Set(passport.lots.filter((lot) => lot.events[0]?.event.kind === "minted").map((lot) => lot.lotId));
  const lines = new Map<string, ClaimLine>();
  const rank = { revoked: 0, expired: 1, valid: 2 } as const;
  // A plot attested twice under one scheme counts once, by its best status.
  const plotStatus = new Map<string, PassportAttestation["status"]>();
  for (const attestation of passport.attestations) {
    const subject = attestation.subjectKind === "plot" ? "plots" : deliveries.has(attestation.lotId) ? "deliveries" : "lots";
    const key = `${attestation.scheme.id}:${subject}`;
    let line = lines.get(key);
    if (!line) {
      const total = subject === "plots" ? passport.origin.plots || null : subject === "deliveries" ? passport.origin.deliveries : null;
      line = { scheme: attestation.scheme, subject, valid: 0, expired: 0, revoked: 0, total, attestations: [] };
      lines.set(key, line);
    }
    line.attestations.push(attestation);
    if (subject === "plots") {
      const plotKey = `${key}:${attestation.subject}`;
      const before = plotStatus.get(plotKey);
      if (before !== undefined && rank[before] >= rank[attestation.status]) continue;
      if (before !== undefined) line[before] -= 1;
      plotStatus.set(plotKey, attestation.status);
    }
    line[attestation.status] += 1;
  }
  const order = { plots: 0, deliveries: 1, lots: 2 } as const;
  return [...lines.values()]
    .map((line) => ({ ...line, attestations: [...line.attestations].sort((a, b) => rank[a.status] - rank[b.status]) }))
    .sort((a, b) => order[a.subject] - order[b.subject] || a.scheme.id - b.scheme.id);
}
