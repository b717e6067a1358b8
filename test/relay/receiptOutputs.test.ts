import { expect } from "chai";
import { Wallet, getAddress, type Interface } from "ethers";
import { forwarderInterface, lotRegistryInterface } from "../../src/chain/contracts";
import { callKey, outputsOf, splitLogsByCall, type LogLike } from "../../src/relay/receiptOutputs";

const forwarder = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const registry = "0x00000000000000000000000000000000000000A1";
const elsewhere = "0x00000000000000000000000000000000000000b2";
const signer = getAddress(Wallet.createRandom().address);
const other = getAddress(Wallet.createRandom().address);
const hash = (byte: string) => `0x${byte.repeat(32)}`;

/** The forwarder's `ExecutedForwardRequest(signer, nonce, success)` log. */
function executed(from: string, nonce: bigint, success: boolean, address = forwarder): LogLike {
  return { address, ...forwarderInterface.encodeEventLog("ExecutedForwardRequest", [from, nonce, success]) };
}

function registryLog(event: string, args: unknown[], address = registry): LogLike {
  return { address, ...(lotRegistryInterface as Interface).encodeEventLog(event, args) };
}

const offered = (lotId: bigint) => registryLog("HandoverOffered", [lotId, signer, other, hash("0e")]);
const mintedOne = (lotId: bigint, head: string) => registryLog("LotMinted", [lotId, 1, 42_000n, 5_640, hash("11"), hash("22"), head]);
const mintedMany = (first: bigint, count: number) =>
  registryLog("LotsMinted", [
    signer,
    first,
    Array.from({ length: count }, (_, i) => ({ form: 1, grams: BigInt(1_000 + i), quality: 0, metadata: hash("11"), origin: hash("22") })),
    Array.from({ length: count }, (_, i) => hash((10 + i).toString(16).padStart(2, "0"))),
  ]);

describe("receipt outputs", function () {
  describe("splitLogsByCall", function () {
    it("gives each call the logs emitted before its ExecutedForwardRequest event, keyed by signer and nonce", function () {
      const logs = [offered(7n), executed(signer, 3n, true), offered(8n), offered(9n), executed(other, 0n, true)];
      const calls = splitLogsByCall(logs, forwarder);
      expect([...calls.keys()]).to.deep.equal([callKey(signer, 3n), callKey(other, 0n)]);
      expect(calls.get(callKey(signer, 3n))).to.deep.equal({ success: true, logs: [logs[0]] });
      expect(calls.get(callKey(other, 0n))).to.deep.equal({ success: true, logs: [logs[2], logs[3]] });
    });

    it("gives a call that reverted no logs, and drops logs after the last event", function () {
      const logs = [offered(7n), executed(signer, 4n, false), offered(8n)];
      const calls = splitLogsByCall(logs, forwarder);
      expect(calls.size).to.equal(1);
      expect(calls.get(callKey(signer, 4n))).to.deep.equal({ success: false, logs: [] });
    });

    it("reads the forwarder's events only from the forwarder, whatever the address case", function () {
      const forged = executed(signer, 5n, true, elsewhere);
      const calls = splitLogsByCall([forged, executed(signer, 6n, true, forwarder.toLowerCase())], forwarder.toUpperCase().replace("0X", "0x"));
      expect([...calls.keys()]).to.deep.equal([callKey(signer, 6n)]);
      expect(calls.get(callKey(signer, 6n))!.logs).to.deep.equal([forged]);
    });

    it("names a call by lower-case signer and decimal nonce", function () {
      expect(callKey(signer, 2n ** 70n)).to.equal(`${signer.toLowerCase()}:${2n ** 70n}`);
      expect(callKey(signer.toUpperCase().replace("0X", "0x"), 1n)).to.equal(callKey(signer, 1n));
    });

    it("refuses an ExecutedForwardRequest event without its data", function () {
      const truncated = { ...executed(signer, 1n, true), data: "0x" };
      expect(() => splitLogsByCall([truncated], forwarder)).to.throw(SyntaxError);
    });
  });

  describe("outputsOf", function () {
    const alone = { offset: 0, items: 1, shared: false };

    it("reads a mint's lot id and head from LotMinted, and decodes every registry event of the call", function () {
      const outputs = outputsOf([mintedOne(1_000_000_001n, hash("ab")), offered(1_000_000_001n)], registry, alone);
      expect(outputs.lotIds).to.deep.equal(["1000000001"]);
      expect(outputs.heads).to.deep.equal([hash("ab")]);
      expect(outputs.events!.map((event) => event.name)).to.deep.equal(["LotMinted", "HandoverOffered"]);
      expect(outputs.events![0]).to.deep.equal({
        contract: "LotRegistry",
        name: "LotMinted",
        args: { lotId: "1000000001", form: "1", grams: "42000", quality: "5640", metadata: hash("11"), origin: hash("22"), head: hash("ab") },
      });
      expect(outputs.events![1]!.args).to.deep.equal({ lotId: "1000000001", custodian: signer, receiver: other, head: hash("0e") });
    });

    it("reads a mintBatch's consecutive lot ids and their heads straight from LotsMinted", function () {
      const outputs = outputsOf([mintedMany(500n, 3)], registry, alone);
      expect(outputs.lotIds).to.deep.equal(["500", "501", "502"]);
      expect(outputs.heads).to.deep.equal([hash("0a"), hash("0b"), hash("0c")]);
      expect(outputs.events).to.deep.equal([{ contract: "LotRegistry", name: "LotsMinted", args: { custodian: signer, firstLotId: "500", count: 3 } }]);
    });

    it("gives a request that shared a coalesced mintBatch only its own lots, and no events", function () {
      const logs = [mintedMany(500n, 5), offered(500n)];
      expect(outputsOf(logs, registry, { offset: 1, items: 3, shared: true })).to.deep.equal({
        lotIds: ["501", "502", "503"],
        heads: [hash("0b"), hash("0c"), hash("0d")],
      });
      // A place past the lots minted (a call that minted fewer than planned) yields what exists, never invented ids.
      expect(outputsOf(logs, registry, { offset: 4, items: 3, shared: true }).lotIds).to.deep.equal(["504"]);
    });

    it("reads the outputs of a split, merge or transform from LotsDerived", function () {
      const derived = registryLog("LotsDerived", [
        1,
        signer,
        [7n],
        [hash("01")],
        900n,
        [
          { form: 2, grams: 400n, quality: 0, metadata: hash("33") },
          { form: 2, grams: 600n, quality: 0, metadata: hash("44") },
        ],
        [],
        [hash("0a"), hash("0b")],
      ]);
      const outputs = outputsOf([derived], registry, alone);
      expect(outputs.lotIds).to.deep.equal(["900", "901"]);
      expect(outputs.heads).to.deep.equal([hash("0a"), hash("0b")]);
      expect(outputs.events![0]!.args).to.deep.include({
        kind: "1",
        inputIds: ["7"],
        outputs: [
          { form: "2", grams: "400", quality: "0", metadata: hash("33") },
          { form: "2", grams: "600", quality: "0", metadata: hash("44") },
        ],
      });
    });

    it("ignores logs of other contracts and registry logs it cannot decode", function () {
      const unknown = { address: registry, topics: [hash("99")], data: "0x" };
      const outputs = outputsOf([mintedOne(1n, hash("ab")), registryLog("LotMinted", [2n, 1, 1n, 0, hash("11"), hash("22"), hash("cd")], elsewhere), unknown], registry, alone);
      expect(outputs).to.deep.equal({
        lotIds: ["1"],
        heads: [hash("ab")],
        events: [{ contract: "LotRegistry", name: "LotMinted", args: { lotId: "1", form: "1", grams: "42000", quality: "5640", metadata: hash("11"), origin: hash("22"), head: hash("ab") } }],
      });
    });

    it("reads lots only from the registry's LotsMinted, never from the same event of another contract", function () {
      const forged = registryLog("LotsMinted", [signer, 900n, [{ form: 1, grams: 1n, quality: 0, metadata: hash("11"), origin: hash("22") }], [hash("99")]], elsewhere);
      expect(outputsOf([forged], registry, { offset: 0, items: 1, shared: true })).to.deep.equal({ lotIds: [], heads: [] });
      expect(outputsOf([forged], registry, alone)).to.deep.equal({ lotIds: [], heads: [], events: [] });
    });

    it("gives each request of a whole executeBatch receipt its own outputs: two sharing a coalesced mint, a split, a call that reverted", function () {
      const split = registryLog("LotsDerived", [6, other, [7n], [hash("01")], 900n, [{ form: 2, grams: 1n, quality: 0, metadata: hash("33") }, { form: 2, grams: 2n, quality: 0, metadata: hash("44") }], [], [hash("0e"), hash("0f")]]);
      const receipt = [mintedMany(500n, 3), executed(signer, 0n, true), split, executed(other, 4n, true), offered(9n), executed(signer, 1n, false)];
      const calls = splitLogsByCall(receipt, forwarder);
      const mint = calls.get(callKey(signer, 0n))!;
      // The coalesced call carried a request of two deliveries and one of one.
      expect(outputsOf(mint.logs, registry, { offset: 0, items: 2, shared: true })).to.deep.equal({ lotIds: ["500", "501"], heads: [hash("0a"), hash("0b")] });
      expect(outputsOf(mint.logs, registry, { offset: 2, items: 1, shared: true })).to.deep.equal({ lotIds: ["502"], heads: [hash("0c")] });
      const derived = outputsOf(calls.get(callKey(other, 4n))!.logs, registry, alone);
      expect(derived.lotIds).to.deep.equal(["900", "901"]);
      expect(derived.events!.map((event) => event.name)).to.deep.equal(["LotsDerived"]);
      // The reverted call's logs (none are kept) give it nothing, not the offer emitted before its event.
      expect(calls.get(callKey(signer, 1n))).to.deep.equal({ success: false, logs: [] });
      expect(outputsOf(calls.get(callKey(signer, 1n))!.logs, registry, alone)).to.deep.equal({ lotIds: [], heads: [], events: [] });
    });

    it("refuses a LotsMinted log whose data is cut short rather than inventing lots", function () {
      const truncated = { ...mintedMany(500n, 2), data: "0x" };
      expect(() => outputsOf([truncated], registry, alone)).to.throw(SyntaxError);
    });
  });
});
