import { expect } from "chai";
import { Transaction, TypedDataEncoder, Wallet, verifyTypedData } from "ethers";
import { encodeExecuteBatch, signedTransaction, unsignedTransactionHash } from "../../src/relay/batchTransaction";
import {
  FORWARD_REQUEST_TYPES,
  domainSeparator,
  forwardRequestDigest,
  forwarderDomain,
  recoverForwardRequestSigner,
} from "../../src/relay/forwardRequest";
import { contractErrorsInterface, forwarderInterface, lotRegistryInterface } from "../../src/chain/contracts";
import { decodeRevert } from "../../src/relay/contractErrors";
import { encodeLotCall, encodeMintBatch, lotCallSchemas } from "../../src/relay/lotCalls";

const TYPES = FORWARD_REQUEST_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>;

describe("relay encodings", () => {
  const wallet = Wallet.createRandom();
  const domain = forwarderDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  const request = {
    from: wallet.address,
    to: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    value: 0n,
    gas: 180_000n,
    nonce: 12n,
    deadline: 2n ** 48n - 1n,
    data: "0xa9059cbb" + "00".repeat(64),
  };

  it("hashes a ForwardRequest exactly as EIP-712 (ethers' encoder) does, and recovers its signer", async () => {
    const separator = domainSeparator(domain);
    expect(separator).to.equal(TypedDataEncoder.hashDomain(domain));
    expect(forwardRequestDigest(separator, request)).to.equal(TypedDataEncoder.hash(domain, TYPES, request));
    const signature = await wallet.signTypedData(domain, TYPES, request);
    expect(recoverForwardRequestSigner(separator, request, signature)).to.equal(wallet.address);
    expect(recoverForwardRequestSigner(separator, { ...request, nonce: 13n }, signature)).not.to.equal(wallet.address);
    const other = domainSeparator({ ...domain, chainId: 1n });
    expect(recoverForwardRequestSigner(other, request, signature)).not.to.equal(wallet.address);
    expect(verifyTypedData(domain, TYPES, request, signature)).to.equal(wallet.address);
  });

  it("writes mintBatch calldata byte for byte as the ABI coder does", () => {
    const deliveries = [
      { form: 1, grams: "42000", quality: 0, metadata: `0x${"ab".repeat(32)}`, origin: `0x${"CD".repeat(32)}` },
      { form: 21, grams: String(2n ** 64n - 1n), quality: 10_000, metadata: `0x${"01".repeat(32)}`, origin: `0x${"02".repeat(32)}` },
    ];
    const expected = lotRegistryInterface.encodeFunctionData("mintBatch", [deliveries.map((d) => ({ ...d, grams: BigInt(d.grams) }))]);
    expect(encodeMintBatch(deliveries)).to.equal(expected);
    expect(encodeLotCall("lots.mintBatch", { deliveries })).to.equal(expected);
  });

  it("validates request bodies: uints as decimal strings or integers, addresses checksummed, bounds enforced", () => {
    const parsed = lotCallSchemas["lots.offer"].parse({ lotId: 1000000001, receiver: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512" });
    expect(parsed).to.deep.equal({ lotId: "1000000001", receiver: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" });
    expect(lotCallSchemas["lots.mint"].safeParse({ form: 1, grams: "0", metadata: `0x${"00".repeat(32)}`, origin: `0x${"00".repeat(32)}` }).success).to.equal(false);
    expect(lotCallSchemas["lots.mint"].safeParse({ form: 1, grams: String(2n ** 64n), metadata: `0x${"00".repeat(32)}`, origin: `0x${"00".repeat(32)}` }).success).to.equal(false);
    expect(lotCallSchemas["lots.split"].safeParse({ lotId: "1", parts: [{ form: 1, grams: "1", metadata: `0x${"00".repeat(32)}` }] }).success).to.equal(false);
    expect(lotCallSchemas["lots.cancel"].safeParse({ lotId: "1", extra: true }).success).to.equal(false);
  });

  it("decodes the contracts' custom errors with named arguments", () => {
    const caller = Wallet.createRandom().address;
    const custodian = Wallet.createRandom().address;
    const data = contractErrorsInterface.encodeErrorResult("LotRegistryNotCustodian", [caller, 1000000007n, custodian]);
    expect(decodeRevert(data)).to.deep.equal({
      error: "LotRegistryNotCustodian",
      args: { caller, lotId: "1000000007", custodian },
      summary: `LotRegistryNotCustodian(caller=${caller}, lotId=1000000007, custodian=${custodian})`,
    });
    expect(decodeRevert(contractErrorsInterface.encodeErrorResult("ERC2771ForwarderExpiredRequest", [5n]))!.args).to.deep.equal({ deadline: "5" });
    expect(decodeRevert("0x12345678")).to.equal(null);
    expect(decodeRevert("0x")).to.equal(null);
  });
});

describe("relay transactions written by hand", () => {
  it("encodes executeBatch and signs an EIP-1559 transaction byte for byte as ethers does", () => {
    const relayer = Wallet.createRandom();
    const member = Wallet.createRandom();
    const calls = [0, 1, 31, 32, 33, 70_000].map((size, i) => ({
      forwardRequest: { from: member.address, to: relayer.address, value: BigInt(i), gas: 100_000n + BigInt(i), nonce: BigInt(i), deadline: 2n ** 40n, data: `0x${"ab".repeat(size)}` },
      signature: `0x${"11".repeat(64)}1b`,
    }));
    const data = encodeExecuteBatch(calls, relayer.address);
    const expected = forwarderInterface.encodeFunctionData("executeBatch", [calls.map((c) => ({ ...c.forwardRequest, signature: c.signature })), relayer.address]);
    expect(`0x${data.toString("hex")}`).to.equal(expected);

    const tx = { chainId: 31337n, nonce: 7n, maxPriorityFeePerGas: 1n, maxFeePerGas: 2_000_000_001n, gasLimit: 30_000_000n, to: relayer.address, value: 0n, data };
    const reference = Transaction.from({ type: 2, ...tx, nonce: 7, data: expected });
    expect(unsignedTransactionHash(tx)).to.equal(reference.unsignedHash);
    const signature = relayer.signingKey.sign(reference.unsignedHash);
    reference.signature = signature;
    expect(signedTransaction(tx, signature)).to.deep.equal({ raw: reference.serialized, hash: reference.hash });
    const zero = { ...tx, nonce: 0n, maxPriorityFeePerGas: 0n, maxFeePerGas: 0n, data: Buffer.alloc(0) };
    const zeroReference = Transaction.from({ type: 2, ...zero, nonce: 0, data: "0x" });
    expect(unsignedTransactionHash(zero)).to.equal(zeroReference.unsignedHash);
  });
});
