import { expect } from "chai";
import { computeHistoryHead, eventDigest, foldHead, ingredientsDigest } from "../../src/lots/historyHead";
import { ingredientName } from "../../src/lots/ingredients";
import { eventFromJson } from "../../src/web/passport/events";
import type { LotHistoryEventJson, PassportLot } from "../../src/web/passport/types";
import { recomputeLot } from "../../src/web/passport/verify";

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
