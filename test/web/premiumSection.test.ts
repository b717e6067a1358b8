import { expect } from "chai";
import { renderPassportPage } from "../../src/web/passport/render";
import { premiumFiguresFixture } from "../payments/premiumFixture";
import { cocoaPassport } from "./passportFixture";

const render = (premium = premiumFiguresFixture(), locale: "en" | "id" = "en") => {
  const passport = cocoaPassport();
  passport.premium = premium;
  return renderPassportPage(passport, { locale, path: "/l/300", url: "http://gateway.example/l/300" });
};

describe("the premium on the lot page", function () {
  it("shows nothing when no premium was committed", function () {
    const html = renderPassportPage(cocoaPassport(), { locale: "en", path: "/l/300", url: "http://gateway.example/l/300" });
    expect(html).not.to.include('id="premium"');
  });

  it("shows the commitment per kg and in all, the share paid, households, women, median days, the pass-through and the proofs", function () {
    const html = render();
    expect(html).to.include("Zaanstreek Chocolate Company B.V. committed a living-income premium of 2,500.00 IDR per kg on this product&#39;s lots: 1,000,000.00 IDR in all.");
    expect(html).to.include("92% of the premium owed to the farms of this product has been paid to the farmers (920,000.00 IDR of 1,000,000.00 IDR).");
    expect(html).to.include("No payout of this premium to the farmers has been published yet.");
    expect(html).to.include("Farming households paid: 12.");
    expect(html).to.include("Women among the farmers paid: 41.7%.");
    expect(html).to.include("Payments confirmed by the farmers with their own passkeys: 58.3%.");
    expect(html).to.include("Farmers were paid a median of 6.5 days after their delivery.");
    expect(html).to.match(/<td>PT Celebes Cocoa Export<\/td><td>1,000,000.00 IDR<\/td><td>920,000.00 IDR<\/td><td>8%<\/td>/);
    expect(html).to.include(`0x${"cc".repeat(32)}`);
    expect(html).to.include("firstmile verify http://gateway.example/l/300 --rpc &lt;node&gt; --payouts &lt;export.json&gt;");
  });

  it("never shows a count or share of fewer than 5 households", function () {
    const html = render({ ...premiumFiguresFixture(), farmers: { count: null, fewerThan5: true }, womenShareBps: null, medianDaysToPayment: null });
    expect(html).to.include("Fewer than 5 farming households were paid");
    expect(html).not.to.include("Farming households paid");
    expect(html).not.to.include("Women among");
  });

  it("speaks the reader's language, digits included", function () {
    const html = render(premiumFiguresFixture(), "id");
    expect(html).to.include("Premi untuk petani");
    expect(html).to.include("2.500,00 IDR");
  });
});
