// Runs the TypeScript sources as they are: `node -r ./scripts/register-ts.js src/cli/index.ts`.
// Each .ts file is transpiled when first required, with the project's compiler options and no
// type check (`npm test` type-checks), as ts-node's transpile-only mode does; unlike ts-node it
// does not load node's REPL, whose `domain` module slows every event emitter and promise of the
// gateway (measured: about a fifth of its HTTP intake). Stack traces point into the .ts files.
//
// Transpiling the gateway's ~300 files (the contract bindings among them) takes about 9 s of CPU,
// paid by every start and every test run: the output is kept in node_modules/.cache, keyed by the
// file's path and text, the compiler's version and options, so a file is transpiled once until
// it changes. The cache is only ever a shortcut: unreadable or unwritable, the file is transpiled.
//
// The compiler itself (a third of a second to load) is loaded only when a file is not in the
// cache: the key names the compiler's version and the text of tsconfig.json instead of the
// options parsed from it, so a command whose files are all cached never loads it.
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const OUTPUT = { sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };

const cacheDir = path.join(root, "node_modules", ".cache", "firstmile-ts");
const cacheSalt = JSON.stringify([
  JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version,
  fs.readFileSync(path.join(root, "tsconfig.json"), "utf8"),
  OUTPUT,
]);

let compiler = null;
function transpile(filename, source) {
  if (!compiler) {
    const ts = require("typescript");
    const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
    if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, "\n"));
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    compiler = { ts, compilerOptions: { ...options, ...OUTPUT } };
  }
  return compiler.ts.transpileModule(source, { compilerOptions: compiler.compilerOptions, fileName: filename }).outputText;
}

function cachedTranspile(filename, source) {
  const key = crypto.createHash("sha256").update(cacheSalt).update("\0").update(filename).update("\0").update(source).digest("hex");
  const file = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    // not cached yet
  }
  const output = transpile(filename, source);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed: a process reading the same entry meanwhile sees all of it or none.
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, output);
    fs.renameSync(partial, file);
  } catch {
    // a read-only checkout: transpiled each time, as without the cache
  }
  return output;
}

process.setSourceMapsEnabled(true);
require.extensions[".ts"] = (module, filename) => {
  module._compile(cachedTranspile(filename, fs.readFileSync(filename, "utf8")), filename);
};

/** Transpiles `filename` into the cache unless it is there already (scripts/warm-ts-cache.js). */
exports.cacheFile = (filename) => {
  cachedTranspile(filename, fs.readFileSync(filename, "utf8"));
};
