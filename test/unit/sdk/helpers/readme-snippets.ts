import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";

/**
 * Pulls the TypeScript blocks out of a Markdown file and typechecks them against the real SDK,
 * for test/unit/sdk/readme-snippets.test.ts. The convention the README follows:
 *
 * - Every fence whose info string is `ts` or `typescript` is a snippet, and every snippet is
 *   checked (a test may list a block it cannot check by name, with the reason).
 * - A block whose first line is `// name.ts` is the file `name.ts`: other blocks may import it as
 *   `./name.ts` (the worker imports `./workflows.ts`, as a reader's project would).
 * - A fragment that uses names defined elsewhere (a `ctx`, a `client`, imports shown in an earlier
 *   block) says so in an HTML comment on the line right before its fence, which Markdown hides:
 *   `<!-- snippet: prelude=client -->` (several: `prelude=workflow-imports,step-functions`).
 *   The named preludes are declarations kept in the test, put before the snippet's code.
 */

/** One fenced TypeScript block of the Markdown. */
export interface Snippet {
  /** Stable name: the `// name.ts` of its first line, else its section heading (`#2`… when a section has several). */
  name: string;
  /** The (virtual) file it is checked as. */
  fileName: string;
  /** 1-based line of the opening fence in the Markdown. */
  fenceLine: number;
  code: string;
  /** Prelude names from the marker comment before the fence. */
  preludes: string[];
}

const FENCE = /^(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^<!--\s*snippet:(.*?)-->\s*$/;
const FILE_COMMENT = /^\/\/\s*([\w.-]+\.ts)\s*$/;

/** Every ```ts block of `markdown`. Throws on a marker that precedes no ts block, or a malformed one. */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const snippets: Snippet[] = [];
  const perSection = new Map<string, number>();
  let heading = "(top)";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heads = /^#{1,6}\s+(.*)$/.exec(line);
    if (heads?.[1]) heading = heads[1].trim();
    const marker = MARKER.exec(line.trim());
    if (marker) {
      const next = FENCE.exec(lines[i + 1] ?? "");
      if (!next || !isTs(next[2] ?? "")) throw new Error(`README line ${i + 1}: a snippet marker must sit right before a \`\`\`ts fence`);
    }
    const open = FENCE.exec(line);
    if (!open) continue;
    const fence = open[1] ?? "```";
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? "").trimEnd().startsWith(fence)) end++;
    if (end >= lines.length) throw new Error(`README line ${i + 1}: unclosed code fence`);
    if (isTs(open[2] ?? "")) {
      const code = lines.slice(i + 1, end).join("\n");
      const count = (perSection.get(heading) ?? 0) + 1;
      perSection.set(heading, count);
      const fileComment = FILE_COMMENT.exec(lines[i + 1] ?? "");
      const name = fileComment?.[1] ?? (count === 1 ? heading : `${heading} #${count}`);
      const fileName = fileComment?.[1] ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.ts`;
      snippets.push({ name, fileName, fenceLine: i + 1, code, preludes: parseMarker(lines[i - 1] ?? "", i) });
    }
    i = end; // headings and markers inside a fence (a shell `# comment`) are code
  }
  const seen = new Set<string>();
  for (const s of snippets) {
    if (seen.has(s.fileName)) throw new Error(`README line ${s.fenceLine}: two snippets would be the file ${s.fileName}`);
    seen.add(s.fileName);
  }
  return snippets;
}

function isTs(info: string): boolean {
  return info === "ts" || info === "typescript";
}

function parseMarker(line: string, lineIndex: number): string[] {
  const m = MARKER.exec(line.trim());
  if (!m) return [];
  const preludes: string[] = [];
  for (const part of (m[1] ?? "").trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = part.split("=");
    if (key !== "prelude" || !value) throw new Error(`README line ${lineIndex}: unknown snippet marker option "${part}" (only prelude=a,b)`);
    preludes.push(...value.split(","));
  }
  return preludes;
}

/** A snippet as one virtual source file: the preludes' text, then its code. */
export interface SnippetFile {
  fileName: string;
  text: string;
  /** How many lines of `text` come before the snippet's code. */
  preludeLines: number;
}

/** Lays out a snippet's file; `export {}` makes it a module, so its top-level `await` and names stay its own. */
export function snippetFile(fileName: string, code: string, preludeText: string): SnippetFile {
  const prelude = preludeText === "" ? "" : `${preludeText.trimEnd()}\n`;
  return { fileName, text: `${prelude}${code}\nexport {};\n`, preludeLines: prelude === "" ? 0 : prelude.split("\n").length - 1 };
}

/** A type error in a snippet, placed on its snippet line (1-based; 0 or less: in its prelude). */
export interface SnippetError {
  fileName: string;
  snippetLine: number;
  message: string;
}

/**
 * Typechecks every file in one Program with the project's compiler options (tsconfig.json). The
 * files are virtual but live in `<root>/.readme-snippets/`, so `@sundial/sdk/*` and `zod` resolve
 * as they do for any file of the repository, and `./workflows.ts` to the snippet of that name.
 * Returns the errors by file name; only the snippets are checked (the SDK has `npm run typecheck`).
 */
export function typecheckSnippets(root: string, files: SnippetFile[]): Map<string, SnippetError[]> {
  const configPath = join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath), { noEmit: true }, configPath);
  const dir = join(root, ".readme-snippets");
  const virtual = new Map(files.map((f) => [resolve(dir, f.fileName), f]));
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => virtual.has(resolve(name)) || fileExists.call(host, name);
  host.directoryExists = (name) => resolve(name) === dir || ts.sys.directoryExists(name); // else `./workflows.ts` is not looked for
  host.readFile = (name) => virtual.get(resolve(name))?.text ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const f = virtual.get(resolve(name));
    return f ? ts.createSourceFile(name, f.text, languageVersion, true) : getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const errors = new Map<string, SnippetError[]>(files.map((f) => [f.fileName, []]));
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, host));
  for (const [path, f] of virtual) {
    const source = program.getSourceFile(path);
    if (!source) throw new Error(`snippet ${f.fileName} is not in the program`);
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      errors.get(f.fileName)?.push({ fileName: f.fileName, snippetLine: line - f.preludeLines + 1, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") });
    }
  }
  return errors;
}

/** The README of the repository at `root`. */
export function readReadme(root: string): string {
  return readFileSync(join(root, "README.md"), "utf8");
}
