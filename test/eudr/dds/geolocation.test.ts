import { expect } from "chai";
import booleanValid from "@turf/boolean-valid";
import { coordinateText, geolocationFiles, plotFeature, type GeolocationPlot } from "../../../src/eudr/dds";

const square: GeolocationPlot = {
  geometry: { type: "Polygon", coordinates: [[[120.75, -1.39], [120.750934, -1.39], [120.750934, -1.389129], [120.75, -1.389129], [120.75, -1.39]]] },
  country: "ID",
  place: "Poso, Sulawesi Tengah",
  areaHa: 1.00004,
  producerName: "Siti Rahmawati",
};
const hut: GeolocationPlot = { geometry: { type: "Point", coordinates: [120.760017, -1.380021] }, country: "ID", place: "Poso, Sulawesi Tengah", areaHa: 2, producerName: null };

describe("DDS geolocation (GeoJSON for the EU information system)", function () {
  it("writes every coordinate with at least 6 decimals, trailing zeros kept, and more when the plot has them", function () {
    expect(coordinateText(120.75)).to.equal("120.750000");
    expect(coordinateText(-1.39)).to.equal("-1.390000");
    expect(coordinateText(120)).to.equal("120.000000");
    expect(coordinateText(120.7500123)).to.equal("120.7500123");
    const [text] = geolocationFiles([square]);
    expect(text).to.contain("[120.750000,-1.390000]");
    expect(JSON.parse(text!).features[0].geometry.coordinates[0][0]).to.deep.equal([120.75, -1.39]);
  });

  it("gives each plot one feature with ProducerCountry, ProductionPlace and Area, and ProducerName only when it may", function () {
    const collection = JSON.parse(geolocationFiles([square, hut])[0]!);
    expect(collection.type).to.equal("FeatureCollection");
    expect(collection.features.map((f: { properties: unknown }) => f.properties)).to.deep.equal([
      { ProducerCountry: "ID", ProductionPlace: "Poso, Sulawesi Tengah", Area: 1, ProducerName: "Siti Rahmawati" },
      { ProducerCountry: "ID", ProductionPlace: "Poso, Sulawesi Tengah", Area: 2 },
    ]);
    for (const feature of collection.features) expect(booleanValid(feature)).to.equal(true);
    expect(plotFeature(hut)).to.not.have.nested.property("properties.ProducerName");
  });

  it("splits into several files, each a FeatureCollection under the limit, never splitting a feature", function () {
    const plots = Array.from({ length: 40 }, (_, i) => ({ ...hut, geometry: { type: "Point" as const, coordinates: [120.760017 + i / 1000, -1.380021] } }));
    const one = geolocationFiles(plots)[0]!;
    const limit = Math.ceil(Buffer.byteLength(one) / 3);
    const files = geolocationFiles(plots, limit);
    expect(files.length).to.be.within(3, 5);
    const features = files.flatMap((text) => {
      expect(Buffer.byteLength(text)).to.be.at.most(limit);
      return JSON.parse(text).features;
    });
    expect(features).to.deep.equal(JSON.parse(one).features);
    expect(() => geolocationFiles([square], 50)).to.throw(RangeError);
  });

  it("writes an empty FeatureCollection when every plot is covered upstream", function () {
    expect(JSON.parse(geolocationFiles([])[0]!)).to.deep.equal({ type: "FeatureCollection", features: [] });
  });
});
