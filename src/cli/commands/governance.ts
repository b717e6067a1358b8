import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { Signer } from "ethers";
import { loadConfig } from "../../config";
import { connectChain } from "../../gateway/connectChain";
import { DEFAULT_SALT, TARGETS, encodeProposal, findProposal, governanceOf, listProposals, type ProposalSummary } from "../../governance";

export type GovernanceCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

type Common = { dataDir?: string };
type Chain = Awaited<ReturnType<typeof connectChain>>;

/**
 * `firstmile governance propose|approve|object|cancel|execute|list|show`: changes that add trust
 * or power (docs/governance.md) as proposals a quorum of governors approves, run after a delay.
 * Signs with the governor account this machine holds: FIRSTMILE_GOVERNOR_KEY (a key from the
 * environment, a file or an external signer), else the embedded chain's first account; without
 * one it prints the call to sign instead.
 */
export function registerGovernanceCommand(
  program: Command,
  io: GovernanceCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout },
): void {
  const governance = program.command("governance").description("proposals: propose, approve, object, cancel, execute, list, show");
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const dataDirOption = ["--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)"] as const;

  const withChain = async <T>(options: Common, fn: (chain: Chain) => Promise<T>): Promise<T> => {
    const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
    const chain = await connectChain(config);
    try {
      return await fn(chain);
    } finally {
      await chain.stop();
    }
  };
  /** Sends `method(args)` on the governance contract as the local governor, or says what to sign. */
  const act = async (chain: Chain, method: "propose" | "approve" | "object" | "cancel" | "execute", args: unknown[]) => {
    const contract = governanceOf(chain.deployments, chain.provider);
    if (!chain.governor) {
      const data = (contract.interface as unknown as import("ethers").Interface).encodeFunctionData(method, args);
      print(`no governor key here (FIRSTMILE_GOVERNOR_KEY): sign this call with your governor account (or send it through /v1/relay):`);
      print(`  to   ${await contract.getAddress()}`);
      print(`  data ${data}`);
      return null;
    }
    const signed = contract.connect(chain.governor as Signer) as unknown as Record<string, (...a: unknown[]) => Promise<{ hash: string; wait(): Promise<{ status: number | null } | null> }>>;
    const tx = await signed[method](...args);
    const receipt = await tx.wait();
    if (receipt?.status !== 1) throw new Error(`${method} transaction ${tx.hash} failed`);
    return tx.hash;
  };

  governance
    .command("propose")
    .description("propose a call, e.g. --target lots --function setMemberActive --args '[7, false]'")
    .requiredOption("--target <name>", `contract: ${TARGETS.join(", ")}`)
    .requiredOption("--function <name>", "the function to call")
    .option("--args <json>", "its arguments as a JSON array", "[]")
    .option(...dataDirOption)
    .action(async (options: Common & { target: string; function: string; args: string }) =>
      withChain(options, async (chain) => {
        const call = encodeProposal(chain.deployments, options.target, options.function, options.args);
        const contract = governanceOf(chain.deployments, chain.provider);
        const id = await contract.proposalId(call.target, call.data, DEFAULT_SALT);
        const hash = await act(chain, "propose", [call.target, call.data, DEFAULT_SALT]);
        if (hash) print(`proposed ${call.description} as ${id} (transaction ${hash})`);
        if (hash) printProposal(print, await findProposal(chain.deployments, chain.provider, id));
      }),
    );

  for (const [verb, method, done] of [
    ["approve", "approve", "approved"],
    ["object", "object", "objected to"],
    ["cancel", "cancel", "withdrew"],
  ] as const) {
    governance
      .command(`${verb} <id>`)
      .description(`${verb} a pending proposal`)
      .option(...dataDirOption)
      .action(async (id: string, options: Common) =>
        withChain(options, async (chain) => {
          await findProposal(chain.deployments, chain.provider, id);
          const hash = await act(chain, method, [id]);
          if (hash) print(`${done} ${id} (transaction ${hash})`);
          if (hash) printProposal(print, await findProposal(chain.deployments, chain.provider, id));
        }),
      );
  }

  governance
    .command("execute <id>")
    .description("run a pending proposal whose delay has passed and quorum is reached")
    .option(...dataDirOption)
    .action(async (id: string, options: Common) =>
      withChain(options, async (chain) => {
        const proposal = await findProposal(chain.deployments, chain.provider, id);
        const hash = await act(chain, "execute", [proposal.target, proposal.data, proposal.salt]);
        if (hash) print(`executed ${proposal.description} (transaction ${hash})`);
      }),
    );

  governance
    .command("list")
    .description("every proposal with its state, approvals and when it can run")
    .option(...dataDirOption)
    .action(async (options: Common) =>
      withChain(options, async (chain) => {
        const proposals = await listProposals(chain.deployments, chain.provider);
        if (proposals.length === 0) print("no proposals");
        for (const proposal of proposals) printProposal(print, proposal);
      }),
    );

  governance
    .command("show <id>")
    .description("one proposal")
    .option(...dataDirOption)
    .action(async (id: string, options: Common) =>
      withChain(options, async (chain) => printProposal(print, await findProposal(chain.deployments, chain.provider, id))),
    );
}

function printProposal(print: (line: string) => void, proposal: ProposalSummary): void {
  const ready = new Date(proposal.readyAt * 1000).toISOString();
  print(`${proposal.id}  ${proposal.state}  ${proposal.description}`);
  print(`  proposed by member ${proposal.proposer}; approvals ${proposal.approvals} of ${proposal.required} needed; objections ${proposal.objections}; can run from ${ready}`);
}
