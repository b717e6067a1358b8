import type { CocoaDelivery, DemoDelivery } from "./story";
import type { DemoMemberClient, MinedRequest } from "./demoClient";
import { confirmDemoPayments, demoAnswerOf } from "./demoConfirmations";

/**
 * The demo's money (docs/payments.md): each cocoa cooperative pays its farmers in rupiah for their
 * wet beans with a living-income differential and publishes a payout run; the rubber buying
 * station pays in baht by dry rubber content and publishes its run; the chocolate maker commits a
 * living-income premium on the chocolate it holds, so the bar's page shows what reached the farms.
 * Prices are plausible, invented figures. Safe to run again: deliveries already paid are skipped
 * and a run is asked for with the same idempotency key.
 */
type Member = DemoMemberClient & { account: string };
type Relay = (member: Member, key: string, route: string, body: unknown) => Promise<MinedRequest>;

/** Wet cocoa beans: 35,000 IDR a kg; the living-income differential 1,500 IDR a kg (in sen). */
const COCOA_PRICE_PER_KG = 3_500_000n;
const COCOA_PREMIUM_PER_KG = 150_000n;
/** Rubber cup lump: 58 THB a kg of dry rubber (in satang). */
const RUBBER_PRICE_PER_DRY_KG = 5_800n;

export type PayDemoFarmersParameters = {
  cooperatives: Record<string, Member>;
  buyingStation: Member;
  brand: Member;
  cocoa: { farms: readonly CocoaDelivery[]; deliveries: readonly string[]; farmers: readonly string[] };
  rubber: { farms: ReadonlyArray<DemoDelivery & { drcBps: number }>; deliveries: readonly string[]; farmers: readonly string[] };
  chocolate: string;
  relay: Relay;
  log: (line: string) => void;
  /** Where the farmers' phones reach the gateway, and the public origin of their page (the passkeys'). */
  farmerPage?: { gatewayUrl: string; origin: string };
};

/**
 * When a farmer was paid: the seed's own time. The story's weigh-in dates are older than the
 * blocks the deliveries are minted in, and the page measures days from the block.
 */
const paidNow = () => new Date().toISOString();

export async function payDemoFarmers(p: PayDemoFarmersParameters): Promise<void> {
  // Cocoa: one payment per delivery, a run per cooperative; rubber by DRC, in baht; the chocolate
  // maker's promise. Independent of each other: side by side, as the story's lots move.
  const cocoa = Object.entries(p.cooperatives).map(async ([key, coop]) => {
    const indices = p.cocoa.farms.map((farm, i) => (farm.cooperative === key ? i : -1)).filter((i) => i >= 0);
    const ids = await payEach(coop, indices, (i) => {
      const farm = p.cocoa.farms[i]!;
      const kg = farm.grams / 1000n;
      return {
        farmerId: p.cocoa.farmers[i],
        deliveryLotIds: [p.cocoa.deliveries[i]],
        grossGrams: farm.grams.toString(),
        quality: { moistureBps: 5_500 },
        price: { perKg: COCOA_PRICE_PER_KG.toString(), basis: "wet" },
        currency: "IDR",
        minorUnits: 2,
        deductions: [{ reason: "sacks", amount: "500000" }],
        premiums: [{ component: "living-income-differential", amount: (kg * COCOA_PREMIUM_PER_KG).toString(), scheme: "living-income" }],
        paidAt: paidNow(),
        method: i % 3 === 0 ? "cash" : "mobile-money",
      };
    });
    await p.relay(coop, `demo:payouts:cocoa:${key}`, "/v1/payout-runs", { paymentIds: ids });
    p.log(`demo: ${key}: ${ids.length} farmers paid, the payout run on chain`);
    if (p.farmerPage) {
      const payments = ids.map((id, k) => ({ id, farmerId: p.cocoa.farmers[indices[k]!]!, answer: demoAnswerOf(indices[k]!) }));
      const started = Date.now();
      const counts = await confirmDemoPayments({ cooperative: coop, payments, ...p.farmerPage, key: `demo:confirmations:cocoa:${key}` });
      p.log(
        `demo: ${key}: ${counts.passkey} payments confirmed with passkeys (software authenticator), ${counts.agent} through a field agent, ${counts.paper} on paper; ${
          counts.batch ? `a batch of ${counts.batch.count} confirmations on chain` : "no new confirmation batch"
        } (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  });
  const rubber = (async () => {
    const ids = await payEach(p.buyingStation, p.rubber.farms.map((_, i) => i), (i) => {
      const farm = p.rubber.farms[i]!;
      return {
        farmerId: p.rubber.farmers[i],
        deliveryLotIds: [p.rubber.deliveries[i]],
        grossGrams: farm.grams.toString(),
        quality: { drcBps: farm.drcBps },
        price: { perKg: RUBBER_PRICE_PER_DRY_KG.toString(), basis: "drc" },
        currency: "THB",
        minorUnits: 2,
        paidAt: paidNow(),
        method: "bank-transfer",
      };
    });
    await p.relay(p.buyingStation, "demo:payouts:rubber", "/v1/payout-runs", { paymentIds: ids });
  })();
  // Sized so that the cooperatives' differential covers about ten elevenths of it.
  const commitment = (async () => {
    const chocolate = await p.brand.expect(200, "GET", `/v1/lots/${p.chocolate}`);
    const wetGrams = p.cocoa.farms.reduce((sum, farm) => sum + farm.grams, 0n);
    const rate = (COCOA_PREMIUM_PER_KG * wetGrams * 11n) / (10n * BigInt(chocolate.grams));
    await p.relay(p.brand, "demo:premium:chocolate", "/v1/premium-commitments", { lotId: p.chocolate, scheme: "living-income", currency: "IDR", ratePerKg: rate.toString() });
  })();
  await Promise.all([...cocoa, rubber, commitment]);
  p.log(`demo: farmers paid (${p.cocoa.deliveries.length} cocoa, ${p.rubber.deliveries.length} rubber), payout runs on chain, a living-income premium committed on the chocolate`);
}

/** Records a payment for each index not paid before (by its delivery); answers every payment id, in order. */
async function payEach(member: Member, indices: readonly number[], body: (i: number) => Record<string, unknown>): Promise<string[]> {
  const existing: Array<{ id: string; deliveryLotIds: string[] }> = (await member.expect(200, "GET", "/v1/payments?limit=5000")).payments;
  const ids: string[] = [];
  for (const i of indices) {
    const payment = body(i);
    const lot = (payment.deliveryLotIds as string[])[0]!;
    const paid = existing.find((e) => e.deliveryLotIds.includes(lot));
    ids.push(paid ? paid.id : (await member.expect(201, "POST", "/v1/payments", payment)).id);
  }
  return ids;
}
