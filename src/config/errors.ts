import { NonRetryableError } from "../errors/base";

/** Where a configuration value came from, lowest precedence first. */
export type ConfigSource = "default" | "file" | "env" | "argv";

/** One thing wrong with the configuration, named as the operator wrote it. */
export type ConfigIssue = {
  /** The key as the operator wrote it: `FIRSTMILE_PORT`, `--port`, `http.port`. */
  key: string;
  source: ConfigSource;
  /** The config file, when the key came from one. */
  file?: string | undefined;
  message: string;
};

/**
 * The configuration cannot be used: an unknown key, a bad value, or a combination the profile
 * forbids. Thrown before anything starts; the message lists every problem, each with its key.
 */
export class ConfigError extends NonRetryableError {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];
  /** The key of the first issue, for callers that want one name. */
  readonly key: string;

  constructor(issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `- ${describeIssueKey(issue)}: ${issue.message}`);
    super(issues.length === 1 ? `Invalid configuration: ${lines[0]!.slice(2)}` : `Invalid configuration (${issues.length} problems)`, {
      metaMessages: issues.length === 1 ? undefined : lines,
      cause: options.cause,
    });
    this.issues = issues;
    this.key = issues[0]?.key ?? "";
  }
}

function describeIssueKey(issue: ConfigIssue): string {
  switch (issue.source) {
    case "env":
      return `${issue.key} (environment)`;
    case "argv":
      return `${issue.key} (command line)`;
    case "file":
      return issue.file ? `${issue.key} (in ${issue.file})` : `${issue.key} (config file)`;
    default:
      return issue.key;
  }
}
