import { expect } from "chai";
import { ZeroHash, id, type Interface } from "ethers";
import { attestationRegistryInterface, ddsRegistryInterface, formCatalogueInterface, lotRegistryInterface } from "../../src/chain/contracts";
import { ingredientName } from "../../src/lots/ingredients";
import { encodeCheckpoint, IndexerDecodeError } from "../../src/indexer";
import { decodeLogs } from "../../src/indexer/indexing/decode";
import type { ChainLog } from "../../src/indexer/indexing/events";

// Logs are encoded with the compiled contracts' own interfaces (typechain), so the hand-written
// word readers in decode.ts are checked against the ABI the contracts really emit.

const registry = "0x00000000000000000000000000000000000000aa";
const attestations = "0x00000000000000000000000000000000000000ab";
const catalogue = "0x00000000000000000000000000000000000000ac";
const ddsRegistry = "0x00000000000000000000000000000000000000ad";
const coop = "0x00000000000000000000000000000000000000c1";
const processor = "0x00000000000000000000000000000000000000b2";
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const TX = id("tx");
const h = (text: string) => id(text);
const at = new Date("2025-03-01T06:00:00Z");

function logOf(iface: Interface, address: string, name: string, values: unknown[], logIndex = 0, tx = TX): ChainLog {
  const encoded = iface.encodeEventLog(name, values);
  return { address, topics: encoded.topics, data: encoded.data, blockNumber: 9, blockHash: id("block 9"), transactionHash: tx, logIndex };
}
const registryLog = (name: string, values: unknown[], logIndex = 0) => logOf(lotRegistryInterface as unknown as Interface, registry, name, values, logIndex);
const attestationLog = (name: string, values: unknown[], logIndex = 0) => logOf(attestationRegistryInterface as unknown as Interface, attestations, name, values, logIndex);
const catalogueLog = (name: string, values: unknown[], logIndex = 0) => logOf(formCatalogueInterface as unknown as Interface, catalogue, name, values, logIndex);

const ddsLog = (name: string, values: unknown[], logIndex = 0) => logOf(ddsRegistryInterface as unknown as Interface, ddsRegistry, name, values, logIndex);

const decode = (logs: ChainLog[]) => decodeLogs(logs, { lotRegistry: registry, formCatalogue: catalogue, attestationRegistry: attestations, ddsRegistry, blockTimes: new Map([[9, at]]) });
const meta = (logIndex = 0) => ({ position: encodeCheckpoint({ blockNumber: 9, logIndex }), blockNumber: 9, logIndex, txHash: TX.toLowerCase(), blockTime: at });
/** The one event a single log decodes to, without its position. */
const only = (log: ChainLog) => {
  const events = decode([log]);
  expect(events).to.have.length(1);
  expect(events[0]).to.deep.include(meta(log.logIndex));
  const { position, blockNumber, logIndex, txHash, blockTime, ...event } = events[0] as unknown as Record<string, unknown>;
  return event;
};

/** The registry's events the read model is built from; every other event of the ABI is ignored on purpose. */
const DECODED_REGISTRY_EVENTS = [
  "MemberAdded",
  "AccountAdded",
  "AccountStatusChanged",
  "MemberStatusChanged",
  "RolesChanged",
  "MetadataChanged",
  "FormRegistered",
  "FormToleranceChanged",
  "LotMinted",
  "LotsMinted",
  "HandoverOffered",
  "HandoverCancelled",
  "HandoverRejected",
  "HandoverAccepted",
  "LotsDerived",
  "EvidenceAttached",
];
const IGNORED_REGISTRY_EVENTS = [
  "Transfer",
  "ConsecutiveTransfer",
  "LotObserverSet",
  "Approval",
  "ApprovalForAll",
  "GovernanceSet",
  "BaseURIChanged",
  "FormCatalogueSet",
];

describe("decodeLogs (pure: logs in, typed events out)", () => {
  it("knows every event in the compiled LotRegistry ABI: decoded or ignored on purpose", () => {
    const names: string[] = [];
    lotRegistryInterface.forEachEvent((fragment) => names.push(fragment.name));
    expect([...names].sort()).to.deep.equal([...DECODED_REGISTRY_EVENTS, ...IGNORED_REGISTRY_EVENTS].sort());
  });

  it("decodes every event in the compiled FormCatalogue ABI", () => {
    const names: string[] = [];
    formCatalogueInterface.forEachEvent((fragment) => names.push(fragment.name));
    expect(names.sort()).to.deep.equal(["DryBasisSet", "YieldBoundsSet"]);
  });

  it("handles every event in the compiled AttestationRegistry ABI", () => {
    const handled = ["SchemeRegistered", "Accredited", "AccreditationWithdrawn", "Attested", "Revoked", "ClaimCarried", "OriginClaimed", "MassBalanceCredited", "MassBalanceDebited", "MassBalanceWithdrawn"];
    attestationRegistryInterface.forEachEvent((fragment) => expect(handled, `AttestationRegistry's ${fragment.name}`).to.include(fragment.name));
  });

  it("decodes the EUDR claim from mint and a due diligence statement's reference", () => {
    expect(only(attestationLog("OriginClaimed", [1, 7n, h("uid")]))).to.deep.equal({ type: "OriginClaimed", scheme: 1, lotId: 7n, uid: h("uid") });
    expect(only(ddsLog("DdsReferenced", [7n, 3n, coop, "25IDSN6LX69730", "K7R8LA5F"]))).to.deep.equal({
      type: "DdsReferenced",
      lotId: 7n,
      member: 3n,
      by: coop,
      referenceNumber: "25IDSN6LX69730",
      verificationNumber: "K7R8LA5F",
    });
  });

  describe("membership events", () => {
    it("MemberAdded: id, roles, country as two letters, metadata", () => {
      expect(only(registryLog("MemberAdded", [3n, 5, "0x4944", h("meta")]))).to.deep.equal({ type: "MemberAdded", memberId: 3n, roles: 5, country: "ID", metadata: h("meta") });
    });

    it("AccountAdded, AccountStatusChanged, MemberStatusChanged", () => {
      expect(only(registryLog("AccountAdded", [3n, coop]))).to.deep.equal({ type: "AccountAdded", memberId: 3n, account: coop });
      expect(only(registryLog("AccountStatusChanged", [3n, coop, false]))).to.deep.equal({ type: "AccountStatusChanged", memberId: 3n, account: coop, active: false });
      expect(only(registryLog("MemberStatusChanged", [3n, true]))).to.deep.equal({ type: "MemberStatusChanged", memberId: 3n, active: true });
    });

    it("RolesChanged and MetadataChanged", () => {
      expect(only(registryLog("RolesChanged", [3n, 1, 3]))).to.deep.equal({ type: "RolesChanged", memberId: 3n, previousRoles: 1, roles: 3 });
      expect(only(registryLog("MetadataChanged", [3n, h("new")]))).to.deep.equal({ type: "MetadataChanged", memberId: 3n, metadata: h("new") });
    });
  });

  describe("form events", () => {
    it("FormRegistered (with a UTF-8 name), FormToleranceChanged; the catalogue's YieldBoundsSet and DryBasisSet", () => {
      expect(only(registryLog("FormRegistered", [4, 1, 250, 50, true, "biji kakao kering"]))).to.deep.equal({
        type: "FormRegistered",
        form: 4,
        commodity: 1,
        lossBps: 250,
        gainBps: 50,
        mintable: true,
        name: "biji kakao kering",
      });
      expect(only(registryLog("FormRegistered", [5, 1, 50, 0, false, "butter"]))).to.include({ mintable: false, gainBps: 0 });
      expect(only(registryLog("FormToleranceChanged", [4, 300, 20]))).to.deep.equal({ type: "FormToleranceChanged", form: 4, lossBps: 300, gainBps: 20 });
      expect(only(catalogueLog("YieldBoundsSet", [1, 2, 3_300, 4_300]))).to.deep.equal({ type: "YieldBoundsSet", inputForm: 1, outputForm: 2, minBps: 3_300, maxBps: 4_300 });
      expect(only(catalogueLog("YieldBoundsSet", [4, 0, 9_800, 10_000])), "all outputs together").to.include({ outputForm: 0 });
      expect(only(catalogueLog("DryBasisSet", [21, true]))).to.deep.equal({ type: "DryBasisSet", form: 21, dryBasis: true });
      expect(decode([registryLog("FormCatalogueSet", [catalogue])]), "the wiring is not read-model data").to.deep.equal([]);
    });
  });

  describe("lot events", () => {
    it("LotMinted: one delivery, its custodian taken from the mint Transfer just before it", () => {
      const events = decode([
        registryLog("Transfer", [ZERO_ADDRESS, coop, 7n], 0),
        registryLog("LotMinted", [7n, 1, 5_000n, 5_640, h("m"), h("o"), h("head")], 1),
      ]);
      expect(events).to.deep.equal([
        { type: "LotsMinted", custodian: coop, firstLotId: 7n, deliveries: [{ form: 1, grams: 5_000n, quality: 5_640, metadata: h("m"), origin: h("o") }], heads: [h("head")], ...meta(1) },
      ]);
    });

    it("LotMinted: several mints in one forwarder transaction each take the custodian of their own lot's Transfer", () => {
      const other = id("other tx");
      const events = decode([
        registryLog("Transfer", [ZERO_ADDRESS, coop, 7n], 0),
        registryLog("Transfer", [ZERO_ADDRESS, processor, 8n], 1),
        registryLog("LotMinted", [8n, 1, 8_000n, 0, h("m8"), h("o8"), h("head8")], 2),
        registryLog("LotMinted", [7n, 1, 7_000n, 0, h("m7"), h("o7"), h("head7")], 3),
        // A handover Transfer of lot 7 later in the transaction changes nothing already decoded.
        registryLog("Transfer", [coop, processor, 7n], 4),
      ]);
      expect(events.map((event) => [(event as { firstLotId: bigint }).firstLotId, (event as { custodian: string }).custodian])).to.deep.equal([
        [8n, processor],
        [7n, coop],
      ]);
      // A LotMinted in another transaction does not borrow this one's mint Transfer.
      const elsewhere = { ...registryLog("LotMinted", [7n, 1, 7_000n, 0, h("m7"), h("o7"), h("head7")], 1), transactionHash: other };
      expect(() => decode([registryLog("Transfer", [ZERO_ADDRESS, coop, 7n], 0), elsewhere])).to.throw(IndexerDecodeError, "without its mint Transfer");
    });

    it("matches addresses and keeps positions whatever the case, with no block time when the block's is unknown", () => {
      const log = { ...registryLog("HandoverOffered", [7n, coop, processor, h("1")], 12), address: registry.toUpperCase().replace("0X", "0x"), transactionHash: TX.toUpperCase().replace("0X", "0x"), blockNumber: 10 };
      const events = decodeLogs([log], { lotRegistry: registry.toLowerCase(), blockTimes: new Map([[9, at]]) });
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ position: encodeCheckpoint({ blockNumber: 10, logIndex: 12 }), blockNumber: 10, logIndex: 12, txHash: TX.toLowerCase(), blockTime: null });
      expect(decodeLogs([log], { lotRegistry: registry })).to.have.length(1);
    });

    it("LotsMinted: a batch of deliveries with their heads", () => {
      const deliveries = [
        [1, 5_000n, 5_500, h("m1"), h("o1")],
        [2, 7_000n, 0, h("m2"), h("o2")],
      ];
      expect(only(registryLog("LotsMinted", [coop, 11n, deliveries, [h("a"), h("b")]]))).to.deep.equal({
        type: "LotsMinted",
        custodian: coop,
        firstLotId: 11n,
        deliveries: [
          { form: 1, grams: 5_000n, quality: 5_500, metadata: h("m1"), origin: h("o1") },
          { form: 2, grams: 7_000n, quality: 0, metadata: h("m2"), origin: h("o2") },
        ],
        heads: [h("a"), h("b")],
      });
    });

    it("HandoverOffered, HandoverCancelled, HandoverRejected, HandoverAccepted", () => {
      expect(only(registryLog("HandoverOffered", [7n, coop, processor, h("1")]))).to.deep.equal({ type: "HandoverOffered", lotId: 7n, custodian: coop, receiver: processor, head: h("1") });
      expect(only(registryLog("HandoverCancelled", [7n, coop, processor, h("2")]))).to.deep.equal({ type: "HandoverCancelled", lotId: 7n, custodian: coop, receiver: processor, head: h("2") });
      expect(only(registryLog("HandoverRejected", [7n, coop, processor, 2, h("3")]))).to.deep.equal({ type: "HandoverRejected", lotId: 7n, custodian: coop, receiver: processor, reason: 2, head: h("3") });
      expect(only(registryLog("HandoverAccepted", [7n, coop, processor, 5_000n, 4_990n, 5_830, h("4")]))).to.deep.equal({
        type: "HandoverAccepted",
        lotId: 7n,
        previousCustodian: coop,
        custodian: processor,
        gramsSent: 5_000n,
        gramsReceived: 4_990n,
        quality: 5_830,
        head: h("4"),
      });
    });

    for (const [kindNumber, kind] of [[6, "split"], [7, "merged"], [8, "transformed"]] as const) {
      it(`LotsDerived (${kind}): inputs with their heads, outputs with theirs`, () => {
        const ingredients: Array<[number, bigint, string]> = kind === "transformed" ? [[7, 2_500n, ingredientName("cane sugar")]] : [];
        const log = registryLog("LotsDerived", [kindNumber, processor, [7n, 8n], [h("i7"), h("i8")], 20n, [[2, 3_000n, 740, h("x")], [2, 1_000n, 0, h("y")]], ingredients, [h("o20"), h("o21")]]);
        expect(only(log)).to.deep.equal({
          type: "LotsDerived",
          kind,
          custodian: processor,
          inputIds: [7n, 8n],
          inputHeads: [h("i7"), h("i8")],
          firstOutputId: 20n,
          outputs: [
            { form: 2, grams: 3_000n, quality: 740, metadata: h("x") },
            { form: 2, grams: 1_000n, quality: 0, metadata: h("y") },
          ],
          ingredients: ingredients.map(([outputForm, grams, name]) => ({ outputForm, grams, name })),
          outputHeads: [h("o20"), h("o21")],
        });
      });
    }

    it("EvidenceAttached", () => {
      expect(only(registryLog("EvidenceAttached", [7n, coop, h("photo"), h("5")]))).to.deep.equal({ type: "EvidenceAttached", lotId: 7n, by: coop, evidence: h("photo"), head: h("5") });
    });

    it("leaves out what the read model does not need: transfers other than mints, approvals, observer wiring", () => {
      const logs = [
        registryLog("Transfer", [coop, processor, 7n], 0),
        registryLog("Approval", [coop, processor, 7n], 1),
        registryLog("ApprovalForAll", [coop, processor, true], 2),
        registryLog("ConsecutiveTransfer", [1n, 5n, ZERO_ADDRESS, coop], 3),
        registryLog("LotObserverSet", [attestations], 4),
      ];
      expect(decode(logs)).to.deep.equal([]);
    });
  });

  describe("attestation events", () => {
    it("SchemeRegistered, Accredited, AccreditationWithdrawn", () => {
      expect(only(attestationLog("SchemeRegistered", [2, 3, 1, 31_536_000, "Rainforest", "1.3"]))).to.deep.equal({
        type: "SchemeRegistered",
        scheme: 2,
        model: 3,
        subjects: 1,
        defaultValidity: 31_536_000,
        name: "Rainforest",
        version: "1.3",
      });
      expect(only(attestationLog("Accredited", [2, 4n, 1_900_000_000]))).to.deep.equal({ type: "Accredited", scheme: 2, member: 4n, until: 1_900_000_000 });
      expect(only(attestationLog("AccreditationWithdrawn", [2, 4n]))).to.deep.equal({ type: "AccreditationWithdrawn", scheme: 2, member: 4n });
    });

    it("Attested and Revoked, hex in lower case", () => {
      const subject = `0x${"AB".repeat(32)}`;
      const uid = `0x${"CD".repeat(32)}`;
      expect(only(attestationLog("Attested", [subject, processor, 2, uid, 1, 1_900_000_000, h("report"), h("data")]))).to.deep.equal({
        type: "Attested",
        subject: subject.toLowerCase(),
        attester: processor,
        scheme: 2,
        uid: uid.toLowerCase(),
        subjectKind: 1,
        expiresAt: 1_900_000_000,
        evidence: h("report"),
        dataHash: h("data"),
      });
      expect(only(attestationLog("Revoked", [uid, processor, 2, 3]))).to.deep.equal({ type: "Revoked", uid: uid.toLowerCase(), revoker: processor, scheme: 2, reason: 3 });
    });

    it("ClaimCarried, MassBalanceCredited, MassBalanceDebited, MassBalanceWithdrawn", () => {
      expect(only(attestationLog("ClaimCarried", [2, 20n, 2n, 7n, 1_900_000_000]))).to.deep.equal({
        type: "ClaimCarried",
        scheme: 2,
        firstOutputId: 20n,
        outputCount: 2,
        family: 7n,
        validUntil: 1_900_000_000,
      });
      for (const type of ["MassBalanceCredited", "MassBalanceDebited"]) {
        expect(only(attestationLog(type, [4n, 2, 7n, 1, 5_000n, 12_000n]))).to.deep.equal({ type, member: 4n, scheme: 2, lotId: 7n, form: 1, grams: 5_000n, balance: 12_000n });
      }
      expect(only(attestationLog("MassBalanceWithdrawn", [4n, 2, 7n, 1, 5_000n, 7_000n, h("uid")]))).to.deep.equal({
        type: "MassBalanceWithdrawn",
        member: 4n,
        scheme: 2,
        lotId: 7n,
        form: 1,
        grams: 5_000n,
        balance: 7_000n,
      });
    });
  });

  describe("refusals", () => {
    const offered = () => registryLog("HandoverOffered", [7n, coop, processor, h("1")]);

    it("refuses a registry log whose topic is not in the ABI, or that has no topic, naming the log and the topic", () => {
      const unknown = { ...offered(), topics: [id("Unknown(uint256)")], logIndex: 3 };
      expect(() => decode([unknown])).to.throw(IndexerDecodeError, "Unknown event in log 3 of block 9");
      const error = (() => {
        try {
          decode([unknown]);
        } catch (caught) {
          return caught as IndexerDecodeError;
        }
        throw new Error("expected a refusal");
      })();
      expect(error.details).to.contain(id("Unknown(uint256)"));
      expect(() => decode([{ ...offered(), topics: [] }])).to.throw(IndexerDecodeError, "Unknown event");
    });

    it("refuses an attestation registry log whose topic is not in its ABI", () => {
      const unknown = { ...attestationLog("Revoked", [ZeroHash, processor, 2, 3]), topics: [id("Unknown()")] };
      expect(() => decode([unknown])).to.throw(IndexerDecodeError, "Unknown event in attestation log");
    });

    it("refuses malformed data: a missing topic, data cut short, a value too wide for its type, misaligned offsets", () => {
      expect(() => decode([{ ...offered(), topics: offered().topics.slice(0, 3) }])).to.throw(IndexerDecodeError, "expected 4 topics, got 3");
      expect(() => decode([{ ...offered(), data: "0x" }])).to.throw(IndexerDecodeError, "Cannot decode HandoverOffered");
      const minted = registryLog("LotsMinted", [coop, 11n, [[1, 5_000n, 0, h("m"), h("o")]], [h("a")]]);
      expect(() => decode([{ ...minted, data: minted.data.slice(0, -64) }])).to.throw(IndexerDecodeError, "Cannot decode LotsMinted");
      const roles = registryLog("RolesChanged", [3n, 1, 3]);
      const tooWide = `0x${"00".repeat(30)}0100${roles.data.slice(66)}`; // previousRoles = 256 in a uint8
      expect(() => decode([{ ...roles, data: tooWide }])).to.throw(IndexerDecodeError, "does not fit uint8");
      const misaligned = `0x${(BigInt(minted.data.slice(0, 66)) + 1n).toString(16).padStart(64, "0")}${minted.data.slice(66)}`;
      expect(() => decode([{ ...minted, data: misaligned }])).to.throw(IndexerDecodeError, "not word-aligned");
      const notAnAddress = [...offered().topics];
      notAnAddress[2] = `0x${"ff".repeat(32)}`;
      expect(() => decode([{ ...offered(), topics: notAnAddress }])).to.throw(IndexerDecodeError, "topic 2 is not an address");
    });

    it("refuses a LotMinted without its mint Transfer, a derive of unknown kind, and arrays of different lengths", () => {
      expect(() => decode([registryLog("LotMinted", [7n, 1, 5_000n, 0, h("m"), h("o"), h("head")])])).to.throw(IndexerDecodeError, "LotMinted for lot 7 without its mint Transfer");
      expect(() => decode([registryLog("LotsDerived", [9, processor, [7n], [h("i")], 20n, [[2, 1n, 0, h("x")]], [], [h("o")]])])).to.throw(IndexerDecodeError, "LotsDerived with unknown kind 9");
      expect(() => decode([registryLog("LotsDerived", [6, processor, [7n, 8n], [h("i")], 20n, [[2, 1n, 0, h("x")]], [], [h("o")]])])).to.throw(IndexerDecodeError, "arrays of different lengths");
      expect(() => decode([registryLog("LotsMinted", [coop, 11n, [[1, 5_000n, 0, h("m"), h("o")]], [h("a"), h("b")]])])).to.throw(IndexerDecodeError, "1 deliveries but 2 heads");
      expect(() => decode([{ ...catalogueLog("DryBasisSet", [21, true]), topics: [id("Unknown(uint8)"), ZeroHash] }])).to.throw(IndexerDecodeError, "not in the FormCatalogue ABI");
    });

    it("leaves out logs of other contracts, whatever they hold", () => {
      expect(decode([{ ...offered(), address: "0x00000000000000000000000000000000000000bb", topics: [id("Unknown()")], data: "0x1234" }])).to.deep.equal([]);
    });
  });
});
