export { openKeystore, Keystore } from "./keystore";
export type { OpenKeystoreParameters, OpenKeystoreReturnType, CustodialAccount, KeystoreLogger, RecordSealer, RecordResealer } from "./keystore";
export { CustodialSigner } from "./custodialSigner";
export { DEFAULT_SCRYPT } from "./keyEncryptionKey";
export type { ScryptParameters } from "./keyEncryptionKey";
export {
  KeystoreError,
  KeystoreKeyMismatchError,
  KeystoreCorruptKeyError,
  KeystoreKeyFileError,
  KeystoreUnknownAccountError,
} from "./errors";
