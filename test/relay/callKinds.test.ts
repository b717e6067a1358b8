import { expect } from "chai";
import { Wallet, ZeroHash, type Interface, type Result } from "ethers";
import { attestationRegistryInterface, ddsRegistryInterface, lotRegistryInterface, payoutRegistryInterface } from "../../src/chain/contracts";
import { ATTESTATION_CALL_KINDS } from "../../src/relay/attestationCalls";
import { callAddressOf, callSchemas, callTargetOf, encodeCall, isCallKind, type CallKind } from "../../src/relay/callKinds";
import { DDS_CALL_KINDS } from "../../src/relay/ddsCalls";
import { LOT_CALL_KINDS } from "../../src/relay/lotCalls";
import { memberCallSchemas, type MemberCallKind } from "../../src/relay/memberCalls";
import { payoutCallSchemas, type PayoutCallKind } from "../../src/relay/payoutCalls";

const PAYOUT_CALL_KINDS = Object.keys(payoutCallSchemas) as PayoutCallKind[];
const MEMBER_CALL_KINDS = Object.keys(memberCallSchemas) as MemberCallKind[];

const lotRegistry = "0x00000000000000000000000000000000000000a1";
const attestationRegistry = "0x00000000000000000000000000000000000000a2";
const ddsRegistry = "0x00000000000000000000000000000000000000a3";
const payoutRegistry = "0x00000000000000000000000000000000000000a4";
const receiver = Wallet.createRandom().address;
const digest = (byte: string) => `0x${byte.repeat(32)}`;
// Widened: the function is looked up by the name each kind maps to.
const lotRegistryAbi: Interface = lotRegistryInterface;
const attestationRegistryAbi: Interface = attestationRegistryInterface;
const ddsRegistryAbi: Interface = ddsRegistryInterface;
const payoutRegistryAbi: Interface = payoutRegistryInterface;
const abiOf = (kind: CallKind): Interface =>
  ({ lotRegistry: lotRegistryAbi, attestationRegistry: attestationRegistryAbi, ddsRegistry: ddsRegistryAbi, payoutRegistry: payoutRegistryAbi })[callTargetOf(kind)];
const delivery = { form: 1, grams: "42000", quality: 5_640, metadata: digest("11"), origin: digest("22") };

/** One valid body per kind, as a member sends it. */
const bodies: Record<CallKind, unknown> = {
  "lots.mint": delivery,
  "lots.mintBatch": { deliveries: [delivery, { ...delivery, grams: 7 }] },
  "lots.mintWithOriginClaims": { deliveries: [delivery] },
  "lots.offer": { lotId: "1000000001", receiver },
  "lots.accept": { lotId: 5, gramsReceived: "41950", quality: 5_830 },
  "lots.reject": { lotId: "5", reason: 3 },
  "lots.cancel": { lotId: "5" },
  "lots.split": { lotId: "5", parts: [{ form: 2, grams: "1", metadata: digest("33") }, { form: 2, grams: "2", metadata: digest("44") }] },
  "lots.merge": { lotIds: ["5", "6"], metadata: digest("55") },
  "lots.transform": { inputIds: ["5"], outputs: [{ form: 3, grams: "900", quality: 120, metadata: digest("66") }] },
  "lots.attachEvidence": { lotId: "5", evidence: digest("88") },
  "attestations.attest": { scheme: 4, subjectKind: "plot", subject: digest("0c"), evidence: digest("ab") },
  "attestations.attestBatch": { scheme: 1, attestations: [{ subjectKind: "plot", subject: digest("0c"), evidence: digest("ab") }] },
  "attestations.revoke": { uid: digest("77"), reason: 2 },
  "dds.recordStatement": { lotId: "5", referenceNumber: "25NLSN6LX69730", verificationNumber: "K7R8LA5F" },
  "payouts.commitPremium": { lotId: "5", scheme: "fairtrade", currency: "USD", ratePerKg: 24 },
  "payouts.publishRun": { root: digest("99"), count: 3, totals: [{ currency: "IDR", total: "1500000" }, { currency: "USD", total: 12 }] },
  "payouts.publishConfirmations": { runRoot: digest("99"), batchRoot: digest("98"), count: 36 },
  "members.addAccount": { memberId: "4", newAccount: receiver },
  "members.setAccountActive": { target: receiver, active: false },
};

/** The registry function each kind calls. */
const functionOf: Record<CallKind, string> = {
  "lots.mint": "mint",
  "lots.mintBatch": "mintBatch",
  "lots.mintWithOriginClaims": "mintBatchObserved",
  "lots.offer": "offer",
  "lots.accept": "accept",
  "lots.reject": "reject",
  "lots.cancel": "cancel",
  "lots.split": "split",
  "lots.merge": "merge",
  "lots.transform": "transform",
  "lots.attachEvidence": "attachEvidence",
  "attestations.attest": "attest",
  "attestations.attestBatch": "attestBatch",
  "attestations.revoke": "revoke",
  "dds.recordStatement": "recordStatement",
  "payouts.commitPremium": "commitPremium",
  "payouts.publishRun": "publishPayoutRun",
  "payouts.publishConfirmations": "publishConfirmationRoot",
  "members.addAccount": "addAccount",
  "members.setAccountActive": "setAccountActive",
};

describe("call kinds", function () {
  it("are the lot, attestation and payout kinds, each once, and nothing else", function () {
    const kinds = Object.keys(callSchemas).sort();
    expect(kinds).to.deep.equal([...LOT_CALL_KINDS, ...ATTESTATION_CALL_KINDS, ...DDS_CALL_KINDS, ...PAYOUT_CALL_KINDS, ...MEMBER_CALL_KINDS].sort());
    expect(new Set(kinds).size).to.equal(LOT_CALL_KINDS.length + ATTESTATION_CALL_KINDS.length + DDS_CALL_KINDS.length + PAYOUT_CALL_KINDS.length + MEMBER_CALL_KINDS.length);
    expect(Object.keys(bodies).sort()).to.deep.equal(kinds);
    for (const kind of kinds) expect(isCallKind(kind), kind).to.equal(true);
  });

  it("refuses names that are not kinds, including inherited property names", function () {
    for (const name of ["relay", "", "lots", "lots.", "LOTS.MINT", "lots.mint ", "attestations.attestbatch", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(isCallKind(name), JSON.stringify(name)).to.equal(false);
    }
  });

  it("send lot kinds to the lot registry and attestation kinds to the attestation registry", function () {
    for (const kind of LOT_CALL_KINDS) {
      expect(callTargetOf(kind)).to.equal("lotRegistry");
      expect(callAddressOf(kind, { lotRegistry })).to.equal(lotRegistry);
    }
    for (const kind of ATTESTATION_CALL_KINDS) {
      expect(callTargetOf(kind)).to.equal("attestationRegistry");
      expect(callAddressOf(kind, { lotRegistry, attestationRegistry })).to.equal(attestationRegistry);
      expect(callAddressOf(kind, { lotRegistry, attestationRegistry: undefined })).to.equal(null);
    }
    for (const kind of DDS_CALL_KINDS) {
      expect(callTargetOf(kind)).to.equal("ddsRegistry");
      expect(callAddressOf(kind, { lotRegistry, ddsRegistry })).to.equal(ddsRegistry);
      expect(callAddressOf(kind, { lotRegistry })).to.equal(null);
    }
    for (const kind of PAYOUT_CALL_KINDS) {
      expect(callTargetOf(kind)).to.equal("payoutRegistry");
      expect(callAddressOf(kind, { lotRegistry, attestationRegistry, payoutRegistry })).to.equal(payoutRegistry);
      expect(callAddressOf(kind, { lotRegistry, attestationRegistry })).to.equal(null);
    }
  });

  it("encode each kind's validated body as a call of its function, whose decoded arguments are the body's", function () {
    for (const kind of Object.keys(bodies) as CallKind[]) {
      const payload = callSchemas[kind].parse(bodies[kind]);
      const contract = abiOf(kind);
      const parsed = contract.parseTransaction({ data: encodeCall(kind, payload) });
      expect(parsed?.name, kind).to.equal(functionOf[kind]);
    }
    const decode = (kind: CallKind) => {
      const contract = abiOf(kind);
      return contract.decodeFunctionData(functionOf[kind], encodeCall(kind, callSchemas[kind].parse(bodies[kind])));
    };
    expect(decode("lots.offer").toArray()).to.deep.equal([1_000_000_001n, receiver]);
    expect(decode("lots.accept").toArray()).to.deep.equal([5n, 41_950n, 5_830n]);
    expect(decode("lots.reject").toArray()).to.deep.equal([5n, 3n]);
    expect(decode("lots.merge").toArray()).to.deep.equal([[5n, 6n], digest("55")]);
    // Structs decode as Results: compared by field name.
    const structs = (items: Result) => items.map((item: Result) => item.toObject());
    expect(structs(decode("lots.mintBatch")[0])).to.deep.equal([
      { form: 1n, grams: 42_000n, quality: 5_640n, metadata: digest("11"), origin: digest("22") },
      { form: 1n, grams: 7n, quality: 5_640n, metadata: digest("11"), origin: digest("22") },
    ]);
    const transform = decode("lots.transform");
    expect(transform[0].toArray()).to.deep.equal([5n]);
    expect(structs(transform[1])).to.deep.equal([{ form: 3n, grams: 900n, quality: 120n, metadata: digest("66") }]);
    // Quality is optional: 0 (not measured, or at acceptance: keep the lot's) when left out.
    expect(lotRegistryAbi.decodeFunctionData("accept", encodeCall("lots.accept", callSchemas["lots.accept"].parse({ lotId: 5, gramsReceived: "1" }))).toArray()).to.deep.equal([5n, 1n, 0n]);
    // Declared ingredients make it transformWithIngredients, each name a bytes32 of its UTF-8 bytes.
    const withSugar = callSchemas["lots.transform"].parse({ ...(bodies["lots.transform"] as object), ingredients: [{ outputForm: 3, grams: "300", name: "gula aren" }] });
    const sweet = lotRegistryAbi.parseTransaction({ data: encodeCall("lots.transform", withSugar) })!;
    expect(sweet.name).to.equal("transformWithIngredients");
    expect(structs(sweet.args[2])).to.deep.equal([{ outputForm: 3n, grams: 300n, name: `0x${Buffer.from("gula aren").toString("hex").padEnd(64, "0")}` }]);
    const attest = decode("attestations.attest");
    expect(attest[0]).to.equal(4n);
    expect(attest[1].toObject()).to.deep.include({ subject: digest("0c"), evidence: digest("ab"), expiresAt: 0n, dataHash: ZeroHash });
    expect(decode("attestations.revoke").toArray()).to.deep.equal([digest("77"), 2n]);
    expect(decode("dds.recordStatement").toArray()).to.deep.equal([5n, "25NLSN6LX69730", "K7R8LA5F"]);
    expect(structs(decode("lots.mintWithOriginClaims")[0])).to.deep.equal([{ form: 1n, grams: 42_000n, quality: 5_640n, metadata: digest("11"), origin: digest("22") }]);
    // Scheme names become bytes32 UTF-8, currencies bytes3 ASCII.
    expect(decode("payouts.commitPremium").toArray()).to.deep.equal([5n, `0x${Buffer.from("fairtrade").toString("hex").padEnd(64, "0")}`, "0x555344", 24n]);
    expect(decode("payouts.publishRun").toArray()).to.deep.equal([digest("99"), 3n, ["0x494452", "0x555344"], [1_500_000n, 12n]]);
    expect(decode("payouts.publishConfirmations").toArray()).to.deep.equal([digest("99"), digest("98"), 36n]);
  });

  it("refuse what a kind's schema does not describe: unknown fields, missing fields, values out of range", function () {
    const refused = (kind: CallKind, body: unknown) => expect(callSchemas[kind].safeParse(body).success, `${kind} ${JSON.stringify(body)}`).to.equal(false);
    refused("lots.offer", { lotId: "1", receiver: "0x1234" });
    refused("lots.offer", { lotId: "0", receiver });
    refused("lots.offer", { lotId: "1", receiver, to: receiver });
    refused("lots.accept", { lotId: "1" });
    refused("lots.accept", { lotId: "1", gramsReceived: "1", quality: 10_001 });
    refused("lots.accept", { lotId: "1", gramsReceived: "1", quality: 55.5 });
    refused("lots.mint", { ...delivery, quality: -1 });
    const transform = bodies["lots.transform"] as object;
    refused("lots.transform", { ...transform, ingredients: [{ outputForm: 3, grams: "1", name: "x".repeat(33) }] });
    refused("lots.transform", { ...transform, ingredients: [{ outputForm: 3, grams: "1", name: "é".repeat(17) }] });
    refused("lots.transform", { ...transform, ingredients: [{ outputForm: 3, grams: "1", name: "sugar\u0000" }] });
    refused("lots.transform", { ...transform, ingredients: [{ outputForm: 3, grams: "0", name: "sugar" }] });
    refused("lots.transform", { ...transform, ingredients: [{ outputForm: 3, grams: "1", name: "sugar", cost: 1 }] });
    refused("lots.transform", { ...transform, ingredients: Array.from({ length: 33 }, () => ({ outputForm: 3, grams: "1", name: "salt" })) });
    refused("lots.reject", { lotId: "1", reason: 65_536 });
    refused("lots.mintBatch", { deliveries: [] });
    refused("lots.merge", { lotIds: ["1"], metadata: digest("55") });
    refused("attestations.revoke", { uid: "0x12", reason: 1 });
    refused("dds.recordStatement", { lotId: "5", referenceNumber: "", verificationNumber: "K7R8LA5F" });
    refused("dds.recordStatement", { lotId: "5", referenceNumber: "25NL SN6", verificationNumber: "K7R8LA5F" });
    refused("dds.recordStatement", { lotId: "5", referenceNumber: "A".repeat(65), verificationNumber: "K7R8LA5F" });
    refused("lots.mintWithOriginClaims", { deliveries: [] });
    refused("payouts.commitPremium", { lotId: "5", scheme: "fairtrade", currency: "usd", ratePerKg: 1 });
    refused("payouts.commitPremium", { lotId: "5", scheme: "fairtrade", currency: "USD", ratePerKg: 0 });
    refused("payouts.commitPremium", { lotId: "5", scheme: "Fair Trade", currency: "USD", ratePerKg: 1 });
    refused("payouts.publishRun", { root: digest("99"), count: 0, totals: [{ currency: "IDR", total: 1 }] });
    refused("payouts.publishRun", { root: digest("99"), count: 1, totals: [] });
    refused("payouts.publishConfirmations", { runRoot: digest("99"), batchRoot: digest("98"), count: 0 });
    refused("payouts.publishConfirmations", { runRoot: digest("99"), count: 1 });
  });

  it("refuse to encode a payload that is not the schema's output, rather than writing a wrong call", function () {
    expect(() => encodeCall("lots.offer", { lotId: "one", receiver })).to.throw();
    expect(() => encodeCall("lots.offer", { lotId: "1", receiver: "not an address" })).to.throw();
    expect(() => encodeCall("lots.merge", { lotIds: ["1", "x"], metadata: digest("55") })).to.throw();
    expect(() => encodeCall("lots.mint", { form: 1, grams: "1" })).to.throw();
  });
});
