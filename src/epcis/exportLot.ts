import type { Database } from "../db";
import { getEpcisLotRecords, readModelSnapshot } from "../indexer/queries";
import { epcisDocument, type EpcisDocument } from "./document";
import { lotUri, type IdentifierBase } from "./identifiers";
import { epcisEventsOf } from "./mapHistory";

export type ExportLotEpcisParameters = IdentifierBase & { db: Database; lotId: bigint; now?: Date | undefined };

/**
 * A lot's whole history (the lot and every lot it was made from) as one EPCIS 2.0 document, read
 * in one snapshot of the read model. Null for an unknown lot.
 *
 * @throws {DagTooLargeError} when the ancestry is larger than one document may hold.
 * @throws {EpcisMappingError} when the read model's events are not a well-formed history.
 */
export async function exportLotEpcis({ db, lotId, publicBase, chainId, now }: ExportLotEpcisParameters): Promise<EpcisDocument | null> {
  const records = await readModelSnapshot(db, (tx) => getEpcisLotRecords(tx, lotId));
  if (!records) return null;
  const events = epcisEventsOf(records, { publicBase, chainId }).map((keyed) => keyed.event);
  return epcisDocument(events, now ?? new Date(), { "fm:lot": lotUri(publicBase, lotId.toString()), "fm:chainId": chainId.toString() });
}
