import { expect } from "chai";
import { type Database } from "../../src/db";
import { ProductTakenError, checkGtin, findProduct, gtinCheckDigit, productsOfLot, registerProduct } from "../../src/products";
import { describeEachEngine } from "../helpers/engines";

describe("products: GTIN check digits", () => {
  it("computes GS1 check digits of known GTINs", () => {
    // GS1's own worked example and real EAN-13/UPC-A/EAN-8 codes.
    expect(gtinCheckDigit("0950110153000")).to.equal(3);
    expect(gtinCheckDigit("400638133393")).to.equal(1);
    expect(gtinCheckDigit("03600029145")).to.equal(2);
    expect(gtinCheckDigit("9638507")).to.equal(4);
  });

  it("accepts valid GTINs of each length as 14 digits and names what is wrong otherwise", () => {
    expect(checkGtin("09501101530003")).to.deep.equal({ ok: true, gtin14: "09501101530003" });
    expect(checkGtin("4006381333931")).to.deep.equal({ ok: true, gtin14: "04006381333931" });
    expect(checkGtin("036000291452")).to.deep.equal({ ok: true, gtin14: "00036000291452" });
    expect(checkGtin("96385074")).to.deep.equal({ ok: true, gtin14: "00000096385074" });
    expect(checkGtin("09501101530004")).to.deep.equal({ ok: false, reason: "check digit 4 is wrong: expected 3" });
    expect(checkGtin("0950110153000")).to.include({ ok: false });
    expect(checkGtin("12345")).to.include({ ok: false });
    expect(checkGtin("0950110153000x")).to.include({ ok: false });
  });
});

describeEachEngine("products: product store", (engine) => {
  let db: Database;
  before(async () => {
    db = await engine.openMigrated();
  });
  after(() => db.close());

  it("names a lot by GTIN and batch, once", async () => {
    const product = await registerProduct(db, { gtin: "4006381333931", batch: "B-2026/11", lotId: 7_000_000_001n, memberId: 5n, name: "Dark 70%" });
    expect(product).to.deep.equal({ gtin: "04006381333931", batch: "B-2026/11", lotId: 7_000_000_001n, memberId: 5n, name: "Dark 70%" });
    expect(await findProduct(db, "4006381333931", "B-2026/11")).to.deep.equal(product);
    expect(await findProduct(db, "04006381333931", "other")).to.equal(null);
    expect(await productsOfLot(db, 7_000_000_001n)).to.deep.equal([product]);
    const refusal = (gtin: string, batch: string, lotId: bigint) =>
      registerProduct(db, { gtin, batch, lotId, memberId: 5n }).then(
        () => "accepted",
        (error: Error) => `${error instanceof ProductTakenError ? "taken: " : ""}${error.message}`,
      );
    expect(await refusal("4006381333931", "B-2026/11", 9n)).to.match(/^taken: GTIN .* already names lot 7000000001/);
    expect(await refusal("4006381333932", "B1", 9n)).to.match(/^GTIN 4006381333932: check digit/);
    expect(await refusal("4006381333931", "B 1", 9n)).to.match(/^batch "B 1"/);
    expect(await refusal("4006381333931", "B".repeat(21), 9n)).to.match(/^batch/);
    expect((await db.query("select count(*)::int as n from products")).rows[0]!.n).to.equal(1);
  });
});
