import type { CustodialSigner } from "../../chain/keystore/custodialSigner";
import type { Keystore } from "../../chain/keystore/keystore";
import { RelayAccountError } from "../errors";
import { domainSeparator, forwardRequestDigest, forwarderDomain } from "../forwardRequest";
import type { ForwardRequest, RelayRequest } from "../outbox";

/** Members' custodial accounts and their signers, from the keystore, each looked up once. */
export class CustodialAccounts {
  readonly #keystore: Keystore;
  readonly #separator: string;
  readonly #signers = new Map<string, Promise<CustodialSigner>>();
  readonly #accounts = new Map<bigint, Promise<string[]>>();

  constructor(keystore: Keystore, chainId: bigint, forwarder: string) {
    this.#keystore = keystore;
    this.#separator = domainSeparator(forwarderDomain(chainId, forwarder));
  }

  /**
   * The custodial account a request acts from: its `account`, which must be the member's, or the member's first.
   *
   * @throws {RelayAccountError} the account is not the member's, or the member has none.
   */
  async accountFor(request: RelayRequest): Promise<string> {
    let accounts = await this.#accountsOf(request.memberId);
    const wanted = (request.payload as { account?: string } | null)?.account;
    if (wanted) {
      if (!accounts.some((account) => account.toLowerCase() === wanted.toLowerCase())) {
        this.#accounts.delete(request.memberId);
        accounts = await this.#accountsOf(request.memberId);
      }
      const found = accounts.find((account) => account.toLowerCase() === wanted.toLowerCase());
      if (!found) throw new RelayAccountError(`Account ${wanted} is not a custodial account of member ${request.memberId}`);
      return found;
    }
    if (accounts.length === 0) throw new RelayAccountError(`Member ${request.memberId} has no custodial account: sign requests with its own key (POST /v1/relay)`);
    return accounts[0]!;
  }

  /** The EIP-712 signature of a ForwardRequest by its `from`, a custodial account. */
  async sign(request: ForwardRequest): Promise<string> {
    const signer = await this.#signerFor(request.from);
    return signer.signDigest(forwardRequestDigest(this.#separator, request)).serialized;
  }

  #accountsOf(memberId: bigint): Promise<string[]> {
    let accounts = this.#accounts.get(memberId);
    if (!accounts) {
      accounts = this.#keystore.listAccounts(memberId).then((list) => list.map((account) => account.address));
      accounts.catch(() => this.#accounts.delete(memberId));
      this.#accounts.set(memberId, accounts);
    }
    return accounts;
  }

  #signerFor(address: string): Promise<CustodialSigner> {
    const key = address.toLowerCase();
    let signer = this.#signers.get(key);
    if (!signer) {
      signer = this.#keystore.signer(address);
      signer.catch(() => this.#signers.delete(key));
      this.#signers.set(key, signer);
    }
    return signer;
  }
}
