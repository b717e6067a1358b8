import { schemeByKey } from "../../src/attestations/schemes";
import { formByKey } from "../../src/lots/forms";
import type { LotHistoryEventJson, LotPassport, PassportAttestation } from "../../src/web/passport/types";

const ZERO32 = `0x${"00".repeat(32)}`;
const COOP = "0x00000000000000000000000000000000000000c1";
const EXPORTER = "0x00000000000000000000000000000000000000e1";
const BRAND = "0x00000000000000000000000000000000000000b1";
const CERTIFIER = "0x00000000000000000000000000000000000000a1";

/**
 * A chocolate-like twin, as the gateway would answer it: `deliveries` wet-bean deliveries to a
 * Sulawesi cooperative (half on one day, half on the next), each from its own plot with a
 * no-forest-loss plot attestation and a premium attestation (`revoked` of them revoked), merged,
 * handed to an exporter, then to a chocolate maker, who makes the bar. Pure data: what the page
 * shows is rendered from this alone.
 */
export function cocoaPassport({ deliveries = 6, revoked = 1 }: { deliveries?: number; revoked?: number } = {}): LotPassport {
  const wet = formByKey("cocoa-wet-beans");
  const chocolate = formByKey("chocolate");
  let block = 10;
  const at = (day: number) => `2026-06-${String(8 + day).padStart(2, "0")}T03:00:00.000Z`;
  const event = (event: LotHistoryEventJson, day: number) => ({ event, txHash: ZERO32, blockNumber: ++block, logIndex: 0, blockTime: at(day), head: ZERO32 });
  const ids = Array.from({ length: deliveries }, (_, i) => String(100 + i));
  const merged = "200";
  const bar = "300";
  const grams = 100_000;
  const total = grams * deliveries;
  const lots: LotPassport["lots"] = [
    { lotId: bar, depth: 0, ingredients: [], events: [event({ kind: "derived", lotId: bar, custodian: BRAND, form: chocolate.id, grams: String(total / 2), quality: 0, metadata: ZERO32, ingredients: ZERO32, inputIds: [merged], inputHeads: [ZERO32] }, 20)] },
    {
      lotId: merged,
      depth: 1,
      ingredients: [],
      events: [
        event({ kind: "derived", lotId: merged, custodian: COOP, form: wet.id, grams: String(total), quality: 0, metadata: ZERO32, ingredients: ZERO32, inputIds: ids, inputHeads: ids.map(() => ZERO32) }, 2),
        event({ kind: "offered", lotId: merged, custodian: COOP, receiver: EXPORTER }, 3),
        event({ kind: "accepted", lotId: merged, previousCustodian: COOP, custodian: EXPORTER, gramsSent: String(total), gramsReceived: String(total), quality: 0 }, 4),
        event({ kind: "offered", lotId: merged, custodian: EXPORTER, receiver: BRAND }, 10),
        event({ kind: "accepted", lotId: merged, previousCustodian: EXPORTER, custodian: BRAND, gramsSent: String(total), gramsReceived: String(total), quality: 0 }, 12),
        event({ kind: "transformed", lotId: merged, firstOutputId: bar, outputCount: "1" }, 20),
      ],
    },
    ...ids.map((id, i) => ({
      lotId: id,
      depth: 2,
      ingredients: [],
      events: [
        event({ kind: "minted", lotId: id, custodian: COOP, form: wet.id, grams: String(grams), quality: 0, metadata: ZERO32, origin: plotOf(i) }, i < deliveries / 2 ? 0 : 1),
        event({ kind: "merged", lotId: id, firstOutputId: merged, outputCount: "1" }, 2),
      ],
    })),
  ];
  const noForestLoss = schemeByKey("no-forest-loss-since-2020");
  const premium = schemeByKey("fair-price-premium");
  const attestation = (i: number, subjectKind: "lot" | "plot", status: PassportAttestation["status"]): PassportAttestation => ({
    uid: `0x${(subjectKind === "plot" ? "a" : "b")}${i.toString(16).padStart(63, "0")}`,
    subjectKind,
    lotId: ids[i]!,
    scheme: subjectKind === "plot" ? { id: 1, name: noForestLoss.name, version: noForestLoss.version, model: "segregated" } : { id: 3, name: premium.name, version: premium.version, model: "massBalance" },
    certifier: { memberId: "9", account: CERTIFIER, name: "Asia Sustainable Agriculture Certification" },
    attestedAt: "2026-06-10T00:00:00.000Z",
    expiresAt: null,
    status,
    revocation: status === "revoked" ? { reason: 2, at: "2026-06-11T00:00:00.000Z" } : null,
    evidence: ZERO32,
    subject: subjectKind === "plot" ? plotOf(i) : `0x${BigInt(ids[i]!).toString(16).padStart(64, "0")}`,
    dataHash: ZERO32,
  });
  return {
    format: "firstmile.passport.v1",
    chainId: "31337",
    contracts: { LotRegistry: COOP, AttestationRegistry: CERTIFIER },
    lot: { lotId: bar, commodity: "cocoa", form: { id: chocolate.id, key: chocolate.key, name: chocolate.name }, grams: String(total / 2), quality: { bps: 0, measure: "moisture" }, status: "active", custodian: null },
    product: { gtin: "08712345600129", batch: "ZCC-2026-46", name: "Sulawesi 70% dark chocolate, 100 g" },
    origin: {
      deliveries,
      plots: deliveries,
      farmers: deliveries >= 5 ? deliveries : null,
      areaM2: deliveries * 15_000,
      unregistered: 0,
      districts: [
        { country: "ID", province: "Sulawesi Tengah", district: "Parigi Moutong", plots: deliveries - 1, areaM2: (deliveries - 1) * 15_000 },
        { country: "ID", province: "Sulawesi Selatan", district: "Luwu Utara", plots: 1, areaM2: 15_000 },
      ],
      firstDelivery: at(0),
      lastDelivery: at(1),
      grams: String(total),
    },
    members: [
      { memberId: "3", name: "Koperasi Tani Kakao Tinombo Lestari", kind: "cooperative", region: "Tinombo, Parigi Moutong, Sulawesi Tengah", roles: ["cooperative"], country: "ID" },
      { memberId: "6", name: "PT Celebes Cocoa Export", kind: "exporter", region: "Makassar, Sulawesi Selatan", roles: ["processor"], country: "ID" },
      { memberId: "9", name: "Asia Sustainable Agriculture Certification", kind: "certification-body", region: "Kuala Lumpur", roles: ["certifier"], country: "MY" },
      { memberId: "13", name: "Zaanstreek Chocolate Company B.V.", kind: "chocolate-maker", region: "Zaandam, Noord-Holland", roles: ["brand"], country: "NL" },
    ],
    accounts: { [COOP]: "3", [EXPORTER]: "6", [CERTIFIER]: "9", [BRAND]: "13" },
    lots,
    attestations: [...ids.map((_, i) => attestation(i, "plot", "valid")), ...ids.map((_, i) => attestation(i, "lot", i < revoked ? "revoked" : "valid"))],
    claims: [],
    evidence: [],
    verification: { ok: true, block: { number: 1324, time: "2026-11-20T09:30:00.000Z" }, checkedAt: "2026-11-20T09:30:01.000Z", lotsChecked: lots.length, attestationsChecked: deliveries * 2, mismatches: [] },
  };
}

function plotOf(i: number): string {
  return `0x${"c".repeat(56)}${i.toString(16).padStart(8, "0")}`;
}
