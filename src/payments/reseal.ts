import type { RecordResealer } from "../chain/keystore";
import { resealPayments } from "./paymentStore";
import { resealOtherIncome, resealPayoutRuns } from "./payoutRuns";

/** What `firstmile keys rotate` re-seals of this module: payment details, run leaves, declared incomes. */
export const paymentResealers: readonly RecordResealer[] = [
  { name: "payments", reseal: resealPayments },
  { name: "payout runs", reseal: resealPayoutRuns },
  { name: "declared other incomes", reseal: resealOtherIncome },
];
