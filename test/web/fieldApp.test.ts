import { expect } from "chai";
import { TypedDataEncoder, Wallet, getAddress, verifyMessage, verifyTypedData } from "ethers";
import { lotRegistryInterface } from "../../src/chain/contracts";
import { FORWARD_REQUEST_TYPES } from "../../src/relay/forwardRequest";
import { plotCommitment } from "../../src/origins";
import { paymentCreateSchema, paymentDetails } from "../../src/payments";
import { verifyFieldRecord } from "../../src/field";
import { amountToPay, mintBatchCalldata, pointCommitment, receiptDigest } from "../../src/web/field/app/deliveries";
import { toHex } from "../../src/web/field/app/hex";
import { addressOf, forwardRequestDigest, signedByKey, signForwardRequest, signMessage } from "../../src/web/field/app/signing";
import { buildFieldApp } from "../../src/web/field/build";

/**
 * The phone's own encodings against the gateway's: what the field app signs and computes with
 * no connection must be exactly what the gateway, ethers and the contracts read.
 */
describe("field app: what the phone signs and computes", function () {
  const secretKey = new Uint8Array(32).fill(7);
  const wallet = new Wallet(toHex(secretKey));
  const domain = { name: "firstmile forwarder", version: "1", chainId: "31337", verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
  const digest = (byte: string) => `0x${byte.repeat(32)}`;

  it("derives the key's Ethereum address", function () {
    expect(addressOf(secretKey)).to.equal(wallet.address);
  });

  it("encodes mintBatch as the registry's ABI does", function () {
    const deliveries = [
      { form: 1, grams: 42_000, qualityBps: 5_500, metadata: digest("11"), origin: digest("22") },
      { form: 21, grams: 7, qualityBps: 0, metadata: digest("33"), origin: digest("44") },
    ];
    const expected = lotRegistryInterface.encodeFunctionData("mintBatch", [deliveries.map((d) => ({ form: d.form, grams: d.grams, quality: d.qualityBps, metadata: d.metadata, origin: d.origin }))]);
    expect(mintBatchCalldata(deliveries)).to.equal(expected);
  });

  it("signs a ForwardRequest under the forwarder's EIP-712 domain (chain id + forwarder)", async function () {
    const request = { from: wallet.address, to: getAddress(digest("ab").slice(0, 42)), value: "0", gas: "400000", nonce: "3", deadline: "1900000000", data: "0x1234" };
    const signature = signForwardRequest(domain, request, secretKey);
    expect(toHex(forwardRequestDigest(domain, request))).to.equal(TypedDataEncoder.hash(domain, FORWARD_REQUEST_TYPES, request));
    expect(verifyTypedData(domain, FORWARD_REQUEST_TYPES, request, signature)).to.equal(wallet.address);
    expect(signedByKey(domain, request, signature, secretKey)).to.equal(true);
    expect(signedByKey(domain, { ...request, data: "0x1235" }, signature, secretKey)).to.equal(false);
    // Another chain or forwarder: another signer recovered.
    expect(verifyTypedData({ ...domain, chainId: "1" }, FORWARD_REQUEST_TYPES, request, signature)).to.not.equal(wallet.address);
  });

  it("signs private records the gateway verifies against the device", function () {
    const message = JSON.stringify({ kind: "farmer", device: wallet.address, seq: 0, body: { id: "f_abcdefghijklmnopqrstuvwxyz", farmer: { name: "Siti", language: "id" } } });
    const signature = signMessage(message, secretKey);
    expect(verifyMessage(message, signature)).to.equal(wallet.address);
    expect(verifyFieldRecord(message, signature).device).to.equal(wallet.address);
    const other = JSON.stringify({ kind: "farmer", device: Wallet.createRandom().address, seq: 0, body: { id: "f_abcdefghijklmnopqrstuvwxyz", farmer: { name: "Siti", language: "id" } } });
    expect(() => verifyFieldRecord(other, signMessage(other, secretKey))).to.throw(/signed by/);
  });

  it("computes a point plot's commitment as the gateway stores it", function () {
    const salt = digest("5a");
    const geometry = { type: "Point" as const, coordinates: [120.1234567, -0.912345] };
    expect(pointCommitment("f_abcdefghijklmnopqrstuvwxyz", 120.1234567, -0.912345, salt)).to.equal(plotCommitment({ farmerRef: "f_abcdefghijklmnopqrstuvwxyz", geometry, salt }));
  });

  it("computes what to pay as the gateway's payment record does", function () {
    const cases = [
      { form: 1, grams: 42_350, qualityBps: 5_500, perKgMinor: 1_250_000, basis: "wet" as const, deductionMinor: 50_000, premiumMinor: 120_000 },
      { form: 21, grams: 61_200, qualityBps: 5_450, perKgMinor: 5_225, basis: "dry" as const, deductionMinor: 0, premiumMinor: 300 },
      { form: 2, grams: 9_999, qualityBps: 740, perKgMinor: 3_333_333, basis: "dry" as const, deductionMinor: 1, premiumMinor: 0 },
    ];
    for (const c of cases) {
      const rubber = c.form >= 20;
      const payment = paymentCreateSchema.parse({
        farmerId: "f_abcdefghijklmnopqrstuvwxyz",
        deliveryLotIds: ["1"],
        grossGrams: c.grams,
        quality: rubber ? { drcBps: c.qualityBps } : { moistureBps: c.qualityBps },
        price: { perKg: c.perKgMinor, basis: c.basis === "dry" && rubber ? "drc" : c.basis },
        currency: "IDR",
        minorUnits: 2,
        deductions: c.deductionMinor ? [{ reason: "x", amount: c.deductionMinor }] : [],
        premiums: c.premiumMinor ? [{ component: "other", amount: c.premiumMinor }] : [],
        paidAt: "2026-06-01T08:00:00Z",
        method: "cash",
      });
      expect(BigInt(amountToPay(c)), JSON.stringify(c)).to.equal(paymentDetails(payment).net);
    }
  });

  it("gives each receipt a digest and an 8-symbol short code", function () {
    const a = receiptDigest("one");
    expect(a.metadata).to.match(/^0x[0-9a-f]{64}$/);
    expect(a.shortCode).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(receiptDigest("two").metadata).to.not.equal(a.metadata);
  });

  it("bundles to at most 150 KB of gzipped JavaScript", async function () {
    const { gzipSync } = await import("node:zlib");
    const bundle = await buildFieldApp();
    // All of it: the app, the card scanner it loads when the camera opens, the service worker.
    const gzipped = gzipSync(bundle.app).length + gzipSync(bundle.scan).length + gzipSync(bundle.sw).length;
    expect(gzipped).to.be.below(150 * 1024);
  });
});
