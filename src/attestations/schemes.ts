/**
 * Scheme vocabulary as contracts/attestations/IAttestationRegistry.sol numbers it, and the
 * catalogue of schemes the network registers at deployment (deploy/004_attestations.ts).
 */

/** ISO 22095 chain-of-custody models (`IAttestationRegistry.ChainOfCustody`). */
export const ChainOfCustody = { identityPreserved: 1, segregated: 2, massBalance: 3 } as const;
export type ChainOfCustodyName = keyof typeof ChainOfCustody;

/** What an attestation is about (`IAttestationRegistry.SubjectKind`). */
export const SubjectKind = { lot: 1, plot: 2, member: 3 } as const;
export type SubjectKindName = keyof typeof SubjectKind;

/** The `subjects` bitmask of a scheme: bit `1 << SubjectKind` per kind. */
export function subjectsToBits(kinds: readonly SubjectKindName[]): number {
  return kinds.reduce((bits, kind) => bits | (1 << SubjectKind[kind]), 0);
}

export interface SchemeSpec {
  /** Stable key for code and config. */
  key: string;
  name: string;
  version: string;
  model: ChainOfCustodyName;
  subjects: readonly SubjectKindName[];
  /** Seconds an attestation without explicit expiry stays valid; 0 = no expiry. */
  defaultValiditySeconds: number;
}

const YEAR = 365 * 24 * 60 * 60;

/**
 * The demo schemes. EUDR forbids mass balance, so its plot claim is segregated; certified-farm and
 * premium schemes for cocoa commonly allow mass balance; organic requires physical separation.
 */
export const DEMO_SCHEMES: readonly SchemeSpec[] = [
  {
    key: "eudr-deforestation-free",
    name: "EUDR deforestation-free (cut-off 2020-12-31)",
    version: "1.0",
    model: "segregated",
    subjects: ["plot"],
    // The cut-off date is fixed: the claim stands until revoked on new evidence.
    defaultValiditySeconds: 0,
  },
  {
    key: "rainforest-alliance-like-farm",
    name: "Rainforest-Alliance-like certified farm",
    version: "1.0",
    model: "massBalance",
    subjects: ["member"],
    defaultValiditySeconds: YEAR,
  },
  {
    key: "fairtrade-like-premium",
    name: "Fairtrade-like premium eligible",
    version: "1.0",
    model: "massBalance",
    subjects: ["lot"],
    defaultValiditySeconds: YEAR,
  },
  {
    key: "organic",
    name: "organic",
    version: "1.0",
    model: "segregated",
    subjects: ["lot"],
    defaultValiditySeconds: YEAR,
  },
];

export function schemeByKey(key: string): SchemeSpec {
  const scheme = DEMO_SCHEMES.find((candidate) => candidate.key === key);
  if (!scheme) throw new Error(`unknown scheme key ${key}`);
  return scheme;
}
