import { NonRetryableError } from "../../errors/base";

/** Base class of the keystore's errors. None ever contains key material or the passphrase. */
export class KeystoreError extends NonRetryableError {
  override name = "KeystoreError";
}

/** The passphrase or key file given at start is not the one the keystore was created with. */
export class KeystoreKeyMismatchError extends KeystoreError {
  override name = "KeystoreKeyMismatchError";
}

/** A stored custodial key fails authentication: its ciphertext, nonce or address was altered. */
export class KeystoreCorruptKeyError extends KeystoreError {
  override name = "KeystoreCorruptKeyError";
}

/** The key file is missing, unreadable or not 32 bytes. */
export class KeystoreKeyFileError extends KeystoreError {
  override name = "KeystoreKeyFileError";
}

/** No custodial key is stored for the address. */
export class KeystoreUnknownAccountError extends KeystoreError {
  override name = "KeystoreUnknownAccountError";
  readonly address: string;
  constructor(address: string) {
    super(`No custodial key for account ${address}`);
    this.address = address;
  }
}
