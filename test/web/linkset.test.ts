import { expect } from "chai";
import { productLinkHeader, productLinkset, requestedLinkType } from "../../src/web/passport/linkset";
import { isCompressedLink } from "../../src/web/passport/router";

describe("GS1 Digital Link linksets (pure)", function () {
  const product = { publicBase: "https://gw.example", gtin14: "09506000134352", batch: "LOT/7", lotId: "4294967301" };

  it("lists the page, the EPCIS document, certifications and sustainability claims under GS1 link type URIs (RFC 9264)", function () {
    const { linkset } = productLinkset(product);
    expect(linkset).to.have.length(1);
    const context = linkset[0]!;
    expect(context.anchor).to.equal("https://gw.example/01/09506000134352/10/LOT%2F7");
    expect(Object.keys(context).sort()).to.deep.equal(
      ["anchor", ...["pip", "traceability", "certificationInfo", "sustainabilityInfo", "defaultLink"].map((t) => `https://gs1.org/voc/${t}`)].sort(),
    );
    expect(context["https://gs1.org/voc/traceability"]).to.deep.equal([{ href: "https://gw.example/v1/lots/4294967301/epcis", title: "Traceability events (GS1 EPCIS 2.0)", type: "application/ld+json" }]);
    expect((context["https://gs1.org/voc/pip"] as Array<{ hreflang?: string[] }>)[0]!.hreflang).to.deep.equal(["en", "id", "th", "vi"]);
  });

  it("names the linkset and every link in the page's Link header (RFC 8288)", function () {
    const header = productLinkHeader(product);
    expect(header.split(", <")).to.have.length(5);
    expect(header).to.match(/^<https:\/\/gw\.example\/01\/09506000134352\/10\/LOT%2F7\?linkType=linkset>; rel="linkset"; type="application\/linkset\+json", /);
    expect(header).to.include('<https://gw.example/v1/lots/4294967301/epcis>; rel="https://gs1.org/voc/traceability"; type="application/ld+json"');
  });

  it("reads ?linkType= as GS1 resolvers do: linkset or all, gs1: names or their URIs, else the default link", function () {
    expect(requestedLinkType("linkset")).to.equal("linkset");
    expect(requestedLinkType("all")).to.equal("linkset");
    expect(requestedLinkType("gs1:traceability")).to.equal("traceability");
    expect(requestedLinkType("https://gs1.org/voc/certificationInfo")).to.equal("certificationInfo");
    expect(requestedLinkType("gs1:recipeInfo")).to.equal("default");
    expect(requestedLinkType(undefined)).to.equal("default");
  });

  it("tells a compressed Digital Link from the gateway's own paths", function () {
    expect(isCompressedLink("/ARFKk4XB0CDKWcnpq")).to.equal(true);
    for (const path of ["/healthz", "/openapi.json", "/favicon.ico", "/l/4294967297", "/abcdefghijkl", "/12345678901"]) expect(isCompressedLink(path), path).to.equal(false);
  });
});
