import { deliveryContext, recordDelivery, signPayments } from "../src/web/field/app/actions";
import { openKey } from "../src/web/field/app/pinVault";
import { getDevice, openStore } from "../src/web/field/app/store";

/**
 * Injected into the field app's page by bench/field.bench.ts (its CSP bypassed there only): records
 * many deliveries through the app's own code, signed with the phone's key unlocked by its PIN, to
 * fill the queue for the sync benchmark faster than tapping through the form 500 times.
 */
(window as unknown as { fieldBench: unknown }).fieldBench = {
  async record(count: number, pin: string, farmerId: string, plotId: string): Promise<void> {
    const db = await openStore();
    const device = (await getDevice(db))!;
    const key = await openKey(device.sealedKey, pin);
    if (!key) throw new Error("wrong PIN");
    const context = await deliveryContext(db, plotId);
    for (let i = 0; i < count; i++) {
      await recordDelivery(db, key, { farmerId, plotId, form: 1, grams: 30_000 + i, qualityBps: 5_500, perKgMinor: 1_250_000, basis: "wet", deductionMinor: 0, premiumMinor: 0 }, context).stored;
    }
    // What the app's idle moments between deliveries do: each payment signed before the sync.
    await signPayments(db, key);
  },
};
