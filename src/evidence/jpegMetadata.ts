import { EvidenceMalformedError } from "./errors";

/**
 * Removes metadata from a JPEG at the segment level, leaving the compressed image untouched.
 *
 * Kept: the segments a decoder needs (DQT, DHT, SOFn, DRI, SOS and the entropy-coded data), the
 * JFIF header (APP0), the colour profile (APP2 ICC_PROFILE) and Adobe's colour transform (APP14).
 * Dropped: everything else, which is where phones and editors put who, where and with what:
 * APP1 Exif (GPS position, camera make and model, serial numbers, time) and XMP, APP2 MPF
 * (extra images with their own Exif) and FlashPix, APP3-APP13 (APP13 holds Photoshop/IPTC:
 * captions, names, places), APP15, COM comments, and bytes after the end-of-image marker
 * (MPF secondary images, vendor trailers).
 *
 * The Exif orientation is the one tag worth keeping, or a portrait photo shows sideways: when it
 * is not 1 it is written back as a minimal Exif segment holding that single tag.
 */

export type StrippedImage = { bytes: Uint8Array; removed: string[] };

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

export function stripJpegMetadata(input: Uint8Array): StrippedImage {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const malformed = (reason: string) => new EvidenceMalformedError({ mediaType: "image/jpeg", reason });
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) throw malformed("no start-of-image marker");

  const kept: Uint8Array[] = [bytes.subarray(0, 2)];
  const removed = new Set<string>();
  let orientation: number | undefined;
  let orientationSlot: number | undefined; // index in `kept` where the dropped Exif segment was
  let pos = 2;

  for (;;) {
    if (pos >= bytes.length) throw malformed("the file ends before the end-of-image marker");
    if (bytes[pos] !== 0xff) throw malformed(`expected a marker at byte ${pos}`);
    while (bytes[pos] === 0xff) pos++; // fill bytes before a marker
    if (pos >= bytes.length) throw malformed("the file ends inside a marker");
    const marker = bytes[pos]!;
    pos++;

    if (marker === EOI) {
      kept.push(Buffer.from([0xff, EOI]));
      if (pos < bytes.length) removed.add("data after the end of the image");
      break;
    }
    if (marker === SOI) throw malformed(`a second start-of-image marker at byte ${pos - 2}`);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      kept.push(Buffer.from([0xff, marker])); // standalone markers have no length
      continue;
    }

    if (pos + 2 > bytes.length) throw malformed("the file ends inside a segment header");
    const length = bytes.readUInt16BE(pos);
    if (length < 2 || pos + length > bytes.length) throw malformed(`segment 0x${marker.toString(16)} at byte ${pos - 2} runs past the end of the file`);
    const segment = bytes.subarray(pos - 2, pos + length);
    const payload = bytes.subarray(pos + 2, pos + length);
    pos += length;

    const dropped = classifyDropped(marker, payload);
    if (dropped) {
      removed.add(dropped);
      if (marker === APP1 && startsWith(payload, "Exif\0\0")) {
        orientation ??= readExifOrientation(payload.subarray(6));
        orientationSlot ??= kept.length;
      }
    } else {
      kept.push(segment);
    }

    if (marker === SOS) {
      // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
      const end = findScanEnd(bytes, pos);
      if (end === -1) throw malformed("the image data has no end-of-image marker");
      kept.push(bytes.subarray(pos, end));
      pos = end;
    }
  }

  if (orientation !== undefined && orientation !== 1 && orientationSlot !== undefined) {
    kept.splice(orientationSlot, 0, orientationSegment(orientation));
  }
  return { bytes: Buffer.concat(kept), removed: [...removed] };
}

/** Why a segment is dropped, or undefined to keep it. */
function classifyDropped(marker: number, payload: Uint8Array): string | undefined {
  if (marker === APP0) return startsWith(payload, "JFIF\0") || startsWith(payload, "JFXX\0") ? undefined : "APP0 vendor data";
  if (marker === APP1) {
    if (startsWith(payload, "Exif\0")) return "Exif (location, device, time)";
    if (startsWith(payload, "http://ns.adobe.com/xap/1.0/") || startsWith(payload, "http://ns.adobe.com/xmp/extension/")) return "XMP";
    return "APP1 vendor data";
  }
  if (marker === APP2) {
    if (startsWith(payload, "ICC_PROFILE\0")) return undefined;
    return startsWith(payload, "MPF\0") ? "MPF (embedded extra images)" : "APP2 vendor data";
  }
  if (marker === APP14) return startsWith(payload, "Adobe") ? undefined : "APP14 vendor data";
  if (marker === 0xed) return "Photoshop/IPTC (APP13)";
  if (marker > APP0 && marker <= 0xef) return `APP${marker - APP0} vendor data`;
  if (marker === COM) return "comment";
  return undefined;
}

function findScanEnd(bytes: Buffer, from: number): number {
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at); // memchr: fast over megabytes of image data
    if (at === -1 || at + 1 >= bytes.length) return -1;
    const next = bytes[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      at += 1;
      continue;
    }
    return at;
  }
}

/** Orientation (tag 0x0112) from IFD0 of a TIFF structure, if present and sane. */
function readExifOrientation(tiff: Uint8Array): number | undefined {
  const view = Buffer.from(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (view.length < 8) return undefined;
  const little = view[0] === 0x49 && view[1] === 0x49;
  const big = view[0] === 0x4d && view[1] === 0x4d;
  if (!little && !big) return undefined;
  const u16 = (at: number) => (little ? view.readUInt16LE(at) : view.readUInt16BE(at));
  const u32 = (at: number) => (little ? view.readUInt32LE(at) : view.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > view.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.length) return undefined;
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** APP1 "Exif" with a big-endian TIFF header and one IFD0 entry: Orientation. */
function orientationSegment(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18); // value, left-justified in the 4-byte field
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, APP1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}
