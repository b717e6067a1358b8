export { ClaimLedger, ClaimRuleError, ClaimState, MAX_ATTESTATIONS_PER_SUBJECT, MAX_WALK, NO_EXPIRY } from "./claimLedger";
export type { ClaimStateName, CreditEntry, DerivedOutput, FormAllowances, LedgerAttestation, LedgerLot, LotClaim, LotStatusName } from "./claimLedger";
export { computeAttestationUid, numberSubject } from "./attestationUid";
export type { AttestationUidParameters } from "./attestationUid";
export { ChainOfCustody, DEMO_SCHEMES, SubjectKind, demoSchemeByName, registeredSchemeId, schemeByKey, subjectsToBits } from "./schemes";
export type { ChainOfCustodyName, SchemeIdLookup, SchemeSpec, SubjectKindName } from "./schemes";
