import type { Writable } from "node:stream";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config";
import { sendControlCommand } from "../../gateway/controlClient";
import type { AddMemberParameters, MemberSummary, addMember, listMembers } from "../../gateway/memberAdmin";
import { Role, type RoleName } from "../../membership/roles";

// The stores, the chain and the member functions are loaded only when no gateway answers on the
// control socket: a command answered by the running gateway loads none of them.
// (`require`: the sources are CommonJS, and `import()` would go to Node's ESM loader.)
const memberAdmin = () => require("../../gateway/memberAdmin") as typeof import("../../gateway/memberAdmin");

export type MembersCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

type Common = { dataDir?: string };

/**
 * `firstmile members add|list|suspend|token`: members on chain (through a governor), their
 * custodial keys in the keystore, their API tokens. While a gateway runs on the data dir the
 * commands go through its control socket (it holds the database); otherwise they open the
 * stores themselves (starting the embedded chain for the time of the command).
 */
export function registerMembersCommand(program: Command, io: MembersCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const members = program.command("members").description("network members: add, list, suspend, issue API tokens");
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const dataDirOption = ["--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)"] as const;

  members
    .command("add")
    .description("add a member on chain, generate a custodial key per account (unless --account gives its own), and issue an API token")
    .requiredOption("--roles <roles>", `comma-separated: ${Object.keys(Role).join(", ")}`)
    .requiredOption("--country <cc>", "ISO 3166-1 alpha-2 country code, e.g. ID")
    .option("--account <address...>", "accounts whose keys the member holds itself (self-custody)")
    .option("--custodial <n>", "custodial accounts to generate (default 1 without --account, else 0)")
    .option("--metadata <digest>", "sha2-256 digest of the member's metadata document CID (0x + 64 hex)")
    .option("--label <text>", "label stored with the token")
    .option("--no-token", "issue no API token")
    .option(...dataDirOption)
    .action(async (options: Common & { roles: string; country: string; account?: string[]; custodial?: string; metadata?: string; label?: string; token: boolean }) => {
      const request: AddMemberParameters = {
        roles: parseRoles(options.roles),
        country: options.country,
        metadata: options.metadata,
        accounts: options.account,
        custodialAccounts: options.custodial === undefined ? undefined : parseCount(options.custodial),
        token: options.token,
        label: options.label,
      };
      const added = await run(io, options, { method: "POST", path: "/members", body: request }, async (admin) => memberAdmin().addMember(admin, request)) as {
        memberId: string | bigint;
        accounts: Array<{ address: string; custodial: boolean }>;
        token: string | null;
        txHash: string;
      };
      print(`member ${added.memberId} added (${request.roles.join(", ")}, ${request.country}); transaction ${added.txHash}`);
      for (const account of added.accounts) print(`  account ${account.address} ${account.custodial ? "custodial (key in the gateway's keystore)" : "self-custody"}`);
      if (added.token) {
        print(`  API token (shown once, store it now): ${added.token}`);
      }
    });

  members
    .command("list")
    .description("every member on chain, with custodial accounts and live tokens here")
    .option(...dataDirOption)
    .action(async (options: Common) => {
      const list = (await run(io, options, { method: "GET", path: "/members" }, async (admin) => memberAdmin().listMembers(admin))) as Array<Omit<MemberSummary, "memberId"> & { memberId: string | bigint }>;
      for (const member of list) {
        print(`member ${member.memberId}  ${member.active ? "active   " : "suspended"}  ${member.country}  ${member.roles.join(",")}  tokens ${member.activeTokens}`);
        for (const account of member.accounts) {
          print(`  ${account.address}  ${account.custodial ? "custodial" : "own key  "}  ${account.active ? "active" : `suspended (${account.suspended ?? "account"})`}`);
        }
      }
    });

  members
    .command("suspend <memberId>")
    .description("suspend a member on chain (none of its accounts may act) and revoke its API tokens")
    .option(...dataDirOption)
    .action(async (memberId: string, options: Common) => {
      const id = parseMemberId(memberId);
      const result = (await run(io, options, { method: "POST", path: `/members/${id}/suspend` }, async (admin) => memberAdmin().suspendMember(admin, id))) as { revokedTokens: number; txHash: string };
      print(`member ${id} suspended (transaction ${result.txHash}); ${result.revokedTokens} API token(s) revoked`);
    });

  members
    .command("token <memberId>")
    .description("issue another API token for a member (shown once)")
    .option("--label <text>", "label stored with the token")
    .option(...dataDirOption)
    .action(async (memberId: string, options: Common & { label?: string }) => {
      const id = parseMemberId(memberId);
      const result = (await run(io, options, { method: "POST", path: `/members/${id}/tokens`, body: { label: options.label ?? "" } }, async (admin) => ({
        token: await memberAdmin().issueMemberToken(admin, id, options.label ?? ""),
      }))) as { token: string };
      print(`API token for member ${id} (shown once, store it now): ${result.token}`);
    });

  members
    .command("enrol-phone <memberId>")
    .description("a one-time enrolment link (and QR code) for a field agent's phone of a cooperative: open it on the phone (docs/field-app.md)")
    .option("--label <text>", "who the phone is for")
    .option("--minutes <n>", "how long the link may be used (once)", "1440")
    .option(...dataDirOption)
    .action(async (memberId: string, options: Common & { label?: string; minutes: string }) => {
      const id = parseMemberId(memberId);
      const minutes = Number(options.minutes);
      if (!Number.isInteger(minutes) || minutes < 5 || minutes > 7 * 24 * 60) throw new Error("--minutes: 5 to 10080");
      const body = { label: options.label ?? "", ttlMinutes: minutes };
      const result = (await run(io, options, { method: "POST", path: `/members/${id}/enrolments`, body }, async (admin) => {
        const { createEnrolment } = require("../../field") as typeof import("../../field");
        const enrolment = await createEnrolment(admin.db, id, body.label, minutes);
        return { token: enrolment.token, expiresAt: enrolment.expiresAt.toISOString(), publicUrl: null };
      })) as { token: string; expiresAt: string; publicUrl: string | null };
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const base = result.publicUrl ?? config.publicUrl ?? `http://localhost:${config.http.port}`;
      const url = `${base}/field/#enrol=${result.token}`;
      const { qrTerminal } = require("../../web/qr") as typeof import("../../web/qr");
      print(`enrolment link for a phone of member ${id} (once, until ${result.expiresAt}):\n${url}\n${await qrTerminal(url)}`);
    });
}

type LocalAdmin = Parameters<typeof addMember>[0] & { provider: Parameters<typeof listMembers>[0]["provider"] };

/** Through the running gateway's control socket, or with the stores opened here. */
async function run(
  io: MembersCommandIo,
  options: Common,
  remote: { method: "GET" | "POST"; path: string; body?: unknown },
  local: (admin: LocalAdmin) => Promise<unknown>,
): Promise<unknown> {
  const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
  const answer = await sendControlCommand(config.paths.controlSocket, remote.method, remote.path, remote.body);
  if (answer) {
    if (answer.status !== 200) {
      const error = (answer.body as { error?: { message?: string; advice?: string[] } }).error;
      throw new Error([error?.message ?? `the gateway answered ${answer.status}`, ...(error?.advice ?? [])].join("\n"));
    }
    return answer.body;
  }
  return withLocalAdmin(config, local);
}

async function withLocalAdmin<T>(config: Config, fn: (admin: LocalAdmin) => Promise<T>): Promise<T> {
  const { connectChain } = require("../../gateway/connectChain") as typeof import("../../gateway/connectChain");
  const { openDatabase } = require("../../db") as typeof import("../../db");
  const { openKeystore } = require("../../chain/keystore") as typeof import("../../chain/keystore");
  const chain = await connectChain(config);
  try {
    const { db } = await openDatabase({ config: config.database });
    try {
      const { keystore } = await openKeystore({ db, config: config.keystore });
      return await fn({ db, keystore, registry: chain.registry, governor: chain.governor, chainId: chain.chainId, provider: chain.provider });
    } finally {
      await db.close();
    }
  } finally {
    await chain.stop();
  }
}

function parseRoles(text: string): RoleName[] {
  const names = text.split(",").map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(name in Role)) throw new Error(`unknown role ${JSON.stringify(name)}: use ${Object.keys(Role).join(", ")}`);
  }
  if (names.length === 0) throw new Error("--roles: at least one role");
  return names as RoleName[];
}

function parseCount(text: string): number {
  if (!/^\d{1,2}$/.test(text)) throw new Error("--custodial: a number of accounts, 0-64");
  return Number(text);
}

function parseMemberId(text: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(text)) throw new Error(`not a member id: ${JSON.stringify(text)}`);
  return BigInt(text);
}
