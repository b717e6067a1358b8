import { BaseError } from "../errors/base";

/** Input a payment, a payout run or a declaration may not have (HTTP 400/422; `code` names which). */
export class PaymentInputError extends BaseError {
  override name = "PaymentInputError";
  constructor(
    readonly code: string,
    message: string,
    readonly problemDetails: unknown = null,
  ) {
    super(message);
  }
}

/** No such payment or run for this member; also what another member is told (HTTP 404). */
export class PaymentNotFoundError extends BaseError {
  override name = "PaymentNotFoundError";
}

/** A payment already in another payout run (HTTP 409). */
export class PaymentInRunError extends BaseError {
  override name = "PaymentInRunError";
  constructor(
    message: string,
    readonly problemDetails: unknown = null,
  ) {
    super(message);
  }
}

export type PaymentErrorType = PaymentInputError | PaymentNotFoundError | PaymentInRunError;
