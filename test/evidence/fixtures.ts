import crypto from "node:crypto";
import zlib from "node:zlib";
import { PNG } from "pngjs";

/**
 * Real image files built byte by byte, with the metadata a phone writes: an Exif block holding
 * the camera make and model, the orientation and a GPS position, plus XMP and comments.
 */

/** Farmer's home, as a phone would record it (Ghana, Ashanti region). */
export const GPS = { latitude: [6, 41, 2.5], longitude: [1, 37, 15.25], latitudeRef: "N", longitudeRef: "W" } as const;
export const MAKE = "FirstPhone";
export const MODEL = "FP-Model-X9";

type IfdEntry = { tag: number; type: 2 | 3 | 4 | 5; values: number[] | string };

/** A little-endian TIFF structure (Exif payload): IFD0 with make, model, orientation and a GPS IFD. */
export function buildExifTiff(options: { orientation?: number; gps?: boolean } = {}): Buffer {
  const ifd0: IfdEntry[] = [
    { tag: 0x010f, type: 2, values: MAKE },
    { tag: 0x0110, type: 2, values: MODEL },
    { tag: 0x0112, type: 3, values: [options.orientation ?? 1] },
  ];
  const gpsIfd: IfdEntry[] = [
    { tag: 0x0001, type: 2, values: GPS.latitudeRef },
    { tag: 0x0002, type: 5, values: toRationals(GPS.latitude) },
    { tag: 0x0003, type: 2, values: GPS.longitudeRef },
    { tag: 0x0004, type: 5, values: toRationals(GPS.longitude) },
  ];
  if (options.gps !== false) ifd0.push({ tag: 0x8825, type: 4, values: [0] }); // offset patched below

  const ifdSize = (entries: IfdEntry[]) => 2 + entries.length * 12 + 4;
  const ifd0Offset = 8;
  const gpsOffset = ifd0Offset + ifdSize(ifd0);
  let dataOffset = gpsOffset + (options.gps !== false ? ifdSize(gpsIfd) : 0);
  const out = Buffer.alloc(4096);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifd0Offset, 4);

  const writeIfd = (at: number, entries: IfdEntry[]) => {
    out.writeUInt16LE(entries.length, at);
    entries.forEach((entry, i) => {
      const e = at + 2 + i * 12;
      const bytes = encodeValues(entry);
      out.writeUInt16LE(entry.tag, e);
      out.writeUInt16LE(entry.type, e + 2);
      out.writeUInt32LE(typeof entry.values === "string" ? entry.values.length + 1 : entry.type === 5 ? entry.values.length / 2 : entry.values.length, e + 4);
      if (entry.tag === 0x8825) {
        out.writeUInt32LE(gpsOffset, e + 8);
      } else if (bytes.length <= 4) {
        bytes.copy(out, e + 8);
      } else {
        out.writeUInt32LE(dataOffset, e + 8);
        bytes.copy(out, dataOffset);
        dataOffset += bytes.length + (bytes.length % 2);
      }
    });
    out.writeUInt32LE(0, at + 2 + entries.length * 12);
  };
  writeIfd(ifd0Offset, ifd0);
  if (options.gps !== false) writeIfd(gpsOffset, gpsIfd);
  return out.subarray(0, dataOffset);
}

function toRationals(dms: readonly number[]): number[] {
  return dms.flatMap((value) => [Math.round(value * 100), 100]);
}

function encodeValues(entry: IfdEntry): Buffer {
  if (typeof entry.values === "string") return Buffer.from(`${entry.values}\0`, "latin1");
  const size = entry.type === 3 ? 2 : 4;
  const bytes = Buffer.alloc(entry.values.length * size);
  entry.values.forEach((value, i) => (size === 2 ? bytes.writeUInt16LE(value, i * 2) : bytes.writeUInt32LE(value, i * 4)));
  return bytes;
}

function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

export const XMP_PACKET = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="6,41.04N"/></rdf:RDF></x:xmpmeta>`;

/**
 * A baseline JPEG, 8x8 grey, that any decoder reads: quantisation table, frame header, one-symbol
 * Huffman tables and a single entropy-coded block. Metadata segments as a phone would add them.
 */
export function buildJpeg(options: { orientation?: number; exif?: boolean; xmp?: boolean; comment?: boolean; trailer?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  parts.push(segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]))); // JFIF 1.1, no thumbnail
  if (options.exif !== false) parts.push(segment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), buildExifTiff({ orientation: options.orientation })])));
  if (options.xmp) parts.push(segment(0xe1, Buffer.concat([Buffer.from("http://ns.adobe.com/xap/1.0/\0", "latin1"), Buffer.from(XMP_PACKET)])));
  if (options.comment) parts.push(segment(0xfe, Buffer.from(`shot at ${GPS.latitude.join(" ")} by ${MODEL}`)));
  parts.push(IMAGE_SEGMENTS);
  parts.push(Buffer.from([0xff, 0xd9]));
  if (options.trailer) parts.push(Buffer.from(`vendor trailer ${MODEL}`, "latin1"));
  return Buffer.concat(parts);
}

/** DQT, SOF0, DHT (DC, AC), SOS and the scan: the part of a JPEG stripping must leave untouched. */
export const IMAGE_SEGMENTS = Buffer.concat([
  segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)])), // table 0, all ones
  segment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])), // 8-bit, 8x8, one component, table 0
  segment(0xc4, Buffer.concat([Buffer.from([0x00, 1]), Buffer.alloc(15, 0), Buffer.from([0x00])])), // DC: one 1-bit code, symbol 0
  segment(0xc4, Buffer.concat([Buffer.from([0x10, 1]), Buffer.alloc(15, 0), Buffer.from([0x00])])), // AC: one 1-bit code, EOB
  segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])), // one component, tables 0/0, full spectrum
  Buffer.from([0x3f]), // DC diff 0 ("0"), EOB ("0"), padded with ones
]);

/** PNG chunk with its CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A 4x4 RGBA PNG encoded by pngjs, with eXIf, tEXt, iTXt (XMP) and tIME inserted after IHDR. */
export function buildPng(options: { metadata?: boolean } = {}): { bytes: Buffer; pixels: Buffer } {
  const image = new PNG({ width: 4, height: 4 });
  crypto.randomFillSync(image.data);
  const plain = PNG.sync.write(image);
  if (options.metadata === false) return { bytes: plain, pixels: Buffer.from(image.data) };
  const ihdrEnd = 8 + 12 + 13;
  const metadata = Buffer.concat([
    pngChunk("eXIf", buildExifTiff()),
    pngChunk("tEXt", Buffer.from(`Author\0${MODEL} owner`, "latin1")),
    pngChunk("iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\0\0\0\0", "latin1"), Buffer.from(XMP_PACKET)])),
    pngChunk("tIME", Buffer.from([0x07, 0xe9, 3, 14, 9, 30, 0])),
  ]);
  return { bytes: Buffer.concat([plain.subarray(0, ihdrEnd), metadata, plain.subarray(ihdrEnd)]), pixels: Buffer.from(image.data) };
}

/** A 2x2 lossless WebP bitstream (VP8L chunk payload), made once with `cwebp -lossless`. */
const VP8L_2X2 = Buffer.from("2f014000001f201048de1f3a8df9171014fc1fddfc47640fe0060c11fd0f01", "hex");

function riffChunk(fourcc: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourcc, 0, "latin1");
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
}

/** An extended WebP (VP8X) with the image, an EXIF chunk and an XMP chunk, flags set for both. */
export function buildWebp(options: { metadata?: boolean } = {}): Buffer {
  const withMetadata = options.metadata !== false;
  const vp8x = Buffer.alloc(10);
  vp8x[0] = withMetadata ? 0x08 | 0x04 : 0; // EXIF and XMP flags
  vp8x.writeUIntLE(2 - 1, 4, 3); // canvas width - 1
  vp8x.writeUIntLE(2 - 1, 7, 3); // canvas height - 1
  const chunks = [riffChunk("VP8X", vp8x), riffChunk("VP8L", VP8L_2X2)];
  if (withMetadata) {
    chunks.push(riffChunk("EXIF", buildExifTiff()));
    chunks.push(riffChunk("XMP ", Buffer.from(XMP_PACKET)));
  }
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(4 + body.length, 4);
  header.write("WEBP", 8, "latin1");
  return Buffer.concat([header, body]);
}

/** The bytes of each allowed type, for round trips. */
export function sampleOfEachType(): { mediaType: string; bytes: Buffer }[] {
  return [
    { mediaType: "image/jpeg", bytes: buildJpeg({ exif: false }) },
    { mediaType: "image/png", bytes: buildPng({ metadata: false }).bytes },
    { mediaType: "image/webp", bytes: buildWebp({ metadata: false }) },
    { mediaType: "application/pdf", bytes: buildPdf() },
    { mediaType: "application/json", bytes: Buffer.from(JSON.stringify({ lot: "GH-2025-0001", moisture: 7.2, grade: "A" })) },
    { mediaType: "application/geo+json", bytes: Buffer.from(JSON.stringify({ type: "Feature", geometry: { type: "Polygon", coordinates: [[[-1.62, 6.68], [-1.61, 6.68], [-1.61, 6.69], [-1.62, 6.68]]] }, properties: { plot: "P-17" } })) },
    { mediaType: "text/csv", bytes: Buffer.from("lot,grams,moisture\nGH-2025-0001,640000,7.2\nGH-2025-0002,512000,6.9\n") },
  ];
}

/** A minimal one-page PDF. */
export function buildPdf(extra = ""): Buffer {
  return Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n${extra}trailer << /Root 1 0 R >>\n%%EOF\n`, "latin1");
}

/** Printable CSV-like text of exactly `size` bytes, different for every seed. */
export function csvOfSize(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const pick = state >>> 26; // 0..63
    out[i] = pick === 0 ? 0x0a : pick === 1 ? 0x2c : 0x30 + (pick % 43);
  }
  return out;
}

/** Segments of a JPEG up to the scan, as [marker, payload]: enough to see what metadata is left. */
export function jpegSegments(bytes: Buffer): { marker: number; payload: Buffer }[] {
  const segments: { marker: number; payload: Buffer }[] = [];
  let pos = 2;
  while (pos < bytes.length && bytes[pos] === 0xff) {
    const marker = bytes[pos + 1]!;
    if (marker === 0xd9) break;
    const length = bytes.readUInt16BE(pos + 2);
    segments.push({ marker, payload: bytes.subarray(pos + 4, pos + 2 + length) });
    pos += 2 + length;
    if (marker === 0xda) break;
  }
  return segments;
}

/** Every tag number of every IFD in a TIFF structure (IFD0, the Exif IFD, the GPS IFD). */
export function tiffTags(tiff: Buffer): Set<number> {
  const little = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const tags = new Set<number>();
  const visit = (offset: number) => {
    const count = u16(offset);
    for (let i = 0; i < count; i++) {
      const entry = offset + 2 + i * 12;
      const tag = u16(entry);
      tags.add(tag);
      if (tag === 0x8825 || tag === 0x8769) visit(u32(entry + 8));
    }
  };
  visit(u32(4));
  return tags;
}
