#!/usr/bin/env node
import { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs (or for the help, which lists them
 * all): `firstmile members list` loads no more than members needs, not the gateway `start` loads.
 */
const COMMANDS: Record<string, () => Register> = {
  start: () => (require("./commands/start") as typeof import("./commands/start")).registerStartCommand,
  evidence: () => (require("./commands/evidence") as typeof import("./commands/evidence")).registerEvidenceCommand,
  index: () => (require("./commands/index") as typeof import("./commands/index")).registerIndexCommand,
  members: () => (require("./commands/members") as typeof import("./commands/members")).registerMembersCommand,
  keys: () => (require("./commands/keys") as typeof import("./commands/keys")).registerKeysCommand,
  labels: () => (require("./commands/labels") as typeof import("./commands/labels")).registerLabelsCommand,
  verify: () => (require("./commands/verify") as typeof import("./commands/verify")).registerVerifyCommand,
  governance: () => (require("./commands/governance") as typeof import("./commands/governance")).registerGovernanceCommand,
  import: () => (require("./commands/import") as typeof import("./commands/import")).registerImportCommand,
  eudr: () => (require("./commands/eudr") as typeof import("./commands/eudr")).registerEudrCommand,
  network: () => (require("./commands/network") as typeof import("./commands/network")).registerNetworkCommand,
  epcis: () => (require("./commands/epcis") as typeof import("./commands/epcis")).registerEpcisCommand,
  dds: () => (require("./commands/dds") as typeof import("./commands/dds")).registerDdsCommand,
};

const program = new Command("firstmile").description("traceability for the first mile of rubber and cocoa");
const named = process.argv[2];
const chosen = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
for (const load of chosen) load()(program);

program.parseAsync().catch((error: unknown) => {
  // A command's own exit override rethrows commander's "help shown" as an error with exit code 0.
  if ((error as { code?: unknown; exitCode?: unknown }).code === "commander.helpDisplayed" || (error as { exitCode?: unknown }).exitCode === 0) process.exit(0);
  console.error(`firstmile: ${error instanceof Error ? error.message : String(error)}`);
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  process.exit(typeof exitCode === "number" && exitCode > 0 ? exitCode : 1);
});
