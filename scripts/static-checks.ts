/**
 * npm run check: the type check and the type-aware lint over one TypeScript program. `tsc --noEmit`
 * and ESLint's project service would each build their own program of the same ~3,000 files (most of
 * them the SDKs' declarations), and building it is most of what either costs.
 * Same verdicts as `npm run typecheck` and `npm run lint`, which stay for running one of them alone.
 */
import { ESLint } from "eslint";
import ts from "typescript";
import { repoRoot } from "./lib/stack-file";

function typeScriptProgram(): ts.Program {
  const configFile = ts.findConfigFile(repoRoot, ts.sys.fileExists, "tsconfig.json");
  if (!configFile) throw new Error(`no tsconfig.json in ${repoRoot}`);
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
}

async function main(): Promise<number> {
  const program = typeScriptProgram();
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => repoRoot, getNewLine: () => "\n" };
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  }
  const eslint = new ESLint({
    cwd: repoRoot,
    // The program above replaces the project service that eslint.config.mjs asks for.
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
  });
  const results = await eslint.lintFiles(["."]);
  const formatted = await (await eslint.loadFormatter("stylish")).format(results);
  if (formatted) process.stderr.write(formatted);
  const lintErrors = results.reduce((sum, result) => sum + result.errorCount, 0);
  const lintWarnings = results.reduce((sum, result) => sum + result.warningCount, 0);
  process.stdout.write(`check: ${diagnostics.length} type errors, ${lintErrors} lint errors, ${lintWarnings} lint warnings in ${results.length} files\n`);
  return diagnostics.length > 0 || lintErrors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`check: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
