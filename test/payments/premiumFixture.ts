import type { PremiumFigures } from "../../src/payments/publicFigures";

/** Premium figures as the chocolate bar of the web fixture could show them (members 3, 6, 13). */
export function premiumFiguresFixture(): PremiumFigures {
  return {
    payoutRegistry: `0x${"ee".repeat(20)}`,
    commitments: [
      { commitmentId: "1", lotId: "300", memberId: "13", scheme: "living-income", currency: "IDR", ratePerKg: "250000", total: "100000000", txHash: `0x${"aa".repeat(32)}` },
      { commitmentId: "2", lotId: "300", memberId: "13", scheme: "fairtrade", currency: "USD", ratePerKg: "24", total: "9600", txHash: `0x${"bb".repeat(32)}` },
    ],
    totals: [
      { currency: "IDR", committed: "100000000", owed: "100000000", paid: "92000000", sharePaidBps: 9200 },
      { currency: "USD", committed: "9600", owed: "9600", paid: "0", sharePaidBps: 0 },
    ],
    farmers: { count: 12, fewerThan5: false },
    womenShareBps: 4167,
    medianDaysToPayment: 6.5,
    confirmedByPasskeyBps: 5833,
    intermediaries: [
      { memberId: "3", currency: "IDR", received: "100000000", passedOn: "92000000", keptBps: 800 },
      { memberId: "6", currency: "IDR", received: "100000000", passedOn: "92000000", keptBps: 800 },
    ],
    payoutRuns: [{ root: `0x${"cc".repeat(32)}`, txHash: `0x${"dd".repeat(32)}`, memberId: "3", count: 12 }],
    converted: null,
  };
}
