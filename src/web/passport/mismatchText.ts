import { message, type Locale, type MessageKey } from "../i18n";
import type { VerificationMismatch } from "./types";

const FIELDS: Readonly<Record<string, MessageKey>> = {
  grams: "fieldGrams",
  form: "fieldForm",
  status: "fieldStatus",
  custodian: "fieldCustodian",
  head: "fieldHead",
  "event count": "fieldEventCount",
  row: "fieldRow",
  "origin deliveries": "fieldOriginDeliveries",
  "origin grams": "fieldOriginGrams",
};

/**
 * A difference the checks found, as plain text in the reader's language. English pages show the
 * check's own sentence (`what`, which names every value in full, as `firstmile verify` prints
 * it); other languages say the same from the mismatch's fields. Hashes and ids stay as they are.
 */
export function mismatchText(locale: Locale, mismatch: VerificationMismatch): string {
  if (locale === "en") return mismatch.what;
  const t = (key: MessageKey, values: Record<string, string> = {}) => message(locale, key, values);
  switch (mismatch.kind) {
    case "head":
      return `${t("mmHead", { lotId: mismatch.lotId })} (${mismatch.computed} ≠ ${mismatch.chain})`;
    case "readModel": {
      const field = FIELDS[mismatch.field];
      return t("mmRecords", { lotId: mismatch.lotId, field: field ? t(field) : mismatch.field, shown: mismatch.shown, events: mismatch.events });
    }
    case "events":
      return t("mmEvents", { lotId: mismatch.lotId });
    case "attestation":
      return mismatch.problem === "fields"
        ? t("mmAttestationFields", { uid: mismatch.uid })
        : t("mmAttestationStatus", { uid: mismatch.uid, shown: t(mismatch.shown === "valid" ? "attValid" : mismatch.shown === "expired" ? "attExpired" : "attRevoked"), chain: t(mismatch.chainValid ? "mmValid" : "mmNotValid") });
    case "evidence":
      return t("mmEvidence", { cid: mismatch.cid ?? mismatch.digest });
    case "chain":
      return t("mmChain");
  }
}
