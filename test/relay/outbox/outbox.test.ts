import { expect } from "chai";
import { Wallet } from "ethers";
import type { Database } from "../../../src/db/database";
import { openPostgres } from "../../../src/db/postgres";
import { RelayIdempotencyConflictError, RelayInvalidRequestError, RelayLockLostError } from "../../../src/relay/errors";
import { FORWARD_REQUEST_TYPES } from "../../../src/relay/forwardRequest";
import {
  OUTBOX_CHANNEL,
  claimRelayRequests,
  enqueueRelayRequest,
  expireExhaustedRelayRequests,
  failRelayRequests,
  findSubmittedRelayRequests,
  getRelayRequest,
  getRelayRequestByIdempotencyKey,
  enqueueRelayRequests,
  hasLiveCall,
  highestLiveNonce,
  markHeldRelayRequestsMined,
  markRelayRequestsMined,
  releaseRelayRequestsOfPreviousRuns,
  unsignRelayRequests,
  recordRelayTransactions,
  releaseRelayRequests,
  requeueSubmittedRelayRequests,
  type ForwardRequest,
  type RelayRequest,
} from "../../../src/relay/outbox";
import { describeEachEngine } from "../../helpers/engines";
import { failOnce, interceptDatabase } from "../../helpers/interceptDatabase";
import { rejection } from "../../helpers/rejection";

const STALE = 60_000;
const member = Wallet.createRandom();
const FORWARDER = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DOMAIN = { name: "FirstmileForwarder", version: "1", chainId: 31337, verifyingContract: FORWARDER };
const txHash = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

/** Signed requests the worker holds, recorded as carried by the transaction `hash`. */
const submit = (db: Database, workerId: string, ids: readonly bigint[], hash: string) =>
  recordRelayTransactions(db, { workerId, transactions: [{ txHash: hash, calls: [], resumed: ids }] });

async function signedRequest(nonce: bigint): Promise<{ forwardRequest: ForwardRequest; signature: string }> {
  const forwardRequest: ForwardRequest = {
    from: member.address,
    to: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    value: 0n,
    gas: 250_000n,
    nonce,
    deadline: 2n ** 48n - 1n,
    data: "0xa9059cbb00ff",
  };
  return { forwardRequest, signature: await member.signTypedData(DOMAIN, FORWARD_REQUEST_TYPES, forwardRequest) };
}

describeEachEngine("outbox", (engine) => {
  let db: Database;
  let keys = 0;
  const key = () => `key-${++keys}`;
  const enqueue = (memberId = 1n, payload: unknown = { lot: keys }) => enqueueRelayRequest(db, { memberId, idempotencyKey: key(), kind: "lots.mint", payload });

  before(async () => {
    db = await engine.openMigrated();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.exec("truncate outbox, relay_calls restart identity");
  });

  describe("enqueue", () => {
    it("records a queued request with its defaults", async () => {
      const { request, created } = await enqueueRelayRequest(db, { memberId: 7n, idempotencyKey: "k1", kind: "lots.mint", payload: { grams: 1200, form: "cocoa.wet" } });
      expect(created).to.equal(true);
      expect(request).to.deep.include({
        id: 1n,
        memberId: 7n,
        idempotencyKey: "k1",
        kind: "lots.mint",
        payload: { grams: 1200, form: "cocoa.wet" },
        status: "queued",
        forwardRequest: null,
        signature: null,
        attempts: 0,
        maxAttempts: 10,
        lockedBy: null,
        txHash: null,
      });
      expect(request.runAt).to.be.instanceOf(Date);
    });

    it("returns the first request for a retried key, and refuses the key for a different request", async () => {
      const first = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: "same", kind: "lots.mint", payload: { a: 1, b: [1, 2] } });
      const retry = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: "same", kind: "lots.mint", payload: { b: [1, 2], a: 1 } });
      expect(retry.created).to.equal(false);
      expect(retry.request.id).to.equal(first.request.id);
      const conflict = await rejection(enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: "same", kind: "lots.mint", payload: { a: 2, b: [1, 2] } }));
      expect(conflict).to.be.instanceOf(RelayIdempotencyConflictError);
      expect((conflict as RelayIdempotencyConflictError).requestId).to.equal(first.request.id);
      const otherMember = await enqueueRelayRequest(db, { memberId: 2n, idempotencyKey: "same", kind: "lots.mint", payload: { a: 2 } });
      expect(otherMember.created).to.equal(true);
      expect((await db.query("select count(*)::int as n from outbox")).rows[0]).to.deep.equal({ n: 2 });
    });

    it("creates one request when the same key arrives several times at once", async () => {
      const url = engine.lastUrl();
      const pools = url ? await Promise.all([1, 2, 3].map(() => openPostgres({ url }))) : [db, db, db];
      try {
        const results = await Promise.all(
          pools.flatMap((pool) => [1, 2].map(() => enqueueRelayRequest(pool, { memberId: 3n, idempotencyKey: "burst", kind: "lots.mint", payload: { x: 1 } }))),
        );
        expect(results.filter((result) => result.created)).to.have.length(1);
        expect(new Set(results.map((result) => result.request.id)).size).to.equal(1);
      } finally {
        if (url) await Promise.all(pools.map((pool) => pool.close()));
      }
    });

    it("joins the caller's transaction: rolled back with it, and notifies only on commit", async () => {
      const notified: string[] = [];
      const stop = await db.listen(OUTBOX_CHANNEL, (payload) => notified.push(payload));
      try {
        await rejection(
          db.transaction(async (tx) => {
            await enqueueRelayRequest(tx, { memberId: 1n, idempotencyKey: "rolled-back", kind: "lots.mint", payload: {} });
            throw new Error("business write failed");
          }),
        );
        expect(await getRelayRequestByIdempotencyKey(db, { memberId: 1n, idempotencyKey: "rolled-back" })).to.equal(null);
        const committed = await db.transaction((tx) => enqueueRelayRequest(tx, { memberId: 1n, idempotencyKey: "committed", kind: "lots.mint", payload: {} }));
        const deadline = Date.now() + 2000;
        while (notified.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(notified).to.deep.equal([committed.request.id.toString()]);
      } finally {
        await stop();
      }
    });

    it("accepts a request the member signed itself, as signed", async () => {
      const signed = await signedRequest(5n);
      const { request } = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "lots.mint", payload: {}, signed });
      expect(request.status).to.equal("signed");
      expect(request.forwardRequest).to.deep.equal(signed.forwardRequest);
      expect(request.signature).to.equal(signed.signature);
    });

    it("refuses malformed input before writing", async () => {
      const signed = await signedRequest(0n);
      const bad = [
        { ...signed, signature: "0x1234" },
        { ...signed, forwardRequest: { ...signed.forwardRequest, to: "0x12" } },
        { ...signed, forwardRequest: { ...signed.forwardRequest, deadline: 2n ** 48n } },
        { ...signed, forwardRequest: { ...signed.forwardRequest, value: -1n } },
        { ...signed, forwardRequest: { ...signed.forwardRequest, data: "0x123" } },
      ];
      for (const input of bad) {
        expect(await rejection(enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: input }))).to.be.instanceOf(RelayInvalidRequestError);
      }
      expect(await rejection(enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: "", kind: "k", payload: {} }))).to.be.instanceOf(RelayInvalidRequestError);
      expect((await db.query("select count(*)::int as n from outbox")).rows[0]).to.deep.equal({ n: 0 });
    });
  });

  describe("claim", () => {
    it("claims due requests oldest first, up to the limit, locking them and counting an attempt", async () => {
      for (let i = 0; i < 5; i++) await enqueue();
      await db.query("update outbox set run_at = now() + interval '1 hour' where id = 2");
      const first = await claimRelayRequests(db, { workerId: "w1", limit: 3, staleLockMs: STALE });
      expect(first.map((r) => r.id)).to.deep.equal([1n, 3n, 4n]);
      for (const request of first) {
        expect(request).to.deep.include({ lockedBy: "w1", attempts: 1 });
        expect(request.lockedAt).to.be.instanceOf(Date);
      }
      const second = await claimRelayRequests(db, { workerId: "w2", limit: 10, staleLockMs: STALE });
      expect(second.map((r) => r.id)).to.deep.equal([5n]);
      expect(await claimRelayRequests(db, { workerId: "w3", limit: 10, staleLockMs: STALE })).to.deep.equal([]);
    });

    it("takes over a stale lock, but not a fresh one", async () => {
      await enqueue();
      await enqueue();
      await claimRelayRequests(db, { workerId: "dead", limit: 2, staleLockMs: STALE });
      await db.query("update outbox set locked_at = now() - interval '2 minutes' where id = 1");
      const taken = await claimRelayRequests(db, { workerId: "alive", limit: 10, staleLockMs: STALE });
      expect(taken.map((r) => [r.id, r.lockedBy, r.attempts])).to.deep.equal([[1n, "alive", 2]]);
    });

    it("never hands one request to two workers claiming at the same time", async () => {
      for (let i = 0; i < 40; i++) await enqueue(BigInt(1 + (i % 4)));
      const url = engine.lastUrl();
      const pools = url ? await Promise.all([1, 2, 3, 4].map(() => openPostgres({ url }))) : [db, db, db, db];
      try {
        const claims = await Promise.all(pools.map((pool, i) => claimRelayRequests(pool, { workerId: `w${i}`, limit: 15, staleLockMs: STALE })));
        const ids = claims.flat().map((r) => r.id);
        expect(ids).to.have.length(40);
        expect(new Set(ids).size).to.equal(40);
        for (const [i, claim] of claims.entries()) for (const request of claim) expect(request.lockedBy).to.equal(`w${i}`);
      } finally {
        if (url) await Promise.all(pools.map((pool) => pool.close()));
      }
    });

    it("lets go of what it locked when the rest of the claim fails", async () => {
      const call = await signedRequest(3n);
      const signed = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: call });
      // The sibling statement (the rest of a signed call) fails after the first one locked the row.
      const faulty = interceptDatabase(db, failOnce(/o\.call_id = any/, () => new Error("connection reset")));
      expect((await rejection(claimRelayRequests(faulty, { workerId: "w", limit: 5, staleLockMs: STALE }))).message).to.equal("connection reset");
      expect(await getRelayRequest(db, { memberId: 1n, id: signed.request.id })).to.deep.include({ status: "signed", lockedBy: null, attempts: 0 });
      const [again] = await claimRelayRequests(db, { workerId: "w2", limit: 5, staleLockMs: STALE });
      expect(again).to.deep.include({ id: signed.request.id, lockedBy: "w2", attempts: 1 });
    });

    it("does not claim a request that has used its attempts", async () => {
      await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, maxAttempts: 1 });
      const [claimed] = await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      await db.query("update outbox set locked_at = now() - interval '2 minutes'");
      expect(await claimRelayRequests(db, { workerId: "w2", limit: 1, staleLockMs: STALE })).to.deep.equal([]);
      const expired = await expireExhaustedRelayRequests(db, { staleLockMs: STALE });
      expect(expired.map((r) => [r.id, r.status, r.lockedBy, r.error?.name])).to.deep.equal([[claimed!.id, "failed", null, "RelayAttemptsExhausted"]]);
      expect(expired[0]!.finishedAt).to.be.instanceOf(Date);
    });
  });

  describe("sign, submit, mine", () => {
    it("walks a request through submitted and mined, only under the lock", async () => {
      const { request } = await enqueue(1n, { grams: 500 });
      const [claimed] = await claimRelayRequests(db, { workerId: "w1", limit: 1, staleLockMs: STALE });
      const { forwardRequest, signature } = await signedRequest(0n);
      const call = { forwardRequest, signature, custodial: true, requests: [{ id: claimed!.id }] };

      const hash = txHash(0xabc).toUpperCase().replace("0X", "0x");
      const intruder = await rejection(recordRelayTransactions(db, { workerId: "intruder", transactions: [{ txHash: hash, calls: [call], resumed: [] }] }));
      expect(intruder).to.be.instanceOf(RelayLockLostError);
      expect(await recordRelayTransactions(db, { workerId: "w1", transactions: [{ txHash: hash, calls: [call], resumed: [] }] })).to.equal(1);
      const submitted = await getRelayRequest(db, { memberId: 1n, id: request.id });
      expect(submitted).to.deep.include({ status: "submitted", txHash: txHash(0xabc), lockedBy: null, lockedAt: null, signature, custodial: true });
      expect(submitted!.forwardRequest).to.deep.equal(forwardRequest);
      expect(submitted!.submittedAt).to.be.instanceOf(Date);
      // Released: nobody records it again.
      expect(await rejection(submit(db, "w1", [request.id], txHash(0xabd)))).to.be.instanceOf(RelayLockLostError);

      const [mined] = await markRelayRequestsMined(db, { txHash: txHash(0xabc), blockNumber: 42n, results: [{ id: request.id, outputs: { lotIds: ["17"] } }] });
      expect(mined).to.deep.include({ status: "mined", blockNumber: 42n, outputs: { lotIds: ["17"] }, error: null });
      expect(mined!.finishedAt).to.be.instanceOf(Date);
      // Recording the same receipt again changes nothing.
      expect(await markRelayRequestsMined(db, { txHash: txHash(0xabc), blockNumber: 43n, results: [{ id: request.id, outputs: {} }] })).to.deep.equal([]);
      expect((await getRelayRequest(db, { memberId: 1n, id: request.id }))!.blockNumber).to.equal(42n);
    });

    it("submits a batch all or none", async () => {
      const signedA = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(0n) });
      const signedB = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(1n) });
      await claimRelayRequests(db, { workerId: "w1", limit: 1, staleLockMs: STALE });
      await claimRelayRequests(db, { workerId: "w2", limit: 1, staleLockMs: STALE });
      const error = await rejection(submit(db, "w1", [signedA.request.id, signedB.request.id], txHash(1)));
      expect(error).to.be.instanceOf(RelayLockLostError);
      expect((error as RelayLockLostError).requestIds).to.deep.equal([signedB.request.id]);
      const { rows } = await db.query<{ status: string }>("select status from outbox order by id");
      expect(rows.map((row) => row.status)).to.deep.equal(["signed", "signed"]);
    });

    it("records a request that reverted inside a mined batch as failed, with its revert", async () => {
      const a = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(0n) });
      const b = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(1n) });
      await claimRelayRequests(db, { workerId: "w", limit: 2, staleLockMs: STALE });
      await submit(db, "w", [a.request.id, b.request.id], txHash(2));
      const revert = { name: "ContractRevert", message: "not the custodian", revert: { error: "LotRegistryNotCustodian", args: ["0x01", "3", "0x02"] } };
      const results = await markRelayRequestsMined(db, { txHash: txHash(2), blockNumber: 9n, results: [{ id: a.request.id, outputs: { ok: true } }, { id: b.request.id, error: revert }] });
      expect(results.map((r) => [r.status, r.outputs, r.error])).to.deep.equal([
        ["mined", { ok: true }, null],
        ["failed", null, revert],
      ]);
    });
  });

  describe("failure and retry", () => {
    it("retries a retryable failure after exp(attempts) seconds, keeping the error and the status", async () => {
      const { request } = await enqueue();
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      const before = Date.now();
      const [failed] = await failRelayRequests(db, { workerId: "w", failures: [{ id: request.id, retryable: true, error: { name: "RpcTimeout", message: "node did not answer" } }] });
      expect(failed).to.deep.include({ status: "queued", lockedBy: null, attempts: 1, finishedAt: null, error: { name: "RpcTimeout", message: "node did not answer" } });
      const delay = failed!.runAt.getTime() - before;
      expect(delay).to.be.within(Math.exp(1) * 1000 - 1500, Math.exp(1) * 1000 + 1500);
      expect(await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE })).to.deep.equal([]);

      // Second attempt: e^2 seconds after the later of now and the previous run_at.
      await db.query("update outbox set run_at = now() - interval '1 second'");
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      const [again] = await failRelayRequests(db, { workerId: "w", failures: [{ id: request.id, retryable: true, error: { name: "RpcTimeout", message: "again" } }] });
      expect(again!.attempts).to.equal(2);
      expect(again!.runAt.getTime() - Date.now()).to.be.within(Math.exp(2) * 1000 - 1500, Math.exp(2) * 1000 + 1500);
    });

    it("fails for good on a non-retryable error, or when the attempts are used up", async () => {
      const permanent = await enqueue();
      const lastTry = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, maxAttempts: 1 });
      await claimRelayRequests(db, { workerId: "w", limit: 2, staleLockMs: STALE });
      const failed = await failRelayRequests(db, {
        workerId: "w",
        failures: [
          { id: permanent.request.id, retryable: false, error: { name: "MembershipUnauthorized", message: "no role" } },
          { id: lastTry.request.id, retryable: true, error: { name: "RpcTimeout", message: "timeout" } },
        ],
      });
      expect(failed.map((r) => [r.status, r.error?.name, r.lockedBy])).to.deep.equal([
        ["failed", "MembershipUnauthorized", null],
        ["failed", "RpcTimeout", null],
      ]);
      for (const request of failed) expect(request.finishedAt).to.be.instanceOf(Date);
    });

    it("lets only the lock holder fail a request", async () => {
      const { request } = await enqueue();
      await claimRelayRequests(db, { workerId: "holder", limit: 1, staleLockMs: STALE });
      expect(await failRelayRequests(db, { workerId: "other", failures: [{ id: request.id, retryable: false, error: { name: "X", message: "x" } }] })).to.deep.equal([]);
      const row = await getRelayRequest(db, { memberId: 1n, id: request.id });
      expect(row).to.deep.include({ status: "queued", lockedBy: "holder", error: null });
    });

    it("releases held requests without counting the attempt", async () => {
      const { request } = await enqueue();
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      expect(await releaseRelayRequests(db, { ids: [request.id], workerId: "someone-else" })).to.equal(0);
      expect(await releaseRelayRequests(db, { ids: [request.id], workerId: "w" })).to.equal(1);
      expect(await getRelayRequest(db, { memberId: 1n, id: request.id })).to.deep.include({ lockedBy: null, lockedAt: null, attempts: 0 });
      expect(await claimRelayRequests(db, { workerId: "w2", limit: 1, staleLockMs: STALE })).to.have.length(1);
    });
  });

  describe("after a restart", () => {
    it("finds submitted requests without a receipt, and requeues those whose transaction was lost", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) ids.push((await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(BigInt(i)) })).request.id);
      await claimRelayRequests(db, { workerId: "before-crash", limit: 3, staleLockMs: STALE });
      await submit(db, "before-crash", [ids[0]!, ids[1]!], txHash(10));
      await submit(db, "before-crash", [ids[2]!], txHash(11));
      await markRelayRequestsMined(db, { txHash: txHash(11), blockNumber: 5n, results: [{ id: ids[2]!, outputs: null }] });

      const pending = await findSubmittedRelayRequests(db);
      expect(pending.map((r) => [r.id, r.txHash])).to.deep.equal([[ids[0], txHash(10)], [ids[1], txHash(10)]]);
      expect(await findSubmittedRelayRequests(db, { submittedBefore: new Date(Date.now() - 3_600_000) })).to.deep.equal([]);

      expect(await requeueSubmittedRelayRequests(db, { ids: [ids[0]!], txHash: txHash(99) })).to.deep.equal([]);
      const requeued = await requeueSubmittedRelayRequests(db, { ids: [ids[0]!, ids[1]!], txHash: txHash(10) });
      expect(requeued.map((r) => [r.status, r.txHash])).to.deep.equal([["signed", null], ["signed", null]]);
      const reclaimed = await claimRelayRequests(db, { workerId: "after-restart", limit: 10, staleLockMs: STALE });
      expect(reclaimed.map((r) => r.id)).to.deep.equal([ids[0], ids[1]]);
      expect(reclaimed[0]!.forwardRequest!.nonce).to.equal(0n);
    });
  });

  describe("group commit and coalesced calls", () => {
    it("enqueues many requests in one transaction: created, retried and conflicting keys each get their own answer", async () => {
      const earlier = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: "seen", kind: "lots.mint", payload: { g: 1 } });
      const results = await enqueueRelayRequests(db, [
        { memberId: 1n, idempotencyKey: "new-1", kind: "lots.mint", payload: { g: 2 } },
        { memberId: 1n, idempotencyKey: "seen", kind: "lots.mint", payload: { g: 1 } },
        { memberId: 1n, idempotencyKey: "seen", kind: "lots.mint", payload: { g: 9 } },
        { memberId: 1n, idempotencyKey: "new-2", kind: "lots.mint", payload: { g: 3 } },
        { memberId: 1n, idempotencyKey: "new-2", kind: "lots.mint", payload: { g: 3 } },
        { memberId: 1n, idempotencyKey: "", kind: "lots.mint", payload: {} },
      ]);
      const shape = results.map((result) => ("error" in result ? result.error.name : [result.created, result.request.idempotencyKey]));
      expect(shape).to.deep.equal([
        [true, "new-1"],
        [false, "seen"],
        "RelayIdempotencyConflictError",
        [true, "new-2"],
        [false, "new-2"],
        "RelayInvalidRequestError",
      ]);
      expect("request" in results[1]! && results[1].request.id).to.equal(earlier.request.id);
      expect((await db.query("select count(*)::int as n from outbox")).rows[0]).to.deep.equal({ n: 3 });
    });

    it("answers with the request as stored, claimed or not, without reading it back", async () => {
      const [queued, claimed] = await Promise.all([
        enqueueRelayRequests(db, [{ memberId: 1n, idempotencyKey: "free", kind: "lots.mint", payload: { g: 1 } }]),
        enqueueRelayRequests(db, [{ memberId: 1n, idempotencyKey: "held", kind: "lots.mint", payload: { g: 2 }, maxAttempts: 3 }], { lockFor: "w" }),
      ]);
      for (const [result] of [queued, claimed]) {
        const { request } = result as { request: RelayRequest };
        expect(request).to.deep.equal(await getRelayRequest(db, { memberId: 1n, id: request.id }));
      }
      expect((claimed[0] as { request: RelayRequest }).request).to.deep.include({ lockedBy: "w", attempts: 1, maxAttempts: 3 });
    });

    it("records several requests as one call, claims the call whole, and reports live nonces", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) ids.push((await enqueue()).request.id);
      await claimRelayRequests(db, { workerId: "w", limit: 3, staleLockMs: STALE });
      const { forwardRequest, signature } = await signedRequest(7n);
      await recordRelayTransactions(db, {
        workerId: "w",
        transactions: [{ txHash: txHash(5), calls: [{ forwardRequest, signature, custodial: true, requests: ids.map((id, i) => ({ id, offset: i * 2, items: 2 })) }], resumed: [] }],
      });
      // The transaction was lost: back to signed, each request still on its place in the call.
      const signed = await requeueSubmittedRelayRequests(db, { ids, txHash: txHash(5) });
      expect(signed.map((r) => [r.status, r.callOffset, r.callItems, r.custodial])).to.deep.equal([
        ["signed", 0, 2, true],
        ["signed", 2, 2, true],
        ["signed", 4, 2, true],
      ]);
      expect(new Set(signed.map((r) => r.callId)).size).to.equal(1);
      expect(await highestLiveNonce(db, { account: member.address })).to.equal(7n);
      expect(await hasLiveCall(db, { account: member.address, nonce: 7n })).to.equal(true);
      expect(await hasLiveCall(db, { account: member.address, nonce: 6n })).to.equal(false);

      // Claimed by a worker that then stops; its restarted successor that claims one request of the call gets all three.
      expect(await claimRelayRequests(db, { workerId: "w", limit: 3, staleLockMs: STALE })).to.have.length(3);
      expect(await releaseRelayRequestsOfPreviousRuns(db, { workerIdPrefix: "w", currentWorkerId: "w2" })).to.equal(3);
      const claimed = await claimRelayRequests(db, { workerId: "w2", limit: 1, staleLockMs: STALE });
      expect(claimed.map((r) => r.id)).to.deep.equal(ids);

      // Found executed on chain before being submitted again: recorded from that transaction.
      const mined = await markHeldRelayRequestsMined(db, { workerId: "w2", txHash: txHash(77), blockNumber: 3n, results: ids.map((id) => ({ id, outputs: { lotIds: [String(id)] } })) });
      expect(mined.map((r) => [r.status, r.txHash, r.lockedBy])).to.deep.equal(ids.map(() => ["mined", txHash(77), null]));
      expect(await highestLiveNonce(db, { account: member.address })).to.equal(null);
    });

    it("records a pass's transactions in one statement: new calls stored, their requests and resumed ones submitted and released", async () => {
      const queued: bigint[] = [];
      for (let i = 0; i < 3; i++) queued.push((await enqueue()).request.id);
      const resumed = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(5n) });
      await claimRelayRequests(db, { workerId: "w", limit: 4, staleLockMs: STALE });
      const [first, second] = [await signedRequest(6n), await signedRequest(7n)];
      const recorded = await recordRelayTransactions(db, {
        workerId: "w",
        transactions: [
          { txHash: txHash(10), calls: [{ ...first, custodial: true, requests: [{ id: queued[0]!, offset: 0, items: 2 }, { id: queued[1]!, offset: 2, items: 1 }] }], resumed: [] },
          { txHash: txHash(11), calls: [{ ...second, custodial: false, requests: [{ id: queued[2]! }] }], resumed: [resumed.request.id] },
        ],
      });
      expect(recorded).to.equal(4);
      const requests = await Promise.all([...queued, resumed.request.id].map((id) => getRelayRequest(db, { memberId: 1n, id })));
      expect(requests.map((r) => [r!.status, r!.txHash, r!.lockedBy, r!.callOffset, r!.callItems, r!.custodial, r!.forwardRequest!.nonce])).to.deep.equal([
        ["submitted", txHash(10), null, 0, 2, true, 6n],
        ["submitted", txHash(10), null, 2, 1, true, 6n],
        ["submitted", txHash(11), null, 0, 1, false, 7n],
        ["submitted", txHash(11), null, 0, 1, false, 5n],
      ]);
      expect(requests[0]!.callId).to.equal(requests[1]!.callId);
      expect(requests[2]!.signature).to.equal(second.signature);
      expect(requests[2]!.forwardRequest).to.deep.equal(second.forwardRequest);
      expect(requests[3]!.callId).to.equal(resumed.request.callId);
      expect(await highestLiveNonce(db, { account: member.address })).to.equal(7n);
      // The new calls' ids came from the identity: a call stored later gets the next one.
      const later = await enqueueRelayRequest(db, { memberId: 1n, idempotencyKey: key(), kind: "k", payload: {}, signed: await signedRequest(8n) });
      expect(later.request.callId).to.equal(requests[2]!.callId! + 1n);
    });

    it("records all or none: a request the worker does not hold, or a queued one without a call, changes nothing", async () => {
      const mine = (await enqueue()).request.id;
      const theirs = (await enqueue()).request.id;
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      await claimRelayRequests(db, { workerId: "other", limit: 1, staleLockMs: STALE });
      const call = { ...(await signedRequest(1n)), custodial: true };
      const error = await rejection(
        recordRelayTransactions(db, { workerId: "w", transactions: [{ txHash: txHash(1), calls: [{ ...call, requests: [{ id: mine }, { id: theirs }] }], resumed: [] }] }),
      );
      expect(error).to.be.instanceOf(RelayLockLostError);
      expect((error as RelayLockLostError).requestIds).to.deep.equal([theirs]);
      // Queued and listed as resumed: it has no call to be submitted with.
      const unsigned = await rejection(recordRelayTransactions(db, { workerId: "w", transactions: [{ txHash: txHash(2), calls: [], resumed: [mine] }] }));
      expect((unsigned as RelayLockLostError).requestIds).to.deep.equal([mine]);
      const { rows } = await db.query<{ status: string; locked_by: string }>("select status, locked_by from outbox order by id");
      expect(rows).to.deep.equal([
        { status: "queued", locked_by: "w" },
        { status: "queued", locked_by: "other" },
      ]);
      expect((await db.query("select count(*)::int as n from relay_calls")).rows[0]).to.deep.equal({ n: 0 });
      expect(await recordRelayTransactions(db, { workerId: "w", transactions: [] })).to.equal(0);
    });

    it("sends a signed request back to queued, its call dropped, to be signed again", async () => {
      const { request } = await enqueue();
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      const { forwardRequest, signature } = await signedRequest(1n);
      await recordRelayTransactions(db, { workerId: "w", transactions: [{ txHash: txHash(3), calls: [{ forwardRequest, signature, custodial: true, requests: [{ id: request.id }] }], resumed: [] }] });
      await requeueSubmittedRelayRequests(db, { ids: [request.id], txHash: txHash(3) });
      await claimRelayRequests(db, { workerId: "w", limit: 1, staleLockMs: STALE });
      expect(await unsignRelayRequests(db, { workerId: "other", ids: [request.id], error: { name: "X", message: "x" } })).to.deep.equal([]);
      const [unsigned] = await unsignRelayRequests(db, { workerId: "w", ids: [request.id], error: { name: "RelayCallExpired", message: "expired" } });
      expect(unsigned).to.deep.include({ status: "queued", callId: null, forwardRequest: null, lockedBy: null });
      expect(unsigned!.error!.name).to.equal("RelayCallExpired");
    });
  });

  describe("reads", () => {
    it("shows a member only its own requests", async () => {
      const { request } = await enqueue(5n);
      expect((await getRelayRequest(db, { memberId: 5n, id: request.id }))!.id).to.equal(request.id);
      expect(await getRelayRequest(db, { memberId: 6n, id: request.id })).to.equal(null);
      expect((await getRelayRequestByIdempotencyKey(db, { memberId: 5n, idempotencyKey: request.idempotencyKey }))!.id).to.equal(request.id);
      expect(await getRelayRequestByIdempotencyKey(db, { memberId: 6n, idempotencyKey: request.idempotencyKey })).to.equal(null);
    });
  });
}, { pgliteWorker: true });
