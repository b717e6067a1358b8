import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { createApp, createRateLimiter, issueApiToken } from "../../src/api";
import { createFarmerPageRoutes } from "../../src/api/farmerPageRoutes";
import type { Database } from "../../src/db";
import { consentCreateSchema, createFarmer, farmerCreateSchema, recordConsent, type Farmer } from "../../src/farmers";
import { createPayment, paymentCreateSchema, type Payment } from "../../src/payments";
import { openFarmerFixture, type FarmerFixture } from "../farmers/helpers";

/**
 * A cooperative with two farmers (Siti, who reads Indonesian, and Somchai, Thai), each paid once
 * for a delivery, behind the gateway's own Express app with the receipt and farmer-page routes,
 * on a real SQL engine and keystore. The deliveries are written as the indexer would have (no
 * chain: the page's premium owed is then none).
 */
export const COOP = 301n;
export const OTHER_COOP = 302n;

export type FarmerPageFixture = {
  fixture: FarmerFixture;
  db: Database;
  base: string;
  tokens: Map<bigint, string>;
  farmers: { siti: Farmer; somchai: Farmer };
  payments: { siti: Payment; somchai: Payment };
  close(): Promise<void>;
};

async function indexedDelivery(db: Database, lotId: bigint, member: bigint, grams: number): Promise<void> {
  await db.query(
    `insert into lots (lot_id, commodity, form, grams, status, custodian, custodian_member, creator, creator_member, genesis, metadata, head, event_count,
                       created_position, created_block, created_tx, updated_position, created_at)
     values ($1, 1, 1, $6, 'active', $2, $3, $2, $3, 'minted', $4, $4, 1, $5, 1, $4, $5, '2026-05-01T02:00:00Z')`,
    [lotId.toString(), `0x${"11".repeat(20)}`, member.toString(), `0x${"00".repeat(32)}`, "0".repeat(24), grams],
  );
}

export async function openFarmerPageFixture(options: { codeAttemptsPerMinute?: number } = {}): Promise<FarmerPageFixture> {
  const fixture = await openFarmerFixture();
  const { db } = fixture;
  const records = fixture.keystore.records;
  const tokens = new Map<bigint, string>();
  for (const member of [COOP, OTHER_COOP]) tokens.set(member, (await issueApiToken(db, member)).token);
  const farmer = async (name: string, language: string, gender: string) => {
    const created = await createFarmer(db, records, { memberId: COOP, farmer: farmerCreateSchema.parse({ name, language, gender }) });
    await recordConsent(db, records, created.id, COOP, consentCreateSchema.parse({ scope: "payments", method: "thumbprint", recordedBy: "Agent Yusuf" }));
    return created;
  };
  const siti = await farmer("Siti Rahmawati", "id", "female");
  const somchai = await farmer("Somchai Chaiyasit", "th", "male");
  await indexedDelivery(db, 9_000_000_001n, COOP, 600_000);
  await indexedDelivery(db, 9_000_000_002n, COOP, 400_000);
  const pay = (farmerId: string, lot: string, grams: number) =>
    createPayment(db, records, {
      memberId: COOP,
      payment: paymentCreateSchema.parse({
        farmerId,
        deliveryLotIds: [lot],
        grossGrams: grams,
        price: { perKg: 3_500_000, basis: "wet" },
        currency: "IDR",
        minorUnits: 2,
        deductions: [{ reason: "<b>foreign matter</b>", amount: 50_000 }],
        premiums: [{ component: "living-income-differential", amount: 90_000_000, scheme: "living-income" }],
        paidAt: "2026-05-04T09:00:00+08:00",
        method: "mobile-money",
      }),
    });
  const payments = { siti: await pay(siti.id, "9000000001", 600_000), somchai: await pay(somchai.id, "9000000002", 400_000) };

  let base = "";
  const farmerPage = createFarmerPageRoutes({
    db,
    records,
    publicBase: () => base,
    codeLimiter: createRateLimiter({ capacity: options.codeAttemptsPerMinute ?? 10, perSecond: (options.codeAttemptsPerMinute ?? 10) / 60 }),
  });
  const app = createApp({ db, logger: pino({ level: "silent" }), routes: farmerPage.routes, routers: [{ path: "/", router: farmerPage.router }] });
  // Both address families: Chromium may try ::1 first for localhost.
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, () => resolve(s));
  });
  // localhost: a secure context for WebAuthn without TLS.
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    fixture,
    db,
    base,
    tokens,
    farmers: { siti, somchai },
    payments,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fixture.close();
    },
  };
}

/** A fetch with a member's token (or none) and JSON. */
export async function call(f: FarmerPageFixture, member: bigint | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${f.base}${path}`, {
    method,
    headers: { ...(member !== null ? { authorization: `Bearer ${f.tokens.get(member)}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
