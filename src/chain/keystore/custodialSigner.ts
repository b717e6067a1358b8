import { AbstractSigner, type BytesLike, type Provider, type Signature, type TransactionRequest, type TypedDataDomain, type TypedDataField, type Wallet } from "ethers";
import { inspect } from "node:util";

/**
 * A member account's signer. The decrypted key lives only in a private field of the wrapped
 * wallet: there is no `privateKey` property, and JSON, `util.inspect` and string conversion show
 * the address alone.
 */
export class CustodialSigner extends AbstractSigner {
  readonly address: string;
  readonly #wallet: Wallet;

  constructor(wallet: Wallet, provider: Provider | null = null) {
    super(provider);
    this.#wallet = provider === wallet.provider ? wallet : wallet.connect(provider);
    this.address = wallet.address;
  }

  override async getAddress(): Promise<string> {
    return this.address;
  }

  override connect(provider: Provider | null): CustodialSigner {
    return new CustodialSigner(this.#wallet, provider);
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.#wallet.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.#wallet.signMessage(message);
  }

  override signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.#wallet.signTypedData(domain, types, value);
  }

  /**
   * Signs a 32-byte digest the caller computed: the relay hashes EIP-712 requests and transactions
   * itself (with the domain separator computed once), which is several times faster than
   * `signTypedData`. The key stays inside; only the signature comes out.
   */
  signDigest(digest: BytesLike): Signature {
    return this.#wallet.signingKey.sign(digest);
  }

  toJSON(): { type: "CustodialSigner"; address: string } {
    return { type: "CustodialSigner", address: this.address };
  }

  override toString(): string {
    return `CustodialSigner(${this.address})`;
  }

  [inspect.custom](): string {
    return `CustodialSigner { address: '${this.address}' }`;
  }
}
