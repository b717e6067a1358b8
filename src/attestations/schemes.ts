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
  /** The name registered on chain: plain words, never a certification body's trademark. */
  name: string;
  version: string;
  model: ChainOfCustodyName;
  subjects: readonly SubjectKindName[];
  /** Seconds an attestation without explicit expiry stays valid; 0 = no expiry. */
  defaultValiditySeconds: number;
  /** Names this scheme was registered with on earlier chains (found again, never registered). */
  formerNames?: readonly string[];
}

const YEAR = 365 * 24 * 60 * 60;

/**
 * The demo schemes, named for what the certifier checked rather than after a real scheme: a real
 * scheme (its own name, version and rules) is registered by a network's governors, and pages show
 * its name as registered. The plot claim is what a satellite change check can say (the EU
 * Deforestation Regulation's cut-off, 31 Dec 2020); it is segregated because EUDR allows no mass
 * balance. Certified-farm and premium claims on cocoa commonly allow mass balance; organic
 * requires physical separation.
 */
export const DEMO_SCHEMES: readonly SchemeSpec[] = [
  {
    key: "no-forest-loss-since-2020",
    name: "No forest loss detected since 31 Dec 2020 (satellite check)",
    version: "1.0",
    model: "segregated",
    subjects: ["plot"],
    // The cut-off date is fixed: the claim stands until revoked on new evidence.
    defaultValiditySeconds: 0,
    formerNames: ["EUDR deforestation-free (cut-off 2020-12-31)"],
  },
  {
    key: "certified-farm",
    name: "Certified farm (sustainable agriculture standard)",
    version: "1.0",
    model: "massBalance",
    subjects: ["member"],
    defaultValiditySeconds: YEAR,
    formerNames: ["Rainforest-Alliance-like certified farm"],
  },
  {
    key: "fair-price-premium",
    name: "Fair-price premium eligible",
    version: "1.0",
    model: "massBalance",
    subjects: ["lot"],
    defaultValiditySeconds: YEAR,
    formerNames: ["Fairtrade-like premium eligible"],
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

/** The demo scheme registered under `name` (its name now or a former one), if any. */
export function demoSchemeByName(name: string): SchemeSpec | undefined {
  return DEMO_SCHEMES.find((scheme) => scheme.name === name || scheme.formerNames?.includes(name));
}

/** `AttestationRegistry.schemeIdOf`, or anything that answers it. */
export type SchemeIdLookup = { schemeIdOf(name: string, version: string): Promise<bigint> };

/**
 * The id of `scheme` on a chain: registered under its name, else under a former name (a chain
 * deployed before the scheme was renamed); 0 if neither.
 */
export async function registeredSchemeId(registry: SchemeIdLookup, scheme: SchemeSpec): Promise<number> {
  for (const name of [scheme.name, ...(scheme.formerNames ?? [])]) {
    const id = Number(await registry.schemeIdOf(name, scheme.version));
    if (id !== 0) return id;
  }
  return 0;
}
