import type { RecordResealer } from "../chain/keystore";
import { resealConsents } from "./consents";
import { resealFarmers } from "./farmerStore";
import { resealPrivateEvidenceKeys } from "./privateEvidence";
import { resealMemberSecrets } from "./pseudonym";

/** What `firstmile keys rotate` re-seals besides the custodial keys: every private record of this module. */
export const farmerResealers: readonly RecordResealer[] = [
  { name: "cooperative secrets", reseal: resealMemberSecrets },
  { name: "farmers", reseal: resealFarmers },
  { name: "consent witnesses", reseal: resealConsents },
  { name: "private document keys", reseal: resealPrivateEvidenceKeys },
];
