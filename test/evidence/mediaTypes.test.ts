import { expect } from "chai";
import { EvidenceMalformedError, EvidenceMediaTypeError, EvidenceTooLargeError } from "../../src/evidence/errors";
import { checkedStream, evidenceLimits, prepareEvidence } from "../../src/evidence/intake";
import { TextEvidenceChecker, parseEvidenceMediaType, sniffMediaType } from "../../src/evidence/mediaTypes";
import { buildJpeg, buildPdf, buildPng, buildWebp, sampleOfEachType } from "./fixtures";

describe("evidence intake: types, magic numbers, limits", () => {
  const limits = evidenceLimits();

  it("accepts every allowed type with matching bytes", () => {
    for (const { mediaType, bytes } of sampleOfEachType()) {
      expect(prepareEvidence(bytes, mediaType, limits).mediaType).to.equal(mediaType);
    }
  });

  it("normalises declared types and refuses everything outside the list", () => {
    expect(parseEvidenceMediaType("Text/CSV; charset=UTF-8")).to.equal("text/csv");
    for (const declared of ["image/gif", "image/heic", "application/zip", "text/html", "", "image/jpg"]) {
      expect(() => parseEvidenceMediaType(declared), declared).to.throw(EvidenceMediaTypeError, "not accepted");
    }
    expect(() => parseEvidenceMediaType("text/csv; charset=iso-8859-1")).to.throw(EvidenceMediaTypeError, "UTF-8");
  });

  it("refuses bytes whose magic number contradicts the declared type, naming what they look like", () => {
    const cases: [string, Buffer, string | undefined][] = [
      ["application/pdf", buildPng({ metadata: false }).bytes, "image/png"],
      ["image/jpeg", buildPdf(), "application/pdf"],
      ["image/png", buildJpeg(), "image/jpeg"],
      ["image/webp", Buffer.from("RIFF\0\0\0\0WAVEfmt "), undefined],
      ["image/jpeg", Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheic"), Buffer.alloc(16)]), "image/heic"],
    ];
    for (const [declared, bytes, detected] of cases) {
      let error: unknown;
      try {
        prepareEvidence(bytes, declared, limits);
      } catch (e) {
        error = e;
      }
      expect(error, declared).to.be.instanceOf(EvidenceMediaTypeError);
      expect((error as EvidenceMediaTypeError).detected).to.equal(detected);
    }
  });

  it("refuses binary, invalid UTF-8 and control characters as text, and JSON that does not parse", () => {
    const refused: [string, Buffer][] = [
      ["text/csv", buildJpeg()],
      ["text/csv", Buffer.from([0x61, 0x2c, 0xff, 0xfe, 0x0a])],
      ["text/csv", Buffer.from("a,b\n\x12c,d\n")],
      ["text/csv", Buffer.from("\x12\x05hello")],
      ["application/json", Buffer.from("lot,grams\n")],
      ["application/json", Buffer.from('{"lot": ')],
      ["application/json", Buffer.from("   ")],
      ["application/geo+json", Buffer.from("[1,2]")],
      ["application/geo+json", Buffer.from('{"type":"Plot"}')],
    ];
    for (const [declared, bytes] of refused) {
      expect(() => prepareEvidence(bytes, declared, limits), `${declared}: ${JSON.stringify(bytes.toString("latin1"))}`).to.throw(EvidenceMediaTypeError);
    }
    expect(() => prepareEvidence(buildJpeg(), "text/csv", limits)).to.throw(EvidenceMediaTypeError, "look like image/jpeg");
    expect(() => prepareEvidence(Buffer.from("a,b\n\x07"), "text/csv", limits)).to.throw(EvidenceMediaTypeError, "control character U+0007");
  });

  it("accepts a UTF-8 BOM and text split mid-character across chunks", () => {
    const text = Buffer.from("\ufeffcoopérative,kg\nSuhum,640\n");
    const checker = new TextEvidenceChecker("text/csv");
    for (let i = 0; i < text.length; i++) checker.push(text.subarray(i, i + 1));
    checker.end();
    expect(() => prepareEvidence(Buffer.from('\ufeff{"a":1}'), "application/json", limits)).to.not.throw();
  });

  it("refuses uploads over the limit, counting the bytes as they arrive", async () => {
    const small = evidenceLimits({ maxBytes: 1000 });
    expect(() => prepareEvidence(Buffer.alloc(1001, 0x61), "text/csv", small)).to.throw(EvidenceTooLargeError, "1000");
    let yielded = 0;
    const chunks = (function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(100, 0x61);
    })();
    const error = await (async () => {
      for await (const chunk of checkedStream(chunks, "text/csv", small)) yielded += chunk.length;
    })().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceTooLargeError);
    expect(yielded).to.equal(1000);
  });

  it("checks the magic number of a stream before passing its first bytes on", async () => {
    const png = buildPng({ metadata: false }).bytes;
    let yielded = 0;
    const error = await (async () => {
      for await (const chunk of checkedStream([png.subarray(0, 3), png.subarray(3)], "application/pdf", limits)) yielded += chunk.length;
    })().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceMediaTypeError);
    expect(yielded).to.equal(0);
  });

  it("refuses photos whose structure is broken", () => {
    const jpeg = buildJpeg();
    expect(() => prepareEvidence(jpeg.subarray(0, jpeg.length - 2), "image/jpeg", limits)).to.throw(EvidenceMalformedError, "end-of-image");
    const png = buildPng().bytes;
    expect(() => prepareEvidence(png.subarray(0, png.length - 12), "image/png", limits)).to.throw(EvidenceMalformedError, "IEND");
    const webp = buildWebp();
    expect(() => prepareEvidence(webp.subarray(0, webp.length - 10), "image/webp", limits)).to.throw(EvidenceMalformedError);
  });

  it("recognises the formats a phone or an office produces", () => {
    expect(sniffMediaType(buildWebp())).to.equal("image/webp");
    expect(sniffMediaType(Buffer.from("PK\x03\x04xlsx", "latin1"))).to.match(/zip/);
    expect(sniffMediaType(Buffer.from("GIF89a"))).to.equal("image/gif");
    expect(sniffMediaType(Buffer.from("lot,grams"))).to.equal(undefined);
  });
});
