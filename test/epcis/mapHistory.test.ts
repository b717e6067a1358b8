import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { expect } from "chai";
import {
  epcisDocument,
  epcisEventId,
  epcisEventsOf,
  EpcisMappingError,
  kilograms,
  kindsOfBizSteps,
  EpcisQueryParameterError,
  parseLotIdentifier,
  uuidV5,
  encodeBatch,
  type EpcisEvent,
} from "../../src/epcis";
import type { EpcisRecords, LotEventRecord } from "../../src/indexer/queries";
import { FormId } from "../../src/lots/forms";

const SCHEMA_FILE = path.resolve(__dirname, "../../../shared/reference/epcis/EPCIS-JSON-Schema.json");
const BASE = { publicBase: "https://gw.example", chainId: 31337n };
const COOP = "0x00000000000000000000000000000000000000c1";
const TRADER = "0x00000000000000000000000000000000000000c2";
const STRANGER = "0x00000000000000000000000000000000000000c3";
const ZERO = `0x${"0".repeat(64)}`;

/**
 * A history built by hand, one of every kind: delivery A (offered, rejected, offered again,
 * cancelled, offered, accepted lighter, evidence), delivery C, A + C merged into D, D split into
 * E and F, E transformed into G (named as a product).
 */
function fixture(): EpcisRecords {
  let block = 100;
  const events: LotEventRecord[] = [];
  const seqs = new Map<string, number>();
  const add = (lotId: string, kind: string, fields: Record<string, unknown>, at: { tx?: string; log?: number; sameBlock?: boolean } = {}) => {
    if (!at.sameBlock) block += 1;
    const seq = seqs.get(lotId) ?? 0;
    seqs.set(lotId, seq + 1);
    events.push({
      lotId,
      seq,
      kind,
      blockNumber: block,
      logIndex: at.log ?? 0,
      txHash: at.tx ?? `0x${block.toString(16).padStart(64, "0")}`,
      blockTime: new Date(Date.UTC(2026, 5, 1) + block * 60_000).toISOString(),
      head: `0x${(block * 1000 + seq).toString(16).padStart(64, "0")}`,
      fields,
    });
  };
  const minted = (grams: string) => ({ custodian: COOP, form: FormId.wetBeans, grams, quality: 0, metadata: ZERO, origin: `0x${"ab".repeat(32)}` });
  add("1", "minted", minted("100000"));
  add("2", "minted", minted("50000"));
  add("1", "offered", { custodian: COOP, receiver: TRADER });
  add("1", "rejected", { custodian: COOP, receiver: TRADER, reason: 3 });
  add("1", "offered", { custodian: COOP, receiver: TRADER });
  add("1", "cancelled", { custodian: COOP, receiver: TRADER });
  add("1", "offered", { custodian: COOP, receiver: TRADER });
  add("1", "accepted", { previousCustodian: COOP, custodian: TRADER, gramsSent: "100000", gramsReceived: "99500", quality: 700 });
  add("1", "evidence", { by: STRANGER, evidence: `0x${"ee".repeat(32)}` });
  add("2", "offered", { custodian: COOP, receiver: TRADER });
  add("2", "accepted", { previousCustodian: COOP, custodian: TRADER, gramsSent: "50000", gramsReceived: "50100", quality: 700 });
  const derived = (grams: string, inputIds: string[], form: number = FormId.wetBeans) => ({ custodian: TRADER, form, grams, quality: 700, metadata: ZERO, ingredients: ZERO, inputIds, inputHeads: inputIds.map(() => ZERO) });
  // The merge: two consumption logs and one derived log in one transaction.
  const merge = `0x${"aa".repeat(32)}`;
  add("1", "merged", { firstOutputId: "4", outputCount: "1" }, { tx: merge, log: 1 });
  add("2", "merged", { firstOutputId: "4", outputCount: "1" }, { tx: merge, log: 2, sameBlock: true });
  add("4", "derived", derived("149500", ["2", "1"]), { tx: merge, log: 3, sameBlock: true });
  const split = `0x${"bb".repeat(32)}`;
  add("4", "split", { firstOutputId: "5", outputCount: "2" }, { tx: split, log: 0 });
  add("5", "derived", derived("100000", ["4"]), { tx: split, log: 1, sameBlock: true });
  add("6", "derived", derived("49500", ["4"]), { tx: split, log: 1, sameBlock: true });
  const transform = `0x${"cc".repeat(32)}`;
  add("5", "transformed", { firstOutputId: "7", outputCount: "1" }, { tx: transform, log: 0 });
  add("7", "derived", derived("38000", ["5"], FormId.dryBeans), { tx: transform, log: 1, sameBlock: true });
  return {
    // The ancestry of G: F (6) is a sibling, present only by its genesis.
    subjectLotIds: ["7", "5", "4", "1", "2"],
    events: events.filter((e) => e.lotId !== "6" || e.kind === "derived"),
    members: new Map([
      [COOP, "11"],
      [TRADER, "12"],
    ]),
    products: new Map([["7", { gtin: "09506000134352", batch: "B/2026(1)" }]]),
    certifications: new Map([
      ["1", ["0x" + "01".repeat(32)]],
      ["7", ["0x" + "02".repeat(32)]],
    ]),
  };
}

describe("EPCIS mapping of a lot's history (pure)", function () {
  type Loose = EpcisEvent & Record<string, any>;
  const events = (): Loose[] => epcisEventsOf(fixture(), BASE).map((keyed) => keyed.event);
  const ofLot = (list: Loose[], lotId: string) => list.filter((e) => JSON.stringify(e).includes(`"https://gw.example/l/${lotId}"`));

  it("maps a mint to ObjectEvent ADD commissioning with the delivery's kilograms, form and certifications", function () {
    const [mint] = events();
    expect(mint).to.deep.include({ type: "ObjectEvent", action: "ADD", bizStep: "commissioning", disposition: "active", eventTimeZoneOffset: "+00:00" });
    expect(mint!.quantityList).to.deep.equal([{ epcClass: "https://gw.example/l/1", quantity: 100, uom: "KGM" }]);
    expect(mint!.ilmd).to.deep.include({ "fm:form": "cocoa-wet-beans", "fm:commodity": "cocoa" });
    expect(mint!.certificationInfo).to.deep.equal([`urn:firstmile:attestation:31337:0x${"01".repeat(32)}`]);
    expect(mint!["fm:custodian"]).to.equal("https://gw.example/v1/members/11");
    expect(mint!.eventTime).to.match(/^2026-06-01T\d{2}:\d{2}:00\.000Z$/);
  });

  it("maps offer, reject, cancel and accept to shipping, receiving (non_conformant), void_shipping and receiving, with parties", function () {
    const lot = ofLot(events(), "1").filter((e) => e.type === "ObjectEvent");
    expect(lot.map((e) => [e.bizStep, e.disposition ?? null])).to.deep.equal([
      ["commissioning", "active"],
      ["shipping", "in_transit"],
      ["receiving", "non_conformant"],
      ["shipping", "in_transit"],
      ["void_shipping", "active"],
      ["shipping", "in_transit"],
      ["receiving", "in_progress"],
      ["inspecting", null],
    ]);
    const [, offer, reject, , , , accept, evidence] = lot;
    expect(offer!.sourceList).to.deep.equal([
      { type: "owning_party", source: "https://gw.example/v1/members/11" },
      { type: "possessing_party", source: "https://gw.example/v1/members/11" },
    ]);
    expect(offer!.destinationList).to.deep.equal([
      { type: "owning_party", destination: "https://gw.example/v1/members/12" },
      { type: "possessing_party", destination: "https://gw.example/v1/members/12" },
    ]);
    expect(reject!["fm:rejectionReason"]).to.equal(3);
    // Accepted lighter: the lot holds the received weight from here on.
    expect(accept!.quantityList[0].quantity).to.equal(99.5);
    expect(accept).to.deep.include({ "fm:kilogramsSent": 100, "fm:kilogramsReceived": 99.5 });
    expect(evidence!.quantityList[0].quantity).to.equal(99.5);
    // An account no member holds is named by its chain account, not left out.
    expect(evidence!["fm:attachedBy"]).to.equal(`did:pkh:eip155:31337:${STRANGER}`);
    // Accepted heavier: a handover never adds mass.
    const heavier = ofLot(events(), "2").find((e) => e.bizStep === "receiving")!;
    expect(heavier.quantityList[0].quantity).to.equal(50);
  });

  it("maps merge, split and transform to one TransformationEvent each, inputs as consumed and every output, in kilograms", function () {
    const transformations = events().filter((e) => e.type === "TransformationEvent");
    expect(transformations.map((e) => [e["fm:operation"], e.bizStep])).to.deep.equal([
      ["merged", "repackaging"],
      ["split", "repackaging"],
      ["transformed", "commissioning"],
    ]);
    const [merge, split, transform] = transformations;
    // Inputs in the order the call named them, each with what it held when consumed.
    expect(merge!.inputQuantityList).to.deep.equal([
      { epcClass: "https://gw.example/l/2", quantity: 50, uom: "KGM" },
      { epcClass: "https://gw.example/l/1", quantity: 99.5, uom: "KGM" },
    ]);
    expect(merge!.outputQuantityList).to.deep.equal([{ epcClass: "https://gw.example/l/4", quantity: 149.5, uom: "KGM" }]);
    // The split lists its sibling output too (lot 6 is not in the ancestry, yet it came out of the same split).
    expect(split!.outputQuantityList.map((q: { epcClass: string; quantity: number }) => [q.epcClass, q.quantity])).to.deep.equal([
      ["https://gw.example/l/5", 100],
      ["https://gw.example/l/6", 49.5],
    ]);
    // A lot named as a product is its GS1 Digital Link URI (GTIN-14, batch percent-encoded).
    expect(transform!.outputQuantityList).to.deep.equal([{ epcClass: "https://gw.example/01/09506000134352/10/B%2F2026%281%29", quantity: 38, uom: "KGM" }]);
    expect(transform!.ilmd).to.deep.include({ "fm:form": "cocoa-dry-beans" });
    expect(transform!.certificationInfo).to.deep.equal([`urn:firstmile:attestation:31337:0x${"02".repeat(32)}`]);
    // Only the ancestry's own events: nothing of lot 6 but its place among the split's outputs.
    expect(events().filter((e) => e.type === "ObjectEvent" && JSON.stringify(e).includes("/l/6"))).to.deep.equal([]);
  });

  it("gives every event a stable, distinct id from the chain, the log and the lot (a batch mint is one log for many lots)", function () {
    const first = events().map((e) => e.eventID);
    expect(events().map((e) => e.eventID)).to.deep.equal(first);
    expect(new Set(first).size).to.equal(first.length);
    expect(epcisEventId(31337n, "0xAB", 4, "1")).to.equal(epcisEventId("31337", "0xab", 4, "1"));
    expect(epcisEventId(31337n, "0xab", 4, "1")).not.to.equal(epcisEventId(31337n, "0xab", 4, "2"));
    expect(epcisEventId(31337n, "0xab", 4, "1")).not.to.equal(epcisEventId(1n, "0xab", 4, "1"));
    // The algorithm is RFC 9562's version 5: its published example.
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).to.equal("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("keeps chain order and converts grams to kilograms exactly", function () {
    const times = events().map((e) => e.eventTime);
    expect(times).to.deep.equal([...times].sort());
    expect(kilograms(1n)).to.equal(0.001);
    expect(kilograms(149_500n)).to.equal(149.5);
    expect(kilograms(12_345_678_901n)).to.equal(12_345_678.901);
  });

  it("makes a document GS1's EPCIS 2.0 JSON Schema accepts", function () {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
    const document = epcisDocument(events(), new Date("2026-12-01T00:00:00Z"), { "fm:lot": "https://gw.example/l/7" });
    expect(validate(document), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true);
    // And refuses one with a made-up business step (the validator is not a rubber stamp).
    const broken = epcisDocument([{ ...events()[0]!, bizStep: "fermenting" }], new Date());
    expect(validate(broken)).to.equal(false);
  });

  it("refuses an event without a block time and an operation whose output is missing", function () {
    const noTime = fixture();
    noTime.events[0] = { ...noTime.events[0]!, blockTime: null };
    expect(() => epcisEventsOf(noTime, BASE)).to.throw(EpcisMappingError, /no block time/);
    const noOutput = fixture();
    noOutput.events = noOutput.events.filter((e) => !(e.lotId === "6" && e.kind === "derived"));
    expect(() => epcisEventsOf(noOutput, BASE)).to.throw(EpcisMappingError, /no derived event for output 6/);
  });
});

describe("EPCIS identifiers and query parameters", function () {
  it("reads lot and Digital Link URIs of any host, padding GTINs to 14 digits and decoding the batch", function () {
    expect(parseLotIdentifier("https://other.example/l/4294967297")).to.deep.equal({ kind: "lot", lotId: "4294967297" });
    expect(parseLotIdentifier("https://gw.example/01/9506000134352/10/B%2F1")).to.deep.equal({ kind: "product", gtin14: "09506000134352", batch: "B/1" });
    expect(parseLotIdentifier(`https://gw.example/01/09506000134352/10/${encodeBatch("A(1)!")}`)).to.deep.equal({ kind: "product", gtin14: "09506000134352", batch: "A(1)!" });
    expect(parseLotIdentifier("https://gw.example/01/09506000134353/10/B1"), "wrong check digit").to.equal(null);
    expect(parseLotIdentifier(`https://gw.example/01/09506000134352/10/${"X".repeat(21)}`), "batch over 20").to.equal(null);
    expect(parseLotIdentifier("urn:epc:id:sgtin:0614141.107346.2017")).to.equal(null);
    expect(parseLotIdentifier("not a uri")).to.equal(null);
  });

  it("selects event kinds by CBV business step, bare or as a URI, and refuses words CBV does not have", function () {
    expect(kindsOfBizSteps("receiving")).to.deep.equal({ objectKinds: ["rejected", "accepted"], operationKinds: [] });
    expect(kindsOfBizSteps("urn:epcglobal:cbv:bizstep:commissioning|repackaging")).to.deep.equal({ objectKinds: ["minted"], operationKinds: ["split", "merged", "transformed"] });
    expect(kindsOfBizSteps("retail_selling")).to.deep.equal({ objectKinds: [], operationKinds: [] });
    expect(() => kindsOfBizSteps("fermenting")).to.throw(EpcisQueryParameterError, /EQ_bizStep/);
    expect(() => kindsOfBizSteps("shipping||receiving")).to.throw(EpcisQueryParameterError, /empty value/);
  });
});
