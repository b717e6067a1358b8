import { expect } from "chai";
import { applyGoverned } from "../../src/governance";
import type { JsonRpcProvider } from "ethers";
import { schemeByKey } from "../../src/attestations/schemes";
import { connectProvider } from "../../src/chain/provider";
import { AttestationRegistry__factory, type AttestationRegistry } from "../../typechain-types";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, delivery, startTestGateway, waitUntilReady, type TestGateway } from "./helpers";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

const evidence = `0x${"e1".repeat(32)}`;

describe("gateway attestation writes (real gateway: anvil, PGlite, relay worker, indexer)", function () {
  let dir: string;
  let running: TestGateway;
  let provider: JsonRpcProvider;
  let registry: AttestationRegistry;
  let coop: Member;
  let certifier: Member;
  let unaccredited: Member;
  let organic: number;
  let lotIds: string[];
  let keys = 0;
  const key = () => ({ "idempotency-key": `attest-${++keys}` });
  const api = (token?: string) => client(running.gateway.url, token);

  /** Mines a request through the relay and returns its final view. */
  async function mined(token: string, path: string, body: unknown) {
    const answer = await api(token).post(path, body, key());
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const { final } = await api(token).settle(answer.body.id);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    return final;
  }

  before(async function () {
    dir = makeTempDir("gateway-attestations");
    running = await startTestGateway(dir);
    const { url, chainId, deployments } = running.gateway.chain;
    provider = connectProvider(url, Number(chainId));
    // The embedded chain's governor: anvil's first development account, as the gateway uses it.
    const governor = await provider.getSigner(0);
    registry = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry!.address, governor);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "CI" });
    certifier = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "DE" });
    unaccredited = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "NL" });

    const scheme = schemeByKey("organic");
    organic = Number(await registry.schemeIdOf(scheme.name, scheme.version));
    expect(organic).to.be.greaterThan(0);
    const now = (await provider.getBlock("latest"))!.timestamp;
    // Accreditation adds trust: a governance proposal (run at once on the embedded network).
    await applyGoverned(governor, deployments, [{
      target: await registry.getAddress(),
      data: registry.interface.encodeFunctionData("accredit", [organic, BigInt(certifier.memberId), now + 365 * 24 * 3600]),
      description: "accredit the certifier for organic",
    }]);

    // A cooperative's lots, minted through the relay.
    const one = await mined(coop.token, "/v1/lots/mint", delivery(1_000));
    const three = await mined(coop.token, "/v1/lots/mint-batch", { deliveries: [delivery(2_000), delivery(3_000), delivery(4_000)] });
    lotIds = [...one.outputs.lotIds, ...three.outputs.lotIds];
    expect(lotIds).to.have.length(4);
  });
  after(async function () {
    await running?.gateway.stop();
    provider?.destroy();
    removeTempDir(dir);
  });

  it("lists the attestation writes in /openapi.json, answered 202 with the request", async function () {
    const { body } = await api().get("/openapi.json");
    for (const route of ["/v1/attestations", "/v1/attestations/batch", "/v1/attestations/{uid}/revoke"]) {
      expect(body.paths[route]?.post, route).to.be.an("object");
      expect(body.paths[route].post.security).to.deep.equal([{ bearer: [] }]);
      expect(body.paths[route].post.responses["202"].content["application/json"].schema.properties).to.include.keys(["id", "status"]);
    }
    expect(body.paths["/v1/attestations"].post.requestBody.content["application/json"].schema.required).to.include.members(["scheme", "subjectKind", "subject", "evidence"]);
    expect(body.paths["/v1/attestations/{uid}/revoke"].post.parameters[0]).to.include({ name: "uid", in: "path" });
  });

  describe("when an accredited certifier attests", function () {
    let uid: string;
    let attestedIn: number;

    it("attests a lot: queued, then mined with the attestation's uid, valid on chain", async function () {
      const body = { scheme: organic, subjectKind: "lot", subject: lotIds[0], evidence };
      const headers = key();
      const answer = await api(certifier.token).post("/v1/attestations", body, headers);
      expect(answer.status).to.equal(202);
      expect(answer.body).to.include({ kind: "attestations.attest", status: "queued" });
      expect(answer.headers.get("location")).to.equal(`/v1/requests/${answer.body.id}`);
      const { final } = await api(certifier.token).settle(answer.body.id);
      expect(final.status, JSON.stringify(final.error)).to.equal("mined");
      expect(final.call.from).to.equal(certifier.accounts[0]!.address);
      expect(final.outputs.uids).to.have.length(1);
      uid = final.outputs.uids[0];
      attestedIn = Number(final.transaction.blockNumber);
      expect(final.outputs.events.map((event: { name: string }) => event.name)).to.deep.equal(["Attested"]);
      expect(final.outputs.events[0].args).to.include({ uid, attester: certifier.accounts[0]!.address, scheme: String(organic) });
      expect(await registry.isValid(uid)).to.equal(true);
      expect((await registry.getAttestation(uid)).attester).to.equal(certifier.accounts[0]!.address);

      // The same Idempotency-Key again: the first request, not a second attestation.
      const replay = await api(certifier.token).post("/v1/attestations", body, headers);
      expect(replay.status).to.equal(202);
      expect(replay.headers.get("idempotent-replayed")).to.equal("true");
      expect(replay.body.id).to.equal(answer.body.id);
      expect(replay.body.status).to.equal("mined");
    });

    it("shows the attestation valid on the lot once the indexer has caught up", async function () {
      await running.gateway.indexer.waitForBlock(attestedIn);
      const view = await api(coop.token).get(`/v1/lots/${lotIds[0]}/attestations`);
      expect(view.status).to.equal(200);
      const item = view.body.items.find((candidate: { uid: string }) => candidate.uid === uid);
      expect(item).to.include({ status: "valid", relation: "direct" });
      expect(item.scheme.id).to.equal(organic);
      expect(view.body.claims.find((claim: { scheme: { id: number } }) => claim.scheme.id === organic)).to.include({ carries: true, source: "direct" });
    });

    it("attests three lots in one batch: three uids in request order, all valid", async function () {
      const final = await mined(certifier.token, "/v1/attestations/batch", {
        scheme: organic,
        attestations: lotIds.slice(1).map((lotId) => ({ subjectKind: "lot", subject: lotId, evidence })),
      });
      expect(final.kind).to.equal("attestations.attestBatch");
      expect(final.outputs.uids).to.have.length(3);
      expect(new Set(final.outputs.uids).size).to.equal(3);
      expect(final.outputs.events.map((event: { args: { subject: string } }) => BigInt(event.args.subject).toString())).to.deep.equal(lotIds.slice(1));
      expect(await registry.areValid(final.outputs.uids)).to.deep.equal([true, true, true]);
    });

    it("revokes: mined with the revoked uid, no longer valid on chain, and revoked with its reason in the read model", async function () {
      const final = await mined(certifier.token, `/v1/attestations/${uid}/revoke`, { reason: 2 });
      expect(final.kind).to.equal("attestations.revoke");
      expect(final.outputs.revoked).to.deep.equal([uid]);
      expect(final.outputs.events[0]).to.deep.include({ contract: "AttestationRegistry", name: "Revoked" });
      expect(await registry.isValid(uid)).to.equal(false);

      await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
      const view = await api(coop.token).get(`/v1/lots/${lotIds[0]}/attestations`);
      const item = view.body.items.find((candidate: { uid: string }) => candidate.uid === uid);
      expect(item.status).to.equal("revoked");
      expect(item.revocation.reason).to.equal(2);
      expect(item.revocation.by.toLowerCase()).to.equal(certifier.accounts[0]!.address.toLowerCase());
    });

    it("fails a second revocation with the decoded error and sends no transaction", async function () {
      const answer = await api(certifier.token).post(`/v1/attestations/${uid}/revoke`, { reason: 3 }, key());
      const { final } = await api(certifier.token).settle(answer.body.id);
      expect(final.status).to.equal("failed");
      expect(final.error).to.deep.include({ name: "AttestationRegistryAlreadyRevoked", args: { uid } });
      expect(final.transaction).to.equal(null);
    });
  });

  describe("when the certifier is not accredited", function () {
    it("fails the attestation with AttestationRegistryNotAccredited, before any transaction", async function () {
      const answer = await api(unaccredited.token).post("/v1/attestations", { scheme: organic, subjectKind: "lot", subject: lotIds[1], evidence }, key());
      expect(answer.status).to.equal(202);
      const { final, seen } = await api(unaccredited.token).settle(answer.body.id);
      expect(final.status).to.equal("failed");
      expect(seen).not.to.include("submitted");
      expect(final.error.name).to.equal("AttestationRegistryNotAccredited");
      expect(final.error.args).to.deep.equal({ member: unaccredited.memberId, scheme: String(organic), until: "0" });
      expect(final.call).to.equal(null);
      expect(final.transaction).to.equal(null);
    });
  });

  describe("when the body is malformed", function () {
    it("answers 400 naming the field", async function () {
      const cases: Array<[string, unknown, string]> = [
        ["/v1/attestations", { scheme: organic, subjectKind: "lot", subject: "0xzz", evidence }, "subject"],
        ["/v1/attestations", { scheme: organic, subjectKind: "plot", subject: lotIds[0], evidence }, "subject"],
        ["/v1/attestations", { scheme: organic, subjectKind: "farm", subject: lotIds[0], evidence }, "subjectKind"],
        ["/v1/attestations", { scheme: organic, subjectKind: "lot", subject: lotIds[0] }, "evidence"],
        ["/v1/attestations", { scheme: 0, subjectKind: "lot", subject: lotIds[0], evidence }, "scheme"],
        ["/v1/attestations/batch", { scheme: organic, attestations: [] }, "attestations"],
        ["/v1/attestations/batch", { scheme: organic, attestations: [{ subjectKind: "member", subject: "-1", evidence }] }, "attestations.0.subject"],
        [`/v1/attestations/${"0x" + "11".repeat(32)}/revoke`, { reason: 70_000 }, "reason"],
        ["/v1/attestations/0x1234/revoke", { reason: 1 }, "uid"],
      ];
      for (const [path, body, field] of cases) {
        const answer = await api(certifier.token).post(path, body, key());
        expect(answer.status, `${path} ${JSON.stringify(body)}`).to.equal(400);
        expect(answer.body.error.code).to.equal("invalid_request");
        expect(answer.body.error.details.map((issue: { path: string }) => issue.path), JSON.stringify(body)).to.include(field);
      }
      await waitUntilReady(running.gateway.url);
    });
  });
});
