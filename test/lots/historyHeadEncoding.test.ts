import { expect } from "chai";
import { AbiCoder, getAddress, keccak256 } from "ethers";
import { LotEventKind, eventDigest, foldEvent, foldHead, ingredientsDigest, type DeclaredIngredient, type LotHistoryEvent } from "../../src/lots/historyHead";

/**
 * The history-head twin writes every event's ABI encoding word by word into bytes. Here each kind,
 * with values across their whole ranges, is checked against ethers' ABI coder and keccak256: the
 * encoding `LotHistory.sol` hashes (`abi.encode` of the fields in the table of docs/history-head.md).
 */
const coder = AbiCoder.defaultAbiCoder();

/** Deterministic values (xorshift), so a failure names the same event every run. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const bytes = (count: number) => Array.from({ length: count }, () => Math.floor(next() * 256).toString(16).padStart(2, "0")).join("");
  /** Below 2^bits, often at the edges (0, 1, the largest). */
  const uint = (bits: number): bigint => {
    const pick = next();
    if (pick < 0.1) return 0n;
    if (pick < 0.2) return (1n << BigInt(bits)) - 1n;
    if (pick < 0.3) return 1n;
    return BigInt(`0x${bytes(bits / 8)}`);
  };
  return {
    uint,
    small: (bits: number) => Number(uint(bits)),
    bytes32: () => `0x${bytes(32)}`,
    address: () => `0x${bytes(20)}`,
    count: (max: number) => Math.floor(next() * (max + 1)),
  };
}

const expectedDigest = (types: string[], values: unknown[]) => keccak256(coder.encode(types, values));

describe("history head encoding (the twin against ethers' ABI coder)", function () {
  const random = generator(20261204);
  const cases: Array<{ event: LotHistoryEvent; types: string[]; values: unknown[] }> = [];
  for (let round = 0; round < 40; round++) {
    const lotId = random.uint(256);
    const custodian = random.address();
    const receiver = random.address();
    cases.push(
      {
        event: { kind: "minted", lotId, custodian, form: random.small(8), grams: random.uint(64), quality: random.small(16), metadata: random.bytes32(), origin: random.bytes32() },
        types: ["uint8", "uint256", "address", "uint8", "uint64", "uint16", "bytes32", "bytes32"],
        values: [],
      },
      { event: { kind: "offered", lotId, custodian, receiver }, types: ["uint8", "uint256", "address", "address"], values: [] },
      { event: { kind: "cancelled", lotId, custodian, receiver }, types: ["uint8", "uint256", "address", "address"], values: [] },
      { event: { kind: "rejected", lotId, custodian, receiver, reason: random.small(16) }, types: ["uint8", "uint256", "address", "address", "uint16"], values: [] },
      {
        event: { kind: "accepted", lotId, previousCustodian: custodian, custodian: receiver, gramsSent: random.uint(64), gramsReceived: random.uint(64), quality: random.small(16) },
        types: ["uint8", "uint256", "address", "address", "uint64", "uint64", "uint16"],
        values: [],
      },
      { event: { kind: "split", lotId, firstOutputId: random.uint(256), outputCount: random.uint(256) }, types: ["uint8", "uint256", "uint256", "uint256"], values: [] },
      { event: { kind: "merged", lotId, firstOutputId: random.uint(64), outputCount: random.uint(8) }, types: ["uint8", "uint256", "uint256", "uint256"], values: [] },
      { event: { kind: "transformed", lotId, firstOutputId: random.uint(64), outputCount: random.uint(8) }, types: ["uint8", "uint256", "uint256", "uint256"], values: [] },
      { event: { kind: "evidence", lotId, by: custodian, evidence: random.bytes32() }, types: ["uint8", "uint256", "address", "bytes32"], values: [] },
    );
    // Up to 150 inputs: past the 120 words the twin hashes without allocating.
    const inputs = round % 10 === 9 ? 150 : random.count(12);
    const inputIds = Array.from({ length: inputs }, () => random.uint(256));
    const inputHeads = Array.from({ length: inputs }, () => random.bytes32());
    cases.push({
      event: { kind: "derived", lotId, custodian, form: random.small(8), grams: random.uint(64), quality: random.small(16), metadata: random.bytes32(), ingredients: random.bytes32(), inputIds, inputHeads },
      types: ["uint8", "uint256", "address", "uint8", "uint64", "uint16", "bytes32", "bytes32", "uint256[]", "bytes32[]"],
      values: [],
    });
  }
  for (const testCase of cases) {
    const { kind, ...fields } = testCase.event;
    testCase.values = [LotEventKind[kind], ...Object.values(fields)];
  }

  it(`gives the digest of abi.encode for every kind (${cases.length} events, values at and between the edges of their ranges)`, function () {
    // Also in a shuffled order: the twin reuses one buffer, and no byte of one event may leak into the next.
    const shuffle = generator(3);
    const shuffled = cases.map((testCase) => ({ testCase, key: shuffle.count(1_000_000) })).sort((a, b) => a.key - b.key).map(({ testCase }) => testCase);
    for (const { event, types, values } of [...cases, ...shuffled]) {
      expect(eventDigest(event), `${event.kind} ${JSON.stringify(values, (_, value) => (typeof value === "bigint" ? value.toString() : value))}`).to.equal(expectedDigest(types, values));
    }
  });

  it("folds as keccak256(abi.encode(head, digest)), and foldEvent equals foldHead of the event's digest", function () {
    const random = generator(7);
    let head = `0x${"00".repeat(32)}`;
    for (const { event } of cases) {
      const digest = eventDigest(event);
      const folded = foldHead(head, digest);
      expect(folded).to.equal(expectedDigest(["bytes32", "bytes32"], [head, digest]));
      expect(foldEvent(head, event)).to.equal(folded);
      head = random.count(1) ? folded : random.bytes32();
    }
  });

  it("hashes mixed-case hex and checksummed addresses as the ABI coder does", function () {
    const event = cases[0]!.event as Extract<LotHistoryEvent, { kind: "minted" }>;
    const upper = { ...event, custodian: event.custodian.toUpperCase().replace("0X", "0x"), metadata: event.metadata.toUpperCase().replace("0X", "0x") };
    const checksummed = { ...event, custodian: getAddress(event.custodian) };
    expect(eventDigest(upper)).to.equal(eventDigest(event));
    expect(eventDigest(checksummed)).to.equal(eventDigest(event));
    expect(foldHead(event.metadata.toUpperCase().replace("0X", "0x"), event.origin)).to.equal(foldHead(event.metadata, event.origin));
  });

  it("gives the digest of abi.encode(Ingredient[]) for declared ingredients, and zero for none", function () {
    const random = generator(99);
    for (let round = 0; round < 20; round++) {
      const ingredients: DeclaredIngredient[] = Array.from({ length: 1 + random.count(45) }, () => ({ outputForm: random.small(8), grams: random.uint(64), name: random.bytes32() }));
      const expected = keccak256(coder.encode(["tuple(uint8,uint64,bytes32)[]"], [ingredients.map((item) => [item.outputForm, item.grams, item.name])]));
      expect(ingredientsDigest(ingredients)).to.equal(expected);
    }
    expect(ingredientsDigest([])).to.equal(`0x${"00".repeat(32)}`);
  });

  describe("refuses a value the ABI coder would refuse", function () {
    const minted = cases[0]!.event as Extract<LotHistoryEvent, { kind: "minted" }>;
    const refused: Array<[string, LotHistoryEvent]> = [
      ["a form of 256 (uint8)", { ...minted, form: 256 }],
      ["a negative form", { ...minted, form: -1 }],
      ["a form that is not an integer", { ...minted, form: 1.5 }],
      ["grams of 2^64 (uint64)", { ...minted, grams: 1n << 64n }],
      ["negative grams", { ...minted, grams: -1n }],
      ["a quality of 65,536 (uint16)", { ...minted, quality: 65_536 }],
      ["a lot id of 2^256", { ...minted, lotId: 1n << 256n }],
      ["metadata one byte short", { ...minted, metadata: minted.metadata.slice(0, 64) }],
      ["metadata with a character that is not hex", { ...minted, metadata: `${minted.metadata.slice(0, 65)}g` }],
      ["an origin without 0x", { ...minted, origin: `00${minted.origin.slice(2)}` }],
    ];
    for (const [what, event] of refused) {
      it(what, function () {
        expect(() => eventDigest(event)).to.throw(RangeError);
        expect(() => foldEvent(`0x${"00".repeat(32)}`, event)).to.throw(RangeError);
      });
    }
    it("an address with a wrong EIP-55 checksum, and one that is not hex", function () {
      // An EIP-55 example, then the same with one letter's case flipped.
      expect(eventDigest({ ...minted, custodian: "0x52908400098527886E0F7030069857D2E4169EE7" })).to.equal(eventDigest({ ...minted, custodian: "0x52908400098527886e0f7030069857d2e4169ee7" }));
      expect(() => eventDigest({ ...minted, custodian: "0x52908400098527886e0F7030069857D2E4169EE7" })).to.throw();
      expect(() => eventDigest({ ...minted, custodian: `0x${"zz".repeat(20)}` })).to.throw();
    });
    it("a head that is not 32 bytes of hex", function () {
      expect(() => foldEvent(`0x${"00".repeat(31)}`, minted)).to.throw(RangeError);
      expect(() => foldHead(`0x${"00".repeat(32)}`, `0x${"0g".repeat(32)}`)).to.throw(RangeError);
    });
  });
});
