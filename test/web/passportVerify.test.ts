import { expect } from "chai";
import { computeHistoryHead, eventDigest, foldHead, ingredientsDigest } from "../../src/lots/historyHead";
import { ingredientName } from "../../src/lots/ingredients";
import { eventFromJson } from "../../src/web/passport/events";
import type { LotHistoryEventJson, PassportLot } from "../../src/web/passport/types";
import { checkPassportAgainstChain, checkPassportLocally, checkPassportOnChain, recomputeLot } from "../../src/web/passport/verify";
import { lotRegistryInterface } from "../../src/chain/contracts";
import type { JsonRpc } from "../../src/chain/jsonRpc";

const ZERO32 = `0x${"0".repeat(64)}`;
const MAKER = "0x00000000000000000000000000000000000000b7";

/** A chocolate lot made with declared sugar and lecithin, its events' heads folded as the chain folds them. */
function barLot(): PassportLot {
  const ingredients = [
    { outputForm: 7, grams: "295000", name: ingredientName("cane sugar"), text: "cane sugar" },
    { outputForm: 7, grams: "5000", name: ingredientName("sunflower lecithin"), text: "sunflower lecithin" },
  ];
  const digest = ingredientsDigest(ingredients.map((item) => ({ outputForm: item.outputForm, grams: BigInt(item.grams), name: item.name })));
  const derived: LotHistoryEventJson = { kind: "derived", lotId: "9", custodian: MAKER, form: 7, grams: "990000", quality: 0, metadata: ZERO32, ingredients: digest, inputIds: ["5"], inputHeads: [ZERO32] };
  const head = computeHistoryHead([eventFromJson(derived)]);
  return { lotId: "9", depth: 0, events: [{ event: derived, txHash: ZERO32, blockNumber: 3, logIndex: 0, blockTime: null, head }], ingredients };
}

describe("lot page verification: declared ingredients", () => {
  it("accepts the ingredients the derived event commits to", () => {
    const lot = barLot();
    const recomputed = recomputeLot(lot);
    expect(recomputed.mismatches).to.deep.equal([]);
    expect(recomputed.head).to.equal(foldHead(ZERO32, eventDigest(eventFromJson(lot.events[0]!.event))));
  });

  it("names a lot whose ingredients as shown differ from those its head commits to", () => {
    for (const tamper of [
      (lot: PassportLot) => void (lot.ingredients[0]!.grams = "195000"),
      (lot: PassportLot) => void (lot.ingredients[1]!.name = ingredientName("palm oil")),
      (lot: PassportLot) => void lot.ingredients.pop(),
      (lot: PassportLot) => void (lot.ingredients = []),
    ]) {
      const lot = barLot();
      tamper(lot);
      const { mismatches } = recomputeLot(lot);
      expect(mismatches).to.have.length(1);
      expect(mismatches[0]!.what).to.match(/lot 9: the ingredients shown hash to 0x[0-9a-f]{64}, its derived event commits to 0x[0-9a-f]{64}/);
    }
  });
});

describe("lot page verification: the local check made once, the chain asked per block", () => {
  /** A node that answers `historyHeads` with `heads` (one `eth_call` per check), counting the calls. */
  function node(heads: () => string[]) {
    const calls: string[] = [];
    const rpc: JsonRpc = {
      call: async <T>(method: string) => {
        calls.push(method);
        return lotRegistryInterface.encodeFunctionResult("historyHeads", [heads()]) as T;
      },
    };
    return { rpc, calls };
  }
  const page = (lot: PassportLot) => ({ contracts: { LotRegistry: MAKER, AttestationRegistry: null }, lots: [lot], attestations: [] });

  it("a check from a kept local check says what a whole check says, at each block", async () => {
    const lot = barLot();
    const head = recomputeLot(lot).head!;
    let chainHead = head;
    const { rpc, calls } = node(() => [chainHead]);
    const local = checkPassportLocally(page(lot));
    expect(local.heads).to.deep.equal([{ lotId: "9", head }]);
    expect((await checkPassportOnChain({ rpc, passport: page(lot), block: 10, local })).mismatches).to.deep.equal([]);
    // The chain moved on (a newer event): the kept local check is held against the new head.
    chainHead = `0x${"11".repeat(32)}`;
    const later = await checkPassportOnChain({ rpc, passport: page(lot), block: 11, local });
    const whole = await checkPassportAgainstChain({ rpc, passport: page(lot), block: 11 });
    expect(later).to.deep.equal(whole);
    expect(later.mismatches.map((m) => m.what)).to.deep.equal([`lot 9: the history head recomputed from the events shown is ${head}, the chain's is ${chainHead}`]);
    expect(calls).to.deep.equal(["eth_call", "eth_call", "eth_call"]);
  });

  it("keeps what the events themselves get wrong in every check made from the local one", async () => {
    const lot = barLot();
    lot.ingredients[0]!.grams = "195000";
    const { rpc } = node(() => [recomputeLot(lot).head!]);
    const local = checkPassportLocally(page(lot));
    expect(local.events).to.have.length(1);
    const check = await checkPassportOnChain({ rpc, passport: page(lot), block: 12, local });
    expect(check.mismatches.map((m) => m.what)).to.deep.equal(local.events.map((m) => m.what));
  });
});
