import { BaseError } from "../errors/base";

/** Input a farmer record, a consent or a private document may not have (HTTP 400/422). */
export class FarmerInputError extends BaseError {
  override name = "FarmerInputError";
}

/** A card code already printed for another farmer (HTTP 409). */
export class FarmerCodeTakenError extends BaseError {
  override name = "FarmerCodeTakenError";
}

/** No such farmer, consent or document for this member; also what another member is told (HTTP 404). */
export class FarmerNotFoundError extends BaseError {
  override name = "FarmerNotFoundError";
}

/** The member may read the record (an auditing certifier) but not change it (HTTP 403). */
export class FarmerReadOnlyError extends BaseError {
  override name = "FarmerReadOnlyError";
}

/** A consent already withdrawn (HTTP 409). */
export class ConsentWithdrawnError extends BaseError {
  override name = "ConsentWithdrawnError";
}

/** A sealed field, secret or document key that does not open under the keystore's key: tampered or moved. */
export class FarmerRecordCorruptError extends BaseError {
  override name = "FarmerRecordCorruptError";
}

export type FarmerErrorType =
  | FarmerInputError
  | FarmerCodeTakenError
  | FarmerNotFoundError
  | FarmerReadOnlyError
  | ConsentWithdrawnError
  | FarmerRecordCorruptError;
