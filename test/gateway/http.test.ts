import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { open } from "../../src/chain/keystore/cipher";
import { deriveFromKeyFile, readKeyFile } from "../../src/chain/keystore/keyEncryptionKey";
import { connectProvider } from "../../src/chain/provider";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { IDLE_CONNECTION_MS } from "../../src/gateway/startGateway";
import { encodeLotCall } from "../../src/relay/lotCalls";
import { ERC2771Forwarder__factory, LotRegistry__factory } from "../../typechain-types";
import { signOwnRequest } from "../relay/fixtures";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, delivery, startTestGateway, waitUntilReady, type TestGateway } from "./helpers";

/** JSON body of a self-signed request as POST /v1/relay takes it. */
function relayBody(signed: Awaited<ReturnType<typeof signOwnRequest>>) {
  const r = signed.forwardRequest;
  return {
    request: { from: r.from, to: r.to, value: r.value.toString(), gas: r.gas.toString(), nonce: r.nonce.toString(), deadline: r.deadline.toString(), data: r.data },
    signature: signed.signature,
  };
}

describe("gateway HTTP surface (real gateway: anvil, PGlite, relay worker)", function () {
  let dir: string;
  let running: TestGateway;
  let coop: Awaited<ReturnType<typeof addMemberThroughGateway>>;
  let processor: Awaited<ReturnType<typeof addMemberThroughGateway>>;
  let own: Awaited<ReturnType<typeof addMemberThroughGateway>>;
  const phone = Wallet.createRandom();
  let keys = 0;
  const key = () => ({ "idempotency-key": `http-${++keys}` });

  const network = () => {
    const { deployments, chainId } = running.gateway.chain;
    const provider = connectProvider(running.gateway.chain.url, Number(chainId));
    const forwarder = deployments.contracts.Forwarder!.address;
    const registry = deployments.contracts.LotRegistry!.address;
    return {
      provider,
      chainId,
      forwarder,
      registry,
      forwarderContract: ERC2771Forwarder__factory.connect(forwarder, provider),
      lots: LotRegistry__factory.connect(registry, provider),
    };
  };

  let otherDir: string;
  let other: TestGateway | null = null;

  before(async function () {
    dir = makeTempDir("gateway-http");
    otherDir = makeTempDir("gateway-http-other");
    // A second gateway on its own data dir and ports, started alongside: the two must not meet.
    [running, other] = await Promise.all([startTestGateway(dir), startTestGateway(otherDir)]);
    [coop, processor, own] = [
      await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" }),
      await addMemberThroughGateway(running.gateway, { roles: ["processor"], country: "MY" }),
      await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "TH", accounts: [phone.address] }),
    ];
  });
  after(async function () {
    await running?.gateway.stop();
    await other?.gateway.stop();
    removeTempDir(dir);
    removeTempDir(otherDir);
  });

  const api = (token?: string) => client(running.gateway.url, token);

  describe("health, readiness, OpenAPI", function () {
    it("answers /healthz, and /readyz with chain, SQL, IPFS, the relay backlog and the indexer", async function () {
      expect((await api().get("/healthz")).body).to.deep.equal({ status: "ok" });
      const ready = await waitUntilReady(running.gateway.url);
      expect(Object.keys(ready.body.checks).sort()).to.deep.equal(["chain", "indexer", "ipfs", "relay", "sql"]);
      expect(ready.body.checks.indexer.detail.state).to.equal("following");
      expect(ready.body.checks.relay.detail.backlog).to.have.keys(["queued", "signed", "submitted"]);
    });

    it("keeps an idle keep-alive connection past Node's 5 s default: the next request after 6 s goes over the same socket", async function () {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = () =>
        new Promise<{ status: number; keepAlive: string | undefined; socket: unknown }>((resolve, reject) => {
          const request = http.get(`${running.gateway.url}/healthz`, { agent }, (response) => {
            response.resume();
            response.on("end", () => resolve({ status: response.statusCode!, keepAlive: String(response.headers["keep-alive"]), socket: request.socket }));
          });
          request.on("error", reject);
        });
      try {
        const first = await get();
        expect(first.status).to.equal(200);
        expect(first.keepAlive).to.equal(`timeout=${IDLE_CONNECTION_MS / 1000}`);
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        const second = await get();
        expect(second.status).to.equal(200);
        expect(second.socket, "the idle connection was kept, not closed and opened again").to.equal(first.socket);
      } finally {
        agent.destroy();
      }
    });

    it("lists every write endpoint in /openapi.json, from the same schemas that validate", async function () {
      const { body } = await api().get("/openapi.json");
      for (const route of ["/v1/lots/mint", "/v1/lots/mint-batch", "/v1/lots/{lotId}/offer", "/v1/lots/{lotId}/accept", "/v1/lots/{lotId}/reject", "/v1/lots/{lotId}/cancel", "/v1/lots/{lotId}/split", "/v1/lots/merge", "/v1/lots/transform", "/v1/lots/{lotId}/evidence", "/v1/relay"]) {
        expect(body.paths[route]?.post, route).to.be.an("object");
        expect(body.paths[route].post.security).to.deep.equal([{ bearer: [] }]);
        expect(body.paths[route].post.responses["202"].content["application/json"].schema.properties).to.include.keys(["id", "status"]);
      }
      expect(body.paths["/v1/requests/{id}"].get.parameters[0]).to.include({ name: "id", in: "path" });
      expect(body.paths["/v1/lots/mint"].post.requestBody.content["application/json"].schema.required).to.include.members(["form", "grams", "metadata", "origin"]);
    });
  });

  describe("two instances", function () {
    it("run side by side on their own data dirs and ports, sharing nothing", async function () {
      const second = other!;
      expect(second.gateway.url).not.to.equal(running.gateway.url);
      expect(second.gateway.chain.url).not.to.equal(running.gateway.chain.url);
      await waitUntilReady(second.gateway.url);
      // A token of the first gateway's member means nothing to the second.
      expect((await client(second.gateway.url, coop.token).get("/v1/members/me")).status).to.equal(401);
      const there = await addMemberThroughGateway(second.gateway, { roles: ["cooperative"], country: "ID" });
      expect((await client(second.gateway.url, there.token).post("/v1/lots/mint", delivery(5), key())).status).to.equal(202);
      expect((await client(running.gateway.url, there.token).get("/v1/members/me")).status).to.equal(401);
      await second.gateway.stop();
      other = null;
      await waitUntilReady(running.gateway.url);
    });
  });

  describe("auth and validation", function () {
    it("refuses requests without a valid token, and shows a member only its own requests", async function () {
      expect((await api().post("/v1/lots/mint", delivery(1))).status).to.equal(401);
      expect((await api("fm_" + "x".repeat(43)).post("/v1/lots/mint", delivery(1))).status).to.equal(401);
      const accepted = await api(coop.token).post("/v1/lots/mint", delivery(500), key());
      expect(accepted.status).to.equal(202);
      const foreign = await api(processor.token).get(`/v1/requests/${accepted.body.id}`);
      expect(foreign.status).to.equal(404);
      expect(foreign.body.error.code).to.equal("not_found");
    });

    it("answers a request id beyond SQL bigint as no such request (404), never a failed query", async function () {
      for (const id of ["9223372036854775807", "9223372036854775808", "9999999999999999999"]) {
        const answer = await api(coop.token).get(`/v1/requests/${id}`);
        expect(answer.status, id).to.equal(404);
        expect(answer.body, id).to.deep.equal({ error: { code: "not_found", message: `no request ${id} of this member`, details: null } });
      }
      // Beyond the 19 digits of a request id: refused by the schema.
      expect((await api(coop.token).get("/v1/requests/10000000000000000000")).body.error.code).to.equal("invalid_request");
    });

    it("lets a token act only as its member: another member's account is refused", async function () {
      const answer = await api(processor.token).post("/v1/lots/mint", { ...delivery(1), account: coop.accounts[0]!.address }, key());
      expect(answer.status).to.equal(403);
      expect(answer.body.error.code).to.equal("forbidden");
    });

    it("validates bodies, params and headers with one error shape, and refuses large bodies", async function () {
      const bad = await api(coop.token).post("/v1/lots/mint", { form: 0, grams: "-1", metadata: "0x12", origin: `0x${"00".repeat(32)}`, extra: 1 }, key());
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal("invalid_request");
      expect(bad.body.error.details.map((d: { path: string }) => d.path)).to.include.members(["form", "grams", "metadata"]);
      expect((await api(coop.token).post("/v1/lots/abc/offer", { receiver: processor.accounts[0]!.address }, key())).status).to.equal(400);
      expect((await api(coop.token).post("/v1/lots/mint", delivery(1), { "idempotency-key": "bad key with spaces" })).body.error.code).to.equal("invalid_idempotency_key");
      const huge = await api(coop.token).post("/v1/lots/mint-batch", { deliveries: Array.from({ length: 3000 }, () => delivery(1)) }, key());
      expect(huge.status).to.equal(413);
      expect(huge.body.error.code).to.equal("payload_too_large");
      expect((await api(coop.token).post("/v1/lots/mint", "{not json", key())).body.error.code).to.equal("invalid_json");
    });

    it("refuses a quality above 100 % and an ingredient the chain cannot hold, naming the field", async function () {
      const wet = await api(coop.token).post("/v1/lots/mint", { ...delivery(1), quality: 10_001 }, key());
      expect(wet.status).to.equal(400);
      expect(wet.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(["quality"]);
      const accept = await api(coop.token).post("/v1/lots/1/accept", { gramsReceived: "1", quality: 99.5 }, key());
      expect(accept.status).to.equal(400);
      expect(accept.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(["quality"]);
      const output = { form: 7, grams: "1000", metadata: `0x${"00".repeat(32)}` };
      const tooLong = await api(coop.token).post("/v1/lots/transform", { inputIds: ["1"], outputs: [output], ingredients: [{ outputForm: 7, grams: "300", name: "a sugar whose name is longer than 32 bytes" }] }, key());
      expect(tooLong.status).to.equal(400);
      expect(tooLong.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(["ingredients.0.name"]);
      expect(tooLong.body.error.message + JSON.stringify(tooLong.body.error.details)).to.include("32 bytes");
    });
  });

  describe("write endpoints: 202 and a request id, then queued -> mined with outputs", function () {
    it("mints, and GET /v1/requests/:id goes from queued to mined with the new lot id", async function () {
      const { lots } = network();
      const account = coop.accounts[0]!.address;
      const accepted = await api(coop.token).post("/v1/lots/mint", delivery(42_000), key());
      expect(accepted.status).to.equal(202);
      expect(accepted.headers.get("location")).to.equal(`/v1/requests/${accepted.body.id}`);
      expect(accepted.body).to.deep.include({ kind: "lots.mint", status: "queued", transaction: null, outputs: null, error: null });
      const { final, seen } = await api(coop.token).settle(accepted.body.id);
      expect(seen[0]).to.be.oneOf(["queued", "signed", "submitted"]);
      expect(seen[seen.length - 1]).to.equal("mined");
      const order = ["queued", "signed", "submitted", "mined"];
      expect(seen.map((status) => order.indexOf(status))).to.deep.equal([...seen.map((status) => order.indexOf(status))].sort());
      const [lotId] = final.outputs.lotIds;
      expect(final.call).to.deep.include({ from: account, custodial: true });
      expect(final.transaction.hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(await lots.ownerOf(lotId)).to.equal(account);
      expect(final.outputs.events.map((e: { name: string }) => e.name)).to.deep.equal(["Transfer", "LotMinted"]);
    });

    it("runs a lot's handover through offer and accept by two members, and reports a refusal as failed with the decoded error", async function () {
      const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint", delivery(10_000), key())).body.id);
      const lotId = minted.final.outputs.lotIds[0];
      const receiver = processor.accounts[0]!.address;
      const offered = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/offer`, { receiver }, key())).body.id);
      expect(offered.final.status).to.equal("mined");
      expect(offered.final.outputs.events[0]).to.deep.include({ name: "HandoverOffered" });
      // The cooperative cannot accept its own offer: refused by simulation, never submitted.
      const refused = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/accept`, { gramsReceived: "10000" }, key())).body.id);
      expect(refused.final.status).to.equal("failed");
      expect(refused.final.transaction).to.equal(null);
      expect(refused.final.error.name).to.equal("LotRegistryNotReceiver");
      expect(refused.final.error.args).to.deep.equal({ caller: coop.accounts[0]!.address, lotId, receiver });
      const accepted = await api(processor.token).settle((await api(processor.token).post(`/v1/lots/${lotId}/accept`, { gramsReceived: "9950" }, key())).body.id);
      expect(accepted.final.status).to.equal("mined");
      expect(await network().lots.ownerOf(lotId)).to.equal(receiver);
    });

    it("refuses an offer to a suspended member with 409 receiver_suspended naming the member, before anything is enqueued", async function () {
      const dormant = await addMemberThroughGateway(running.gateway, { roles: ["processor"], country: "VN" });
      const suspended = await sendControlCommand(running.gateway.controlSocket!, "POST", `/members/${dormant.memberId}/suspend`);
      expect(suspended?.status, JSON.stringify(suspended?.body)).to.equal(200);
      const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint", delivery(12_000), key())).body.id);
      const lotId = minted.final.outputs.lotIds[0];
      const rows = async () => (await running.gateway.db.query<{ n: number }>("select count(*)::int as n from outbox")).rows[0]!.n;
      const before = await rows();
      const receiver = dormant.accounts[0]!.address;
      const refused = await api(coop.token).post(`/v1/lots/${lotId}/offer`, { receiver }, key());
      expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
      expect(refused.body.error.code).to.equal("receiver_suspended");
      expect(refused.body.error.message).to.include(`member ${dormant.memberId}`).and.include("suspended");
      expect(refused.body.error.details).to.deep.equal({ receiver, memberId: dormant.memberId, suspended: "member" });
      expect(await rows(), "nothing enqueued").to.equal(before);
    });

    it("attaches evidence to a lot through POST /v1/lots/:lotId/evidence: mined, folded into the lot's head", async function () {
      const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint", delivery(7_000), key())).body.id);
      const lotId = minted.final.outputs.lotIds[0];
      const headBefore = await network().lots.historyHead(lotId);
      const evidence = `0x${"5e".repeat(32)}`;
      const attached = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/evidence`, { evidence }, key())).body.id);
      expect(attached.final.status, JSON.stringify(attached.final.error)).to.equal("mined");
      expect(attached.final.kind).to.equal("lots.attachEvidence");
      expect(attached.final.outputs.events[0]).to.deep.include({ name: "EvidenceAttached" });
      expect(await network().lots.historyHead(lotId)).to.not.equal(headBefore);
      // Only the lot's custodian may: another member's request fails with the contract's error.
      const foreign = await api(processor.token).settle((await api(processor.token).post(`/v1/lots/${lotId}/evidence`, { evidence }, key())).body.id);
      expect(foreign.final.status).to.equal("failed");
      expect(foreign.final.error.name).to.equal("LotRegistryNotCustodian");
      const unknownKey = await api(coop.token).post(`/v1/lots/${lotId}/evidence`, { evidence, note: "x" }, key());
      expect(unknownKey.status).to.equal(400);
    });

    describe("when the receiver rejects or the custodian cancels an offer", function () {
      /** Mints a lot for the cooperative and offers it to the processor; the lot id and the offer's request. */
      async function offeredLot(grams: number) {
        const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint", delivery(grams), key())).body.id);
        expect(minted.final.status).to.equal("mined");
        const lotId: string = minted.final.outputs.lotIds[0];
        const offer = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/offer`, { receiver: processor.accounts[0]!.address }, key())).body.id);
        expect(offer.final.status).to.equal("mined");
        await running.gateway.indexer.waitForBlock(Number(offer.final.transaction.blockNumber));
        const inTransit = await api(processor.token).get(`/v1/lots/${lotId}`);
        expect(inTransit.body).to.deep.include({ status: "in_transit", pendingReceiver: { account: processor.accounts[0]!.address.toLowerCase(), memberId: processor.memberId } });
        return lotId;
      }

      /** The lot as the read model shows it once it has indexed `blockNumber`. */
      async function lotAfter(lotId: string, blockNumber: string) {
        await running.gateway.indexer.waitForBlock(Number(blockNumber));
        const lot = await api(processor.token).get(`/v1/lots/${lotId}`);
        expect(lot.status).to.equal(200);
        return lot.body;
      }

      it("the processor rejects with a reason: mined, and the lot is back with the cooperative, active", async function () {
        const lotId = await offeredLot(8_000);
        const accepted = await api(processor.token).post(`/v1/lots/${lotId}/reject`, { reason: 3 }, key());
        expect(accepted.status).to.equal(202);
        expect(accepted.body).to.deep.include({ kind: "lots.reject", status: "queued" });
        const rejected = await api(processor.token).settle(accepted.body.id);
        expect(rejected.final.status).to.equal("mined");
        expect(rejected.final.call).to.deep.include({ from: processor.accounts[0]!.address, custodial: true });
        const event = rejected.final.outputs.events.find((e: { name: string }) => e.name === "HandoverRejected");
        expect(event.args).to.deep.include({ lotId, custodian: coop.accounts[0]!.address, receiver: processor.accounts[0]!.address });
        expect(Number(event.args.reason)).to.equal(3);

        const lot = await lotAfter(lotId, rejected.final.transaction.blockNumber);
        expect(lot).to.deep.include({ lotId, status: "active", grams: "8000", pendingReceiver: null });
        expect(lot.custodian).to.deep.equal({ account: coop.accounts[0]!.address.toLowerCase(), memberId: coop.memberId });
        expect(await network().lots.ownerOf(lotId)).to.equal(coop.accounts[0]!.address);
      });

      it("the cooperative cancels its offer: mined, and the lot is active with the cooperative", async function () {
        const lotId = await offeredLot(9_000);
        const cancelled = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/cancel`, {}, key())).body.id);
        expect(cancelled.final.status).to.equal("mined");
        expect(cancelled.final.kind).to.equal("lots.cancel");
        expect(cancelled.final.outputs.events.map((e: { name: string }) => e.name)).to.include("HandoverCancelled");

        const lot = await lotAfter(lotId, cancelled.final.transaction.blockNumber);
        expect(lot).to.deep.include({ lotId, status: "active", grams: "9000", pendingReceiver: null });
        expect(lot.custodian).to.deep.equal({ account: coop.accounts[0]!.address.toLowerCase(), memberId: coop.memberId });
        // The processor can no longer accept it.
        const late = await api(processor.token).settle((await api(processor.token).post(`/v1/lots/${lotId}/accept`, { gramsReceived: "9000" }, key())).body.id);
        expect(late.final.status).to.equal("failed");
        expect(late.final.error.name).to.equal("LotRegistryWrongStatus");
      });
    });

    it("splits and merges, with the outputs' lot ids", async function () {
      const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint-batch", { deliveries: [delivery(6_000), delivery(4_000)] }, key())).body.id);
      const [a, b] = minted.final.outputs.lotIds;
      const split = await api(coop.token).settle(
        (await api(coop.token).post(`/v1/lots/${a}/split`, { parts: [{ form: 1, grams: "2500", metadata: `0x${"01".repeat(32)}` }, { form: 1, grams: "3500", metadata: `0x${"02".repeat(32)}` }] }, key())).body.id,
      );
      expect(split.final.status).to.equal("mined");
      expect(split.final.outputs.lotIds).to.have.length(2);
      const merged = await api(coop.token).settle((await api(coop.token).post("/v1/lots/merge", { lotIds: [split.final.outputs.lotIds[0], b], metadata: `0x${"03".repeat(32)}` }, key())).body.id);
      expect(merged.final.status).to.equal("mined");
      expect((await network().lots.getLot(merged.final.outputs.lotIds[0])).lot.grams).to.equal(6_500n);
    });
  });

  describe("Idempotency-Key", function () {
    it("returns the first answer for a retried key and never a second transaction; refuses the key for another body; another member's same key is its own request", async function () {
      const headers = { "idempotency-key": "retry-me" };
      const first = await api(coop.token).post("/v1/lots/mint", delivery(777), headers);
      const again = await api(coop.token).post("/v1/lots/mint", delivery(777), headers);
      expect(again.status).to.equal(202);
      expect(again.body.id).to.equal(first.body.id);
      expect(again.headers.get("idempotent-replayed")).to.equal("true");
      const settled = await api(coop.token).settle(first.body.id);
      const third = await api(coop.token).post("/v1/lots/mint", delivery(777), headers);
      expect(third.body).to.deep.include({ id: first.body.id, status: "mined" });
      const conflict = await api(coop.token).post("/v1/lots/mint", delivery(778), headers);
      expect(conflict.status).to.equal(409);
      expect(conflict.body.error).to.deep.include({ code: "idempotency_key_reused", details: { requestId: first.body.id } });
      expect(settled.final.outputs.lotIds).to.have.length(1);

      // The same key from another member, with a valid body, is that member's own new request.
      const neighbour = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
      const theirs = await api(neighbour.token).post("/v1/lots/mint", delivery(777), headers);
      expect(theirs.status).to.equal(202);
      expect(theirs.headers.get("idempotent-replayed")).to.equal(null);
      expect(theirs.body.id).not.to.equal(first.body.id);
      const minted = await api(neighbour.token).settle(theirs.body.id);
      expect(minted.final.status).to.equal("mined");
      const [theirLot] = minted.final.outputs.lotIds;
      expect(theirLot).not.to.equal(settled.final.outputs.lotIds[0]);
      expect(await network().lots.ownerOf(theirLot)).to.equal(neighbour.accounts[0]!.address);
      // Each member's replay still answers its own first request.
      const mine = await api(coop.token).post("/v1/lots/mint", delivery(777), headers);
      expect(mine.body).to.deep.include({ id: first.body.id, status: "mined", outputs: settled.final.outputs });
      expect(mine.headers.get("idempotent-replayed")).to.equal("true");
      expect((await api(neighbour.token).post("/v1/lots/mint", delivery(777), headers)).body.id).to.equal(theirs.body.id);
    });
  });

  describe("read model and evidence, mounted in the running gateway", function () {
    it("indexes relayed writes: the lot, its history and its ancestry answer from SQL", async function () {
      const minted = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint-batch", { deliveries: [delivery(3_000), delivery(2_000)] }, key())).body.id);
      const [a, b] = minted.final.outputs.lotIds;
      const merged = await api(coop.token).settle((await api(coop.token).post("/v1/lots/merge", { lotIds: [a, b], metadata: `0x${"04".repeat(32)}` }, key())).body.id);
      expect(merged.final.status).to.equal("mined");
      const [lotId] = merged.final.outputs.lotIds;
      await running.gateway.indexer.waitForBlock(Number(merged.final.transaction.blockNumber));

      const lot = await api(processor.token).get(`/v1/lots/${lotId}`);
      expect(lot.status).to.equal(200);
      expect(lot.body).to.deep.include({ lotId, grams: "5000", status: "active", genesis: "merged" });
      expect(lot.body.custodian).to.deep.equal({ account: coop.accounts[0]!.address.toLowerCase(), memberId: coop.memberId });
      // The indexed head is the contract's.
      expect(lot.body.head).to.equal(await network().lots.historyHead(lotId));
      const ancestry = await api(processor.token).get(`/v1/lots/${lotId}/ancestry`);
      expect(ancestry.status).to.equal(200);
        expect(ancestry.body.items.map((n: { lot: { lotId: string } }) => n.lot.lotId).sort()).to.deep.equal([a, b].sort());
      const history = await api(processor.token).get(`/v1/lots/${a}/history`);
      expect(history.body.items.map((e: { kind: string }) => e.kind)).to.have.length(2);
      expect(history.body.items[0].kind).to.equal("minted");
      expect(history.body.items[1].kind).to.match(/merge/);
      expect(history.body.items[0].txHash).to.equal(minted.final.transaction.hash);

      expect((await api(processor.token).get("/v1/lots/999999999999")).status).to.equal(404);
      expect((await api(processor.token).get("/v1/lots/not-a-lot")).status).to.equal(400);
      expect((await api().get(`/v1/lots/${lotId}`)).status).to.equal(401);
    });

    it("stores evidence through POST /v1/evidence and answers the verified bytes", async function () {
      const weighTicket = Buffer.from("date,kg,form\n2026-11-23,42.0,wet beans\n");
      const stored = await fetch(`${running.gateway.url}/v1/evidence?type=text/csv`, {
        method: "POST",
        headers: { authorization: `Bearer ${coop.token}`, "content-type": "application/octet-stream" },
        body: weighTicket,
      });
      expect(stored.status).to.equal(201);
      const { cid, digest } = (await stored.json()) as { cid: string; digest: string };
      expect(digest).to.match(/^0x[0-9a-f]{64}$/);
      const got = await fetch(`${running.gateway.url}/v1/evidence/${cid}`, { headers: { authorization: `Bearer ${processor.token}` } });
      expect(got.status).to.equal(200);
      expect(got.headers.get("content-type")).to.match(/^text\/csv/);
      expect(Buffer.from(await got.arrayBuffer()).equals(weighTicket)).to.equal(true);
    });
  });

  describe("self-custody: POST /v1/relay", function () {
    it("publishes the EIP-712 domain and the account's nonce, and relays a request signed by the member's own key", async function () {
      const net = network();
      const info = await api(own.token).get(`/v1/relay/forwarder?account=${phone.address}`);
      expect(info.body.domain).to.deep.equal({ name: "firstmile", version: "1", chainId: net.chainId.toString(), verifyingContract: net.forwarder });
      expect(info.body.nonce).to.equal("0");
      const data = encodeLotCall("lots.mint", delivery(3_000));
      const signed = await signOwnRequest(net, phone, data, { nonce: BigInt(info.body.nonce) });
      const accepted = await api(own.token).post("/v1/relay", relayBody(signed), key());
      expect(accepted.status).to.equal(202);
      const { final } = await api(own.token).settle(accepted.body.id);
      expect(final.status).to.equal("mined");
      expect(final.call).to.deep.include({ from: phone.address, custodial: false, nonce: "0" });
      expect(await net.lots.ownerOf(final.outputs.lotIds[0])).to.equal(phone.address);

      // The same signed request again (a replay) is refused with the forwarder's vocabulary.
      const replay = await api(own.token).post("/v1/relay", relayBody(signed), key());
      expect(replay.status).to.equal(422);
      expect(replay.body.error.details).to.deep.equal({ error: "InvalidAccountNonce", args: { account: phone.address, currentNonce: "1" } });
      net.provider.destroy();
    });

    it("gives a second submission of the same signed (from, nonce) under another key the first request's id (409), never a second request", async function () {
      const net = network();
      const nonce = BigInt((await api(own.token).get(`/v1/relay/forwarder?account=${phone.address}`)).body.nonce);
      const signed = await signOwnRequest(net, phone, encodeLotCall("lots.mint", delivery(4_321)), { nonce });
      // Both at once, each with its own key, while neither is mined.
      const answers = await Promise.all([key(), key()].map((headers) => api(own.token).post("/v1/relay", relayBody(signed), headers)));
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).to.deep.equal([202, 409]);
      const first = answers.find((a) => a.status === 202)!;
      const second = answers.find((a) => a.status === 409)!;
      expect(second.body.error).to.deep.equal({
        code: "duplicate_signed_request",
        message: second.body.error.message,
        details: { requestId: first.body.id },
      });
      expect(second.body.error.message).to.include(`request ${first.body.id}`);
      // Retrying the first key still answers the first request.
      const { final } = await api(own.token).settle(first.body.id);
      expect(final.status).to.equal("mined");
      const retried = await api(own.token).post("/v1/relay", relayBody(signed), { "idempotency-key": first.body.idempotencyKey });
      expect([retried.status, retried.body.id]).to.deep.equal([202, first.body.id]);
      net.provider.destroy();
    });

    it("refuses expired, wrong-chain, foreign and refused-by-simulation requests with a clear 4xx", async function () {
      const net = network();
      const data = encodeLotCall("lots.mint", delivery(1_000));
      const expired = await signOwnRequest(net, phone, data, { deadline: BigInt(Math.floor(Date.now() / 1000) - 60) });
      const otherChain = await signOwnRequest(net, phone, data, { chainId: 1n });
      const stranger = Wallet.createRandom();
      const notMine = await signOwnRequest(net, stranger, data);
      const offerUnknown = await signOwnRequest(net, phone, encodeLotCall("lots.offer", { lotId: "999", receiver: processor.accounts[0]!.address }));

      const answers = await Promise.all([expired, otherChain, notMine, offerUnknown].map((signed) => api(own.token).post("/v1/relay", relayBody(signed), key())));
      expect(answers.map((a) => a.status)).to.deep.equal([422, 422, 403, 422]);
      expect(answers[0]!.body.error.details.error).to.equal("ERC2771ForwarderExpiredRequest");
      expect(answers[1]!.body.error.details.error).to.equal("ERC2771ForwarderInvalidSigner");
      expect(answers[3]!.body.error.details).to.deep.equal({ error: "LotRegistryUnknownLot", args: { lotId: "999" } });
      const toElsewhere = await signOwnRequest({ ...net, registry: Wallet.createRandom().address }, phone, data);
      expect((await api(own.token).post("/v1/relay", relayBody(toElsewhere), key())).status).to.equal(400);
      net.provider.destroy();
    });
  });

  describe("across a restart", function () {
    it("keeps idempotency: a key answered before the restart returns the same request, and the chain has one lot", async function () {
      const net = network();
      const account = coop.accounts[0]!.address;
      const headers = { "idempotency-key": "across-restart" };
      const first = await api(coop.token).settle((await api(coop.token).post("/v1/lots/mint", delivery(31_337), headers)).body.id);
      const lotsBefore = await net.lots.balanceOf(account);
      net.provider.destroy();

      await running.gateway.stop();
      running = await startTestGateway(dir, { FIRSTMILE_PORT: running.env.FIRSTMILE_PORT!, FIRSTMILE_CHAIN_PORT: running.env.FIRSTMILE_CHAIN_PORT! });
      const again = await api(coop.token).post("/v1/lots/mint", delivery(31_337), headers);
      expect(again.status).to.equal(202);
      expect(again.body).to.deep.include({ id: first.final.id, status: "mined" });
      expect(again.body.outputs.lotIds).to.deep.equal(first.final.outputs.lotIds);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const after = network();
      expect(await after.lots.balanceOf(account)).to.equal(lotsBefore);
      after.provider.destroy();
    });

    it("never writes a custodial key in plain text to the data dir or the logs", async function () {
      const { key: fileKey } = readKeyFile(path.join(dir, "keystore.key"), { create: false });
      const kek = deriveFromKeyFile(fileKey);
      const { rows } = await running.gateway.db.query<{ address: string; encrypted_key: Buffer }>("select address, encrypted_key from custodial_keys");
      expect(rows.length).to.be.at.least(3);
      const keys = rows.map((row) => open(kek, row.encrypted_key, Buffer.from(row.address, "utf8"))!.toString("hex"));
      const files: string[] = [];
      const walk = (folder: string) => {
        for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
          const full = path.join(folder, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.isFile()) files.push(full);
        }
      };
      walk(dir);
      expect(files).to.include(running.logFile);
      for (const file of files) {
        const content = fs.readFileSync(file);
        const text = content.toString("latin1").toLowerCase();
        for (const hex of keys) {
          expect(text.includes(hex), `a key as hex in ${file}`).to.equal(false);
          expect(content.includes(Buffer.from(hex, "hex")), `raw key bytes in ${file}`).to.equal(false);
        }
      }
    });
  });
});
