// Runs the TypeScript sources as they are: `node -r ./scripts/register-ts.js src/cli/index.ts`.
// Each .ts file is transpiled when first required, with the project's compiler options and no
// type check (`npm test` type-checks), as ts-node's transpile-only mode does; unlike ts-node it
// does not load node's REPL, whose `domain` module slows every event emitter and promise of the
// gateway (measured: about a fifth of its HTTP intake). Stack traces point into the .ts files.
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, "\n"));
const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };

process.setSourceMapsEnabled(true);
require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
