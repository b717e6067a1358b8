import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import { registerIndexCommand } from "../../src/cli/commands/index";
import { dataPaths } from "../../src/config";
import { startEmbeddedChain, type EmbeddedChain } from "../../src/gateway/embeddedChain";
import type { Database } from "../../src/db";
import { openPglite } from "../../src/db/pglite";
import { openPostgres } from "../../src/db/postgres";
import {
  blockDone,
  createJsonRpcChainReader,
  dumpReadModel,
  indexerSourceFromDeployments,
  readCheckpoint,
  HistoryHeadMismatchError,
  rebuildIndex,
  startIndexer,
  type ChainReader,
  type IndexerSource,
  type StartIndexerParameters,
} from "../../src/indexer";
import { getLotAttestations, memberAttestations, memberCredits } from "../../src/indexer/queries";
import { READ_MODEL_TABLES } from "../../src/indexer/store/readModel";
import { AttestationRegistry__factory, LotRegistry__factory } from "../../typechain-types";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite, copyPgliteTemplate, describeEachEngine } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { FORMS, YIELDS } from "../../src/lots/forms";
import { TEST_NODE, TEST_NODE_ENV } from "../helpers/testNode";
import { digest, Form, runSupplyStory, type SupplyStory } from "./supplyStory";

describe("indexer against a real node", function () {
  let dataDir: string;
  let chain: EmbeddedChain;
  let story: SupplyStory;
  let reader: ChainReader;
  let source: IndexerSource;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-indexer-"));
    await copyChainTemplate(dataDir);
    chain = await startEmbeddedChain({ paths: dataPaths(dataDir), port: await freePort(), ...TEST_NODE });
    story = await runSupplyStory(chain);
    reader = createJsonRpcChainReader({ url: chain.node.url });
    source = indexerSourceFromDeployments(chain.deployments);
  });

  after(async () => {
    await chain?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every lot's head on chain at `blockTag`, by lot id. */
  async function chainHeads(lotIds: bigint[], blockTag: number): Promise<Map<string, string>> {
    const registry = LotRegistry__factory.connect(story.registry, chain.provider);
    const heads = await registry.historyHeads(lotIds, { blockTag });
    return new Map(lotIds.map((lotId, index) => [lotId.toString(), heads[index]!.toLowerCase()]));
  }

  /** An empty, migrated PGlite database in its own directory (copied from the test run's template: no initdb). */
  const scratch: string[] = [];
  async function openScratchPglite(): Promise<Database> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-indexer-db-"));
    scratch.push(dir);
    await copyMigratedPglite(dir);
    return openPglite({ dir });
  }
  after(() => {
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  const indexTo = async (db: Database, block: number, pageBlocks: number, batchLogs: number) => {
    const indexer = startIndexer({ db, chain: reader, source, pageBlocks, batchLogs, pollIntervalMs: 50, stopAt: block });
    await indexer.done;
    return indexer.status();
  };

  /** Each engine's read model at the end of part 2, for the CLI test to compare with. */
  const part2Dumps: Partial<Record<string, Record<string, string[]>>> = {};

  describeEachEngine("indexer", (engine) => {
    let db: Database;
    let incremental: Record<string, string[]>;

    before(async () => {
      db = await engine.openMigrated();
    });
    after(() => db.close());

    it("indexes part 1 of the supply story into exactly the expected rows, every head equal to the chain's", async () => {
      const status = await indexTo(db, story.part1Block, 7, 3);
      expect(status.state).to.equal("stopped");
      expect(await readCheckpoint(db, "public", source)).to.equal(blockDone(story.part1Block));
      const { accounts: a, members: m, lots: l } = story;

      const members = await db.query("select member_id, roles, active, country, metadata from members order by member_id");
      expect(members.rows).to.deep.equal([
        { member_id: 1n, roles: 32, active: true, country: "ID", metadata: "0x" + "0".repeat(64) },
        { member_id: 2n, roles: 1, active: true, country: "ID", metadata: digest("member coop") },
        { member_id: 3n, roles: 2, active: true, country: "ID", metadata: digest("member processor") },
        { member_id: 4n, roles: 8, active: true, country: "NL", metadata: digest("member brand") },
      ]);
      const accounts = await db.query("select address, member_id, number, active from accounts order by number");
      expect(accounts.rows).to.deep.equal([
        { address: a.governor, member_id: 1n, number: 1n, active: true },
        { address: a.cooperative, member_id: 2n, number: 2n, active: true },
        { address: a.cooperativePhone, member_id: 2n, number: 3n, active: true },
        { address: a.processor, member_id: 3n, number: 4n, active: true },
        { address: a.brand, member_id: 4n, number: 5n, active: true },
      ]);
      expect((await db.query("select count(*)::int as n from forms")).rows[0]!.n).to.equal(FORMS.length);
      expect((await db.query("select count(*)::int as n from yield_bounds")).rows[0]!.n).to.equal(YIELDS.length);
      // Dry weight and joint bounds come from the form catalogue's events.
      expect((await db.query("select form from forms where dry_basis order by form")).rows.map((row) => row.form)).to.deep.equal(
        FORMS.filter((form) => form.dryBasis).map((form) => form.id).sort((a, b) => a - b),
      );
      expect((await db.query("select min_bps, max_bps from yield_bounds where input_form = $1 and output_form = 0", [Form.liquor])).rows).to.deep.equal([
        { min_bps: 9800n, max_bps: 10000n },
      ]);
      // Quality as weighed in, re-measured at acceptance, and measured on the transform's output.
      const qualities = await db.query("select lot_id, quality from lots where lot_id = any($1::int8[]) order by lot_id", [[story.lots.deliveries[0], story.lots.merged, story.lots.dried]]);
      expect(qualities.rows.map((row) => row.quality)).to.deep.equal([5_600, 5_450, 730]);
      const acceptance = await db.query("select quality from handovers where lot_id = $1 and status = 'accepted'", [story.lots.merged]);
      expect(acceptance.rows).to.deep.equal([{ quality: 5_450 }]);

      const lots = await db.query(
        `select lot_id, form, grams, status, custodian_member, creator_member, genesis, event_count, pending_receiver
           from lots order by lot_id`,
      );
      const lot = (lotId: bigint, form: number, grams: string, status: string, custodian: bigint, creator: bigint, genesis: string, events: number) => ({
        lot_id: lotId,
        form,
        grams,
        status,
        custodian_member: custodian,
        creator_member: creator,
        genesis,
        event_count: events,
        pending_receiver: null,
      });
      const [d1, d2, d3, d4] = l.deliveries as [bigint, bigint, bigint, bigint];
      expect(lots.rows).to.deep.equal(
        [
          lot(d1, Form.wetBeans, "100000", "consumed", m.cooperative, m.cooperative, "minted", 3), // minted, evidence, merged
          lot(d2, Form.wetBeans, "120000", "consumed", m.cooperative, m.cooperative, "minted", 2),
          lot(d3, Form.wetBeans, "80000", "active", m.cooperative, m.cooperative, "minted", 3), // minted, offered, cancelled
          lot(d4, Form.wetBeans, "50000", "active", m.cooperative, m.cooperative, "minted", 1),
          lot(l.merged, Form.wetBeans, "219500", "consumed", m.processor, m.cooperative, "merged", 6), // derived, offered, rejected, offered, accepted, transformed
          lot(l.dried, Form.dryBeans, "80000", "consumed", m.processor, m.processor, "transformed", 2),
          lot(l.parts[0]!, Form.dryBeans, "50000", "active", m.brand, m.processor, "split", 3),
          lot(l.parts[1]!, Form.dryBeans, "30000", "active", m.processor, m.processor, "split", 1),
        ].sort((x, y) => (x.lot_id < y.lot_id ? -1 : 1)),
      );

      const edges = await db.query(
        "select parent_id, child_id, kind, parent_grams, child_grams, inputs_grams, outputs_grams from lot_edges order by parent_id, child_id",
      );
      expect(edges.rows).to.deep.equal([
        { parent_id: d1, child_id: l.merged, kind: "merged", parent_grams: "100000", child_grams: "220000", inputs_grams: "220000", outputs_grams: "220000" },
        { parent_id: d2, child_id: l.merged, kind: "merged", parent_grams: "120000", child_grams: "220000", inputs_grams: "220000", outputs_grams: "220000" },
        { parent_id: l.merged, child_id: l.dried, kind: "transformed", parent_grams: "219500", child_grams: "80000", inputs_grams: "219500", outputs_grams: "80000" },
        { parent_id: l.dried, child_id: l.parts[0], kind: "split", parent_grams: "80000", child_grams: "50000", inputs_grams: "80000", outputs_grams: "80000" },
        { parent_id: l.dried, child_id: l.parts[1], kind: "split", parent_grams: "80000", child_grams: "30000", inputs_grams: "80000", outputs_grams: "80000" },
      ]);

      const handovers = await db.query(
        "select lot_id, offer_seq, sender_member, receiver_member, status, grams_sent, grams_received, reason, accepted_by from handovers order by offered_position",
      );
      expect(handovers.rows).to.deep.equal([
        { lot_id: l.merged, offer_seq: 1, sender_member: m.cooperative, receiver_member: m.processor, status: "rejected", grams_sent: "220000", grams_received: null, reason: 2, accepted_by: null },
        { lot_id: l.merged, offer_seq: 3, sender_member: m.cooperative, receiver_member: m.processor, status: "accepted", grams_sent: "220000", grams_received: "219500", reason: null, accepted_by: a.processor },
        { lot_id: d3, offer_seq: 1, sender_member: m.cooperative, receiver_member: m.processor, status: "cancelled", grams_sent: "80000", grams_received: null, reason: null, accepted_by: null },
        { lot_id: l.parts[0], offer_seq: 1, sender_member: m.processor, receiver_member: m.brand, status: "accepted", grams_sent: "50000", grams_received: "50000", reason: null, accepted_by: a.brand },
      ]);

      const evidence = await db.query("select lot_id, seq, digest, by_account, by_member from lot_evidence");
      expect(evidence.rows).to.deep.equal([{ lot_id: d1, seq: 1, digest: digest("weigh ticket d1"), by_account: a.cooperative, by_member: m.cooperative }]);

      const kinds = await db.query<{ lot_id: bigint; kinds: string[] }>("select lot_id, array_agg(kind order by seq) as kinds from lot_events group by lot_id");
      const byLot = new Map(kinds.rows.map((row) => [row.lot_id, row.kinds]));
      expect(byLot.get(l.merged)).to.deep.equal(["derived", "offered", "rejected", "offered", "accepted", "transformed"]);
      expect(byLot.get(d1)).to.deep.equal(["minted", "evidence", "merged"]);

      const heads = await db.query<{ lot_id: bigint; head: string }>("select lot_id, head from lots");
      const onChain = await chainHeads(heads.rows.map((row) => row.lot_id), story.part1Block);
      for (const row of heads.rows) expect(row.head, `head of lot ${row.lot_id}`).to.equal(onChain.get(row.lot_id.toString()));
      const lastEventHeads = await db.query<{ lot_id: bigint; head: string }>(
        "select distinct on (lot_id) lot_id, head from lot_events order by lot_id, seq desc",
      );
      for (const row of lastEventHeads.rows) expect(row.head).to.equal(onChain.get(row.lot_id.toString()));
    });

    it("resumes from the checkpoint after a restart and indexes part 2 (rubber, governance)", async () => {
      const before = await readCheckpoint(db, "public", source);
      const status = await indexTo(db, story.part2Block, 3, 1);
      expect(status.state).to.equal("stopped");
      expect(await readCheckpoint(db, "public", source)).to.equal(blockDone(story.part2Block)).and.not.equal(before);
      const { lots: l, members: m } = story;

      const account = await db.query("select active from accounts where address = $1", [story.accounts.cooperativePhone]);
      expect(account.rows).to.deep.equal([{ active: false }]);
      const brand = await db.query("select roles, metadata from members where member_id = $1", [m.brand]);
      expect(brand.rows).to.deep.equal([{ roles: 8 | 2, metadata: digest("member brand v2") }]);
      expect((await db.query("select loss_bps, gain_bps, mintable from forms where form = $1", [Form.cupLump])).rows).to.deep.equal([
        { loss_bps: 600, gain_bps: 50, mintable: true },
      ]);
      expect((await db.query("select min_bps, max_bps from yield_bounds where input_form = $1 and output_form = $2", [Form.cupLump, Form.tsr20])).rows).to.deep.equal([
        { min_bps: 9400n, max_bps: 10200n },
      ]);
      expect((await db.query("select dry_basis from forms where form = $1", [Form.rss])).rows).to.deep.equal([{ dry_basis: true }]);
      const edges = await db.query("select parent_id, parent_grams, child_grams, inputs_grams, outputs_grams from lot_edges where child_id = $1 order by parent_id", [l.tsr20]);
      expect(edges.rows).to.deep.equal([
        { parent_id: l.cupLumps[0], parent_grams: "39000", child_grams: "55000", inputs_grams: "99000", outputs_grams: "55000" },
        { parent_id: l.cupLumps[1], parent_grams: "60000", child_grams: "55000", inputs_grams: "99000", outputs_grams: "55000" },
      ]);
      const tsr = await db.query("select status, custodian_member, commodity, event_count from lots where lot_id = $1", [l.tsr20]);
      expect(tsr.rows).to.deep.equal([{ status: "active", custodian_member: m.processor, commodity: 2, event_count: 2 }]);
      expect((await db.query("select count(*)::int as n from lots")).rows[0]!.n).to.equal(11);

      const heads = await db.query<{ lot_id: bigint; head: string }>("select lot_id, head from lots");
      const onChain = await chainHeads(heads.rows.map((row) => row.lot_id), story.part2Block);
      for (const row of heads.rows) expect(row.head, `head of lot ${row.lot_id}`).to.equal(onChain.get(row.lot_id.toString()));
      incremental = await dumpReadModel(db);
      part2Dumps[engine.name] = incremental;
    });

    it("restarts exactly after being killed mid-batch (SIGKILL before commit) and ends with the identical read model", async () => {
      let target: string;
      if (engine.name === "pglite") {
        target = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-indexer-kill-"));
        await copyPgliteTemplate(target);
      } else {
        await (await engine.openEmpty()).close();
        target = engine.lastUrl()!;
      }
      const child = spawn(process.execPath, ["-r", path.resolve(__dirname, "../../scripts/register-ts.js"), path.join(__dirname, "fixtures", "indexUntilKilled.ts")], {
        env: { ...process.env, DB_ENGINE: engine.name, DB_TARGET: target, RPC_URL: chain.node.url, SOURCE: JSON.stringify(source), STOP_AT: String(story.part2Block), PAUSE_AT: "3" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let output = "";
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const paused = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          output += chunk;
          const match = /PAUSED (\d{24})/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once("exit", (code) => reject(new Error(`the indexer exited (${code}) before pausing:\n${output}\n${stderr}`)));
      });
      child.kill("SIGKILL");
      await exited;
      const committed = [...output.matchAll(/COMMITTED (\d{24})/g)].map((match) => match[1]!);
      expect(committed.length).to.be.greaterThan(2);
      const lastCommitted = committed.at(-1)!;
      expect(paused > lastCommitted).to.equal(true);
      expect(paused.slice(0, 16)).to.equal(lastCommitted.slice(0, 16)); // killed inside a block

      const reopened = engine.name === "pglite" ? await openPglite({ dir: target }) : await openPostgres({ url: target });
      try {
        expect(await readCheckpoint(reopened, "public", source)).to.equal(lastCommitted);
        for (const [table, column] of [["members", "added_position"], ["accounts", "added_position"], ["lot_events", "position"]]) {
          const { rows } = await reopened.query(`select count(*)::int as n from ${table} where ${column} > $1`, [lastCommitted]);
          expect(rows[0]!.n, `${table} rows of the killed batch`).to.equal(0);
        }
        await indexTo(reopened, story.part2Block, 5, 4);
        expect(await dumpReadModel(reopened)).to.deep.equal(incremental);
      } finally {
        await reopened.close();
        if (engine.name === "pglite") fs.rmSync(target, { recursive: true, force: true });
      }
    });

    it("rebuild replays from the deployment block into fresh tables and produces the identical read model", async () => {
      expect(incremental.lots).to.have.length(11);
      // Damage the live read model: the rebuild must not read or keep any of it.
      await db.exec("update lots set grams = 1; delete from lot_events where seq > 0;");
      const result = await rebuildIndex({ db, chain: reader, source, pageBlocks: 1000, toBlock: story.part2Block });
      expect(result.tables).to.include.members(["lots", "lot_events", "indexer_checkpoint"]);
      expect(await dumpReadModel(db)).to.deep.equal(incremental);
      const schemas = await db.query("select schema_name from information_schema.schemata where schema_name = 'indexer_rebuild'");
      expect(schemas.rows).to.have.length(0);
    });

    it("indexes part 3: schemes, accreditations, attestations and revocations, claims carried, mass-balance credit", async () => {
      await indexTo(db, story.part3Block, 500, 50);
      const { attestations: at, lots: l, members: m } = story;
      const [half1, half2] = at.halves as [bigint, bigint];
      const rows = await db.query("select uid, scheme, subject_kind, lot_id, attester_member, revoked, revoke_reason from attestations order by position");
      expect(rows.rows).to.deep.equal([
        { uid: at.partOrganic, scheme: at.organic, subject_kind: 1, lot_id: l.parts[1], attester_member: at.certifierMember, revoked: false, revoke_reason: null },
        { uid: at.partPremium, scheme: at.premium, subject_kind: 1, lot_id: l.parts[1], attester_member: at.certifierMember, revoked: false, revoke_reason: null },
        { uid: at.tsrOrganic, scheme: at.organic, subject_kind: 1, lot_id: l.tsr20, attester_member: at.certifierMember, revoked: true, revoke_reason: 2 },
        { uid: rows.rows[3]!.uid, scheme: at.eudr, subject_kind: 2, lot_id: null, attester_member: at.certifierMember, revoked: false, revoke_reason: null },
        { uid: rows.rows[4]!.uid, scheme: at.farm, subject_kind: 3, lot_id: null, attester_member: at.certifierMember, revoked: false, revoke_reason: null },
      ]);
      expect((await db.query("select count(*)::int as n from schemes")).rows[0]!.n).to.equal(4);
      expect((await db.query("select count(*)::int as n from accreditations where member_id = $1 and not withdrawn", [at.certifierMember])).rows[0]!.n).to.equal(4);
      const claims = await db.query("select lot_id, scheme, state, valid_until from lot_claims order by lot_id, scheme");
      const bySchemeThenLot = (a: { lot_id: bigint; scheme: number }, b: { lot_id: bigint; scheme: number }) =>
        a.lot_id === b.lot_id ? a.scheme - b.scheme : a.lot_id < b.lot_id ? -1 : 1;
      expect(claims.rows).to.deep.equal(
        [
          { lot_id: half1, scheme: at.organic, state: "carried", valid_until: BigInt(at.organicExpiresAt) },
          { lot_id: half1, scheme: at.premium, state: "spent", valid_until: null },
          { lot_id: half2, scheme: at.organic, state: "carried", valid_until: BigInt(at.organicExpiresAt) },
        ].sort(bySchemeThenLot),
      );
      const moves = await db.query("select member_id, lot_id, direction, cause, grams, balance from mass_balance_moves order by position");
      expect(moves.rows).to.deep.equal([
        { member_id: m.processor, lot_id: half1, direction: "credit", cause: "derivation", grams: "15000", balance: "15000" },
        { member_id: m.processor, lot_id: half2, direction: "credit", cause: "derivation", grams: "15000", balance: "30000" },
        { member_id: m.processor, lot_id: half1, direction: "debit", cause: "mark", grams: "15000", balance: "15000" },
        { member_id: m.brand, lot_id: half1, direction: "credit", cause: "handover", grams: "15000", balance: "15000" },
      ]);
      expect((await memberCredits(db, m.processor)).map((credit) => [credit.scheme.id, credit.form.id, credit.grams])).to.deep.equal([[at.premium, Form.dryBeans, "15000"]]);
      expect((await memberCredits(db, m.brand)).map((credit) => credit.grams)).to.deep.equal(["15000"]);

      // The chain's own answers, at the story's end, for every lot and scheme the read model has claims for.
      const attestations = AttestationRegistry__factory.connect(chain.deployments.contracts.AttestationRegistry!.address, chain.provider);
      const blockTime = (await chain.provider.getBlock(story.part3Block))!.timestamp;
      const before = new Date(blockTime * 1000);
      const after = new Date((at.organicExpiresAt + 1) * 1000);
      for (const lotId of [l.parts[1]!, half1, half2, l.tsr20]) {
        const view = (await getLotAttestations(db, lotId, { now: before }))!;
        for (const scheme of [at.organic, at.premium]) {
          const carries = await attestations.carriesClaim(lotId, scheme, { blockTag: story.part3Block });
          const claim = view.claims.find((candidate) => candidate.scheme.id === scheme);
          expect(claim?.carries ?? false, `lot ${lotId} scheme ${scheme}: ${claim?.why}`).to.equal(carries);
        }
      }

      // Direct and inherited, each valid, expired or revoked and why, before and after the organic expiry.
      const half2Now = (await getLotAttestations(db, half2, { now: before }))!;
      expect(half2Now.items.map((item) => [item.relation, item.lotId, item.uid, item.status])).to.deep.equal([
        ["inherited", String(l.parts[1]), at.partOrganic, "valid"],
        ["inherited", String(l.parts[1]), at.partPremium, "valid"],
      ]);
      expect(half2Now.claims.map((claim) => [claim.scheme.id, claim.carries, claim.source])).to.deep.equal([[at.organic, true, "carried"]]);
      const half2Later = (await getLotAttestations(db, half2, { now: after }))!;
      expect(half2Later.items.map((item) => item.status)).to.deep.equal(["expired", "valid"]);
      expect(half2Later.claims[0]).to.deep.include({ carries: false, status: "expired" });
      expect(half2Later.claims[0]!.why).to.contain("expired");
      const part = (await getLotAttestations(db, l.parts[1]!, { now: before }))!;
      expect(part.claims.map((claim) => [claim.scheme.id, claim.status])).to.deep.equal(
        [
          [at.organic, "valid"],
          [at.premium, "spent"],
        ].sort((a, b) => Number(a[0]) - Number(b[0])),
      );
      const tsr = (await getLotAttestations(db, l.tsr20, { now: before }))!;
      expect(tsr.items.map((item) => [item.relation, item.status])).to.deep.equal([["direct", "revoked"]]);
      expect(tsr.claims[0]).to.deep.include({ carries: false, status: "revoked" });
      expect(tsr.claims[0]!.why).to.contain("reason code 2");

      const certified = await memberAttestations(db, at.certifierMember, { now: before, limit: 2 });
      expect(certified.items.map((item) => item.uid)).to.deep.equal([at.partOrganic, at.partPremium]);
      const rest = await memberAttestations(db, at.certifierMember, { now: before, cursor: certified.nextCursor! });
      expect(rest.items.map((item) => item.subject.kind)).to.deep.equal(["lot", "plot", "member"]);
      expect(rest.items[2]!.subject.value).to.equal(String(m.cooperative));
      expect((await memberAttestations(db, at.certifierMember, { now: before, status: "revoked" })).items.map((item) => item.uid)).to.deep.equal([at.tsrOrganic]);
    });
  });

  describe("firstmile index (CLI)", () => {
    async function firstmile(...args: string[]): Promise<string> {
      const stdout = new PassThrough();
      const printed: Buffer[] = [];
      stdout.on("data", (chunk: Buffer) => printed.push(chunk));
      const program = new Command("firstmile").exitOverride();
      const port = new URL(chain.node.url).port;
      registerIndexCommand(program, { env: { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_CHAIN_PORT: port, ...TEST_NODE_ENV }, cwd: dataDir, stdout });
      await program.parseAsync(["node", "firstmile", ...args]);
      return Buffer.concat(printed).toString("utf8");
    }

    it("rebuild fills the embedded database from the deployment block, as incremental indexing did; status prints the checkpoint and the lag", async () => {
      await copyPgliteTemplate(path.join(dataDir, "pgdata")); // an initialised cluster: no initdb in the test
      const printed = await firstmile("index", "rebuild", "--to-block", String(story.part2Block));
      expect(printed).to.match(new RegExp(`^rebuilding the read model of chain 31337 from block \\d+ \\(pglite\\)\nrebuilt: \\d+ events up to block ${story.part2Block} in [\\d.]+ s; swapped in ${Object.keys(READ_MODEL_TABLES).length} tables\n$`));
      expect(await firstmile("index", "status")).to.match(new RegExp(`^checkpoint ${blockDone(story.part2Block)} \\(block ${story.part2Block}, log 99999999\\); head \\d+; \\d+ blocks behind\n$`));
      const embedded = await openPglite({ dir: path.join(dataDir, "pgdata") });
      try {
        expect(part2Dumps.pglite, "the PGlite suite's read model at the end of part 2").to.not.equal(undefined);
        expect(await dumpReadModel(embedded)).to.deep.equal(part2Dumps.pglite);
      } finally {
        await embedded.close();
      }
    });
  });

  describe("following the head", () => {
    /** A JSON-RPC proxy in front of the node that can be taken down (connection refused) and up again. */
    async function startProxy(upstream: string) {
      const sockets = new Set<import("node:net").Socket>();
      const server = http.createServer(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const answer = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
        response.writeHead(answer.status, { "content-type": "application/json" }).end(Buffer.from(await answer.arrayBuffer()));
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      return {
        url: `http://127.0.0.1:${port}`,
        async down() {
          for (const socket of sockets) socket.destroy();
          await new Promise((resolve) => server.close(resolve));
        },
        async up() {
          await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
        },
      };
    }

    const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };

    /** An indexer following the story's node from the start, with `options` on top. */
    const following = (db: Database, options: Partial<StartIndexerParameters>) =>
      startIndexer({ db, chain: createJsonRpcChainReader({ url: chain.node.url }), source, pageBlocks: 500, pollIntervalMs: 50, ...options });

    /** Mints a delivery as the story's cooperative and mines a block after it; answers the block it was mined in. */
    const mintOne = async (label: string) => {
      const cooperative = LotRegistry__factory.connect(story.registry, await chain.provider.getSigner(1));
      const sent = await cooperative.mint({ form: Form.wetBeans, grams: 1_000n, quality: 0, metadata: digest(label), origin: digest(`${label} origin`) });
      await chain.provider.send("evm_mine", []);
      return (await sent.wait())!.blockNumber;
    };

    it("holds new blocks back during a burst of writes for at most maxDeferMs, but not from someone waiting for a block", async () => {
      const db = await openScratchPglite();
      let busy = false;
      const indexer = following(db, { readyLagBlocks: 0, deferWhile: () => busy, maxDeferMs: 1_500 });
      try {
        await until(async () => (await indexer.readiness()).ok, "caught up");
        busy = true;
        const held = await mintOne("burst 1");
        const mintedAt = Date.now();
        await until(() => indexer.status().deferringSince !== null, "deferring");
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(indexer.status().indexedBlock).to.be.lessThan(held);
        const ready = await indexer.readiness();
        expect(ready.ok).to.equal(true);
        expect(ready.detail).to.have.property("deferringSince");
        // Still busy, yet indexed once the block has waited maxDeferMs.
        await until(() => (indexer.status().indexedBlock ?? -1) >= held, "indexed after maxDeferMs", 10_000);
        expect(Date.now() - mintedAt).to.be.at.least(1_000);

        // Someone waiting for a block is served at once.
        const awaited = await mintOne("burst 2");
        const asked = Date.now();
        await indexer.waitForBlock(awaited);
        expect(Date.now() - asked).to.be.lessThan(1_000);

        // The burst over, blocks are indexed as they come.
        busy = false;
        const after = await mintOne("after the burst");
        await until(() => (indexer.status().indexedBlock ?? -1) >= after, "indexed after the burst", 2_000);
        expect(indexer.status().deferringSince).to.equal(null);
      } finally {
        await indexer.stop();
        await db.close();
      }
    });

    it("makes a followed block known only after beforeAdvance, with the block's rows already committed; a failing one does not hold it back", async () => {
      const db = await openScratchPglite();
      const seen: Array<{ block: number; toldBefore: number | null; committed: number }> = [];
      let failNext = false;
      let gate: Promise<void> | null = null;
      let holdFrom = Number.POSITIVE_INFINITY;
      let release = () => {};
      const indexer = following(db, {
        beforeAdvance: async (block) => {
          const { rows } = await db.query<{ block_number: string | number }>("select block_number from indexer_checkpoint order by block_number desc limit 1");
          seen.push({ block, toldBefore: indexer.status().indexedBlock, committed: Number(rows[0]!.block_number) });
          if (block >= holdFrom) await gate;
          if (failNext) throw new Error("a page could not be remade");
        },
      });
      const cooperative = LotRegistry__factory.connect(story.registry, await chain.provider.getSigner(1));
      try {
        await until(async () => (await indexer.readiness()).ok, "caught up");
        gate = new Promise<void>((resolve) => (release = resolve));
        holdFrom = (await chain.provider.getBlockNumber()) + 1;
        const followed = await mintOne("a followed block");
        await until(() => seen.some((entry) => entry.block >= holdFrom), "a new block's beforeAdvance");
        const first = seen.find((entry) => entry.block >= holdFrom)!;
        expect(first.committed, "the block's rows are committed before the hook").to.be.at.least(first.block);
        expect(first.toldBefore).to.be.lessThan(first.block);
        let waited = false;
        const waiting = indexer.waitForBlock(first.block).then(() => (waited = true));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(indexer.status().indexedBlock, "held back while the hook runs").to.equal(first.toldBefore);
        expect(waited).to.equal(false);
        release();
        await waiting;
        await indexer.waitForBlock(followed);

        failNext = true;
        const lotId = await cooperative.nextLotId(story.accounts.cooperative);
        const minted = await mintOne("after a failing hook");
        await indexer.waitForBlock(minted);
        const { rows } = await db.query("select grams from lots where lot_id = $1", [lotId]);
        expect(rows).to.deep.equal([{ grams: "1000" }]);
        expect(seen.some((entry) => entry.block >= minted), "the failing hook ran").to.equal(true);
        expect(indexer.status().state).to.equal("following");
      } finally {
        release();
        await indexer.stop();
        await db.close();
      }
    });

    it("backs off while the node is unreachable, reports it in readiness, and catches up when it is back", async () => {
      const db = await openScratchPglite();
      const proxy = await startProxy(chain.node.url);
      const indexer = startIndexer({
        db,
        chain: createJsonRpcChainReader({ url: proxy.url, timeoutMs: 2_000 }),
        source,
        pageBlocks: 500,
        pollIntervalMs: 50,
        backoff: { initialMs: 50, maxMs: 400 },
        readyLagBlocks: 2,
      });
      try {
        await indexer.waitForBlock(story.part2Block);
        await until(async () => (await indexer.readiness()).ok, "ready");

        await proxy.down();
        await until(() => indexer.status().state === "retrying", "retrying");
        const notReady = await indexer.readiness();
        expect(notReady.ok).to.equal(false);
        expect(notReady.detail).to.deep.include({ state: "retrying" });
        expect((notReady.detail as { lastError: string }).lastError).to.contain("unreachable");

        // The chain moves on while the indexer cannot see it.
        const cooperative = LotRegistry__factory.connect(story.registry, await chain.provider.getSigner(1));
        const lotId = await cooperative.nextLotId(story.accounts.cooperative);
        const sent = await cooperative.mint({ form: Form.wetBeans, grams: 7_000n, quality: 0, metadata: digest("late"), origin: digest("late origin") });
        await chain.provider.send("evm_mine", []);
        const receipt = (await sent.wait())!;

        await proxy.up();
        await indexer.waitForBlock(receipt.blockNumber);
        const { rows } = await db.query("select grams, status from lots where lot_id = $1", [lotId]);
        expect(rows).to.deep.equal([{ grams: "7000", status: "active" }]);
        await until(async () => (await indexer.readiness()).ok, "ready again");
        expect(indexer.status().lastError).to.equal(null);
      } finally {
        await indexer.stop();
        await proxy.down().catch(() => {});
        await db.close();
      }
    });

    it("stops loudly on a history-head mismatch: failed, not ready, nothing of the bad batch written", async () => {
      const db = await openScratchPglite();
      const offered = LotRegistry__factory.createInterface().getEvent("HandoverOffered")!.topicHash;
      // A node whose HandoverOffered heads are one bit off: what an encoding drift looks like.
      const tampering: ChainReader = {
        ...reader,
        getLogs: async (parameters) =>
          (await reader.getLogs(parameters)).map((log) =>
            log.topics[0] === offered ? { ...log, data: log.data.slice(0, -1) + (log.data.endsWith("0") ? "1" : "0") } : log,
          ),
      };
      const indexer = startIndexer({ db, chain: tampering, source, pageBlocks: 1000, batchLogs: 1, pollIntervalMs: 50 });
      try {
        const error = await indexer.done.then(
          () => expect.fail("the indexer must stop"),
          (caught: unknown) => caught,
        );
        expect(error).to.be.instanceOf(HistoryHeadMismatchError);
        expect((error as HistoryHeadMismatchError).lotId).to.equal(story.lots.merged);
        expect((error as HistoryHeadMismatchError).event).to.equal("offered");
        expect(indexer.status().state).to.equal("failed");
        expect((await indexer.readiness()).ok).to.equal(false);
        const checkpoint = (await readCheckpoint(db, "public", source))!;
        const events = await db.query("select count(*)::int as n from lot_events where lot_id = $1 and kind = 'offered'", [story.lots.merged]);
        expect(events.rows[0]!.n).to.equal(0);
        expect(checkpoint < (error as HistoryHeadMismatchError).position).to.equal(true);
      } finally {
        await indexer.stop();
        await db.close();
      }
    });
  });
});
