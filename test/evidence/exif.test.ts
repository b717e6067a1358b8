import { expect } from "chai";
import { PNG } from "pngjs";
import { stripImageMetadata } from "../../src/evidence/exif";
import { IMAGE_SEGMENTS, MAKE, MODEL, XMP_PACKET, buildJpeg, buildPng, buildWebp, jpegSegments, tiffTags } from "./fixtures";

const GPS_IFD_POINTER = 0x8825;
const GPS_LATITUDE = 0x0002;

describe("photo metadata stripping", () => {
  it("the test JPEG really carries GPS, make and model in an APP1 Exif segment", () => {
    const exif = jpegSegments(buildJpeg({ orientation: 6 })).find((s) => s.marker === 0xe1 && s.payload.toString("latin1", 0, 6) === "Exif\0\0");
    expect(exif).to.not.equal(undefined);
    const tags = tiffTags(exif!.payload.subarray(6));
    expect([...tags]).to.include.members([GPS_IFD_POINTER, GPS_LATITUDE, 0x010f, 0x0110, 0x0112]);
  });

  it("removes Exif (GPS, make, model), XMP, comments and trailing data from a JPEG", () => {
    const input = buildJpeg({ orientation: 1, xmp: true, comment: true, trailer: true });
    const { bytes, removed } = stripImageMetadata(input, "image/jpeg");
    const output = Buffer.from(bytes);
    const markers = jpegSegments(output).map((s) => s.marker);
    expect(markers).to.not.include(0xe1);
    expect(markers).to.not.include(0xfe);
    expect(markers[0]).to.equal(0xe0); // JFIF kept
    for (const secret of [MAKE, MODEL, "GPS", XMP_PACKET.slice(0, 20), "vendor trailer"]) expect(output.includes(secret), secret).to.equal(false);
    expect(removed).to.have.members(["Exif (location, device, time)", "XMP", "comment", "data after the end of the image"]);
    // The image itself is byte-for-byte what it was, and the file still ends with EOI.
    expect(output.includes(IMAGE_SEGMENTS)).to.equal(true);
    expect(output.subarray(-2)).to.deep.equal(Buffer.from([0xff, 0xd9]));
  });

  it("keeps the orientation alone, so a portrait photo is not shown sideways", () => {
    const { bytes } = stripImageMetadata(buildJpeg({ orientation: 6 }), "image/jpeg");
    const exif = jpegSegments(Buffer.from(bytes)).filter((s) => s.marker === 0xe1);
    expect(exif).to.have.length(1);
    const tiff = exif[0]!.payload.subarray(6);
    expect([...tiffTags(tiff)]).to.deep.equal([0x0112]);
    expect(tiff.readUInt16BE(18)).to.equal(6);
    expect(Buffer.from(bytes).includes(MAKE)).to.equal(false);
  });

  it("finds metadata between scans of a progressive JPEG, past stuffed bytes and restart markers", () => {
    const scanData = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xff, 0x00]);
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.from(MODEL.slice(0, 8))]);
    const sos = Buffer.from([0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0]);
    const input = Buffer.concat([buildJpeg({ exif: false }).subarray(0, -2), sos, scanData, comment, sos, scanData, Buffer.from([0xff, 0xd9])]);
    const { bytes, removed } = stripImageMetadata(input, "image/jpeg");
    const output = Buffer.from(bytes);
    expect(removed).to.deep.equal(["comment"]);
    expect(output.includes(MODEL.slice(0, 8))).to.equal(false);
    expect(output.length).to.equal(input.length - comment.length);
    expect(output.subarray(-(sos.length + scanData.length + 2))).to.deep.equal(Buffer.concat([sos, scanData, Buffer.from([0xff, 0xd9])]));
  });

  it("leaves a JPEG without metadata unchanged", () => {
    const clean = buildJpeg({ exif: false });
    const { bytes, removed } = stripImageMetadata(clean, "image/jpeg");
    expect(Buffer.compare(Buffer.from(bytes), clean)).to.equal(0);
    expect(removed).to.deep.equal([]);
  });

  it("removes eXIf, text and time chunks from a PNG and keeps its pixels", () => {
    const { bytes: input, pixels } = buildPng();
    const { bytes, removed } = stripImageMetadata(input, "image/png");
    const output = Buffer.from(bytes);
    for (const chunk of ["eXIf", "tEXt", "iTXt", "tIME", MAKE, MODEL]) expect(output.includes(chunk), chunk).to.equal(false);
    expect(removed).to.include("Exif (location, device, time)");
    const decoded = PNG.sync.read(output);
    expect(Buffer.compare(decoded.data, pixels)).to.equal(0);
  });

  it("removes EXIF and XMP chunks from a WebP, clears their flags and fixes the RIFF size", () => {
    const input = buildWebp();
    const { bytes, removed } = stripImageMetadata(input, "image/webp");
    const output = Buffer.from(bytes);
    expect(output.includes("EXIF")).to.equal(false);
    expect(output.includes("XMP ")).to.equal(false);
    expect(output.includes(MODEL)).to.equal(false);
    expect(output.readUInt32LE(4)).to.equal(output.length - 8);
    expect(output.toString("latin1", 12, 16)).to.equal("VP8X");
    expect(output[20]! & 0x0c).to.equal(0);
    expect(output.includes(input.subarray(input.indexOf("VP8L"), input.indexOf("VP8L") + 8 + 31))).to.equal(true);
    expect(removed).to.have.members(["Exif (location, device, time)", "XMP"]);
  });
});
