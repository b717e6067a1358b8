import { stripJpegMetadata, type StrippedImage } from "./jpegMetadata";
import type { ImageMediaType } from "./mediaTypes";
import { stripPngMetadata } from "./pngMetadata";
import { stripWebpMetadata } from "./webpMetadata";

/**
 * Photo metadata removal before anything is stored. Evidence is public by CID: a photo's Exif GPS
 * position is often the farmer's home or plot, and the device make, model and serial number
 * identify a person. Pure: bytes in, bytes out, no decoding of the image itself.
 */
export type { StrippedImage };

/** @throws {EvidenceMalformedError} when the container structure is broken. */
export function stripImageMetadata(bytes: Uint8Array, mediaType: ImageMediaType): StrippedImage {
  switch (mediaType) {
    case "image/jpeg":
      return stripJpegMetadata(bytes);
    case "image/png":
      return stripPngMetadata(bytes);
    case "image/webp":
      return stripWebpMetadata(bytes);
  }
}
