import { EvidenceMalformedError } from "./errors";
import type { StrippedImage } from "./jpegMetadata";

/**
 * Removes metadata chunks from a PNG, leaving the image untouched.
 *
 * Critical chunks (IHDR, PLTE, IDAT, IEND) are always kept, and so are the ancillary chunks that
 * change how pixels render (transparency, gamma, colour space, animation). Every other ancillary
 * chunk is dropped: eXIf (the same Exif as a JPEG's: GPS, device), tEXt/zTXt/iTXt (XMP, author,
 * comments, software), tIME, C2PA manifests and vendor chunks. Bytes after IEND are dropped too.
 */
const RENDERING_CHUNKS = new Set([
  "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "pHYs", "bKGD", "hIST", "sPLT",
  "cICP", "mDCV", "cLLI", "acTL", "fcTL", "fdAT",
]);

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function stripPngMetadata(input: Uint8Array): StrippedImage {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const malformed = (reason: string) => new EvidenceMalformedError({ mediaType: "image/png", reason });
  if (bytes.length < SIGNATURE.length || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw malformed("no PNG signature");

  const kept: Uint8Array[] = [bytes.subarray(0, SIGNATURE.length)];
  const removed = new Set<string>();
  let pos = SIGNATURE.length;
  for (;;) {
    if (pos + 12 > bytes.length) throw malformed("the file ends before the IEND chunk");
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString("latin1", pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw malformed(`invalid chunk type at byte ${pos + 4}`);
    const end = pos + 12 + length; // length, type, data, CRC
    if (end > bytes.length) throw malformed(`chunk ${type} runs past the end of the file`);
    const critical = (type.charCodeAt(0) & 0x20) === 0;
    if (critical || RENDERING_CHUNKS.has(type)) kept.push(bytes.subarray(pos, end));
    else removed.add(describe(type));
    pos = end;
    if (type === "IEND") break;
  }
  if (pos < bytes.length) removed.add("data after the end of the image");
  return { bytes: Buffer.concat(kept), removed: [...removed] };
}

function describe(type: string): string {
  if (type === "eXIf") return "Exif (location, device, time)";
  if (type === "tEXt" || type === "zTXt" || type === "iTXt") return "text chunks (XMP, author, comments)";
  if (type === "tIME") return "modification time";
  return `${type} chunk`;
}
