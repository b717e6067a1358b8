export { ClaimLedger, ClaimRuleError, ClaimState, NO_EXPIRY } from "./claimLedger";
export type { ClaimStateName, CreditEntry, DerivedOutput, LedgerAttestation, LedgerLot, LotClaim, LotStatusName } from "./claimLedger";
export { computeAttestationUid, numberSubject } from "./attestationUid";
export type { AttestationUidParameters } from "./attestationUid";
export { ChainOfCustody, DEMO_SCHEMES, SubjectKind, schemeByKey, subjectsToBits } from "./schemes";
export type { ChainOfCustodyName, SchemeSpec, SubjectKindName } from "./schemes";
