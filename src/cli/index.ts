#!/usr/bin/env node
import { Command } from "commander";
import { registerStartCommand } from "./commands/start";
import { registerEvidenceCommand } from "./commands/evidence";
import { registerIndexCommand } from "./commands/index";
import { registerKeysCommand } from "./commands/keys";
import { registerMembersCommand } from "./commands/members";
import { registerLabelsCommand } from "./commands/labels";
import { registerVerifyCommand } from "./commands/verify";
import { registerGovernanceCommand } from "./commands/governance";
import { registerImportCommand } from "./commands/import";
import { registerDdsCommand } from "./commands/dds";

const program = new Command("firstmile").description("traceability for the first mile of rubber and cocoa");
registerStartCommand(program);
registerEvidenceCommand(program);
registerIndexCommand(program);
registerMembersCommand(program);
registerKeysCommand(program);
registerLabelsCommand(program);
registerVerifyCommand(program);
registerGovernanceCommand(program);
registerImportCommand(program);
registerDdsCommand(program);

program.parseAsync().catch((error: unknown) => {
  console.error(`firstmile: ${error instanceof Error ? error.message : String(error)}`);
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  process.exit(typeof exitCode === "number" && exitCode > 0 ? exitCode : 1);
});
