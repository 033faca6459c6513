/**
 * Checks the TypeScript examples of the documentation.
 *
 * Every ```ts (or ```typescript) block of README.md and docs/**\/*.md is extracted into
 * .tmp/docs-examples/ (git-ignored), one module per block, and type-checked with the repository's
 * strict settings (tsconfig.base.json; `@intelligent-retry/*` resolve to their sources). Then:
 *
 * - a block whose fence reads ```ts runnable is run with tsx and must exit 0 within the timeout;
 * - a block whose fence reads ```ts test is a vitest file, run with vitest, and must pass.
 *
 * Relative links between the Markdown files, and their #anchors, are checked too; a broken one is
 * reported as a warning (pages may link to pages still being written).
 *
 * Usage: tsx --conditions source scripts/check-docs.ts [--no-run] [filter…]
 * A filter keeps only the Markdown files whose path contains it.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "..")
const outDir = path.join(root, ".tmp", "docs-examples")
const RUN_TIMEOUT_MS = 60_000
const TEST_TIMEOUT_MS = 180_000

interface Block {
  /** The Markdown file, relative to the root. */
  readonly doc: string
  /** 1-based line of the first line of code (after the fence). */
  readonly line: number
  readonly code: string
  readonly mode: "check" | "runnable" | "test"
  /** The extracted file, absolute. */
  file: string
}

const args = process.argv.slice(2)
const noRun = args.includes("--no-run")
const filters = args.filter((a) => !a.startsWith("--"))

// ---------------------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------------------

const markdownFiles = (): Array<string> => {
  const found: Array<string> = ["README.md"]
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== "api" && entry.name !== "node_modules" && !entry.name.startsWith(".")) walk(rel)
      } else if (entry.name.endsWith(".md")) {
        found.push(rel)
      }
    }
  }
  if (fs.existsSync(path.join(root, "docs"))) walk("docs")
  return found.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/

const extract = (doc: string): Array<Block> => {
  const lines = fs.readFileSync(path.join(root, doc), "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (open === null) continue
    const [, indent, fence, lang, info] = open
    let end = i + 1
    const closes = (l: string) => {
      const t = l.trim()
      return t.length >= fence.length && t === fence[0].repeat(t.length)
    }
    while (end < lines.length && !closes(lines[end])) end++
    if (lang === "ts" || lang === "typescript") {
      const flags = info.split(/[\s,]+/).filter(Boolean)
      const code = lines.slice(i + 1, end).map((l) => l.startsWith(indent) ? l.slice(indent.length) : l).join("\n")
      const mode = flags.includes("test") ? "test" : flags.includes("runnable") ? "runnable" : "check"
      blocks.push({ doc, line: i + 2, code, mode, file: "" })
    }
    i = end
  }
  return blocks
}

const slug = (doc: string) => doc.replace(/\.md$/, "").replace(/[^\w]+/g, "_")

/**
 * Packages that only a workspace package depends on (such as `@effect/platform`) are linked into
 * the examples' own node_modules, so that an example resolves them as a user's project would.
 */
const linkWorkspaceDependencies = () => {
  const modules = path.join(outDir, "node_modules")
  const link = (name: string, from: string) => {
    const target = path.join(modules, name)
    if (fs.existsSync(path.join(root, "node_modules", name)) || fs.existsSync(target)) return
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.symlinkSync(fs.realpathSync(from), target, "dir")
  }
  // the workspace packages themselves, as a user who installed them would have them
  for (const pkg of fs.readdirSync(path.join(root, "packages"))) {
    const manifest = path.join(root, "packages", pkg, "package.json")
    if (fs.existsSync(manifest)) {
      link(JSON.parse(fs.readFileSync(manifest, "utf8")).name, path.join(root, "packages", pkg))
    }
  }
  for (const pkg of fs.readdirSync(path.join(root, "packages"))) {
    const nm = path.join(root, "packages", pkg, "node_modules")
    if (!fs.existsSync(nm)) continue
    const names = fs.readdirSync(nm).filter((n) => !n.startsWith(".")).flatMap((n) =>
      n.startsWith("@") ? fs.readdirSync(path.join(nm, n)).map((s) => `${n}/${s}`) : [n]
    )
    for (const name of names) link(name, path.join(nm, name))
  }
}

const write = (blocks: ReadonlyArray<Block>) => {
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  for (const block of blocks) {
    const name = `${slug(block.doc)}_L${block.line}${block.mode === "test" ? ".test" : ""}.ts`
    block.file = path.join(outDir, name)
    fs.writeFileSync(block.file, `${block.code}\n`)
  }
  const relBase = path.relative(outDir, path.join(root, "tsconfig.base.json"))
  fs.writeFileSync(
    path.join(outDir, "tsconfig.json"),
    JSON.stringify(
      {
        extends: relBase,
        include: ["*.ts"],
        // Examples show a value without always using it; everything else stays strict.
        compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false }
      },
      null,
      2
    )
  )
  fs.writeFileSync(
    path.join(outDir, "vitest.config.ts"),
    [
      `import { defineConfig } from "vitest/config"`,
      `export default defineConfig({`,
      `  resolve: { conditions: ["source"] },`,
      `  ssr: { resolve: { conditions: ["source"] } },`,
      `  test: { include: ["*.test.ts"], testTimeout: 30_000 }`,
      `})`,
      ``
    ].join("\n")
  )
  linkWorkspaceDependencies()
}

// ---------------------------------------------------------------------------------------------
// Links: relative links to Markdown files, and their #anchors, must resolve. Reported as warnings.
// ---------------------------------------------------------------------------------------------

/** GitHub's heading anchors. */
const slugify = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")

const anchorsOf = (file: string): Set<string> => {
  const anchors = new Set<string>()
  let inFence = false
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence
    const heading = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line)
    if (heading !== null) {
      const base = slugify(heading[1])
      let slug = base
      for (let i = 1; anchors.has(slug); i++) slug = `${base}-${i}`
      anchors.add(slug)
    }
  }
  return anchors
}

const checkLinks = (docs: ReadonlyArray<string>): Array<string> => {
  const warnings: Array<string> = []
  for (const doc of docs) {
    const lines = fs.readFileSync(path.join(root, doc), "utf8").split("\n")
    let inFence = false
    lines.forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence
      if (inFence) return
      for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]
        if (/^[a-z]+:/i.test(target)) continue
        const [file, anchor] = target.split("#")
        const resolved = file === "" ? path.join(root, doc) : path.resolve(path.dirname(path.join(root, doc)), file)
        if (!fs.existsSync(resolved)) {
          warnings.push(`${doc}:${i + 1}: link to a missing file: ${target}`)
        } else if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) {
          warnings.push(`${doc}:${i + 1}: link to a missing anchor: ${target}`)
        }
      }
    })
  }
  return warnings
}

// ---------------------------------------------------------------------------------------------
// Type-checking
// ---------------------------------------------------------------------------------------------

const typecheck = (blocks: ReadonlyArray<Block>): Array<string> => {
  const configPath = path.join(outDir, "tsconfig.json")
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    }
  })
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`)
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options })
  const byFile = new Map(blocks.map((b) => [path.resolve(b.file), b]))
  const errors: Array<string> = []
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n")
    const block = d.file === undefined ? undefined : byFile.get(path.resolve(d.file.fileName))
    if (d.file !== undefined && d.start !== undefined && block !== undefined) {
      const { character, line } = d.file.getLineAndCharacterOfPosition(d.start)
      errors.push(`${block.doc}:${block.line + line}:${character + 1}: TS${d.code}: ${message}`)
    } else if (d.file !== undefined) {
      errors.push(`${path.relative(root, d.file.fileName)}: TS${d.code}: ${message}`)
    } else {
      errors.push(`TS${d.code}: ${message}`)
    }
  }
  return errors
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

interface Result {
  readonly code: number | null
  readonly output: string
  readonly timedOut: boolean
}

const exec = (command: string, argv: ReadonlyArray<string>, timeout: number): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, NO_COLOR: "1" }, detached: true })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }, timeout)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output, timedOut })
    })
  })

const bin = (name: string) => path.join(root, "node_modules", ".bin", name)

const runAll = async (blocks: ReadonlyArray<Block>): Promise<Array<string>> => {
  const failures: Array<string> = []
  const queue = [...blocks]
  const worker = async () => {
    for (let block = queue.shift(); block !== undefined; block = queue.shift()) {
      const result = await exec(bin("tsx"), ["--conditions", "source", block.file], RUN_TIMEOUT_MS)
      if (result.timedOut || result.code !== 0) {
        const why = result.timedOut ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : `exited with ${result.code}`
        failures.push(`${block.doc}:${block.line}: runnable example ${why}\n${indent(tail(result.output))}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(4, os.availableParallelism())) }, worker))
  return failures
}

const runTests = async (blocks: ReadonlyArray<Block>): Promise<Array<string>> => {
  if (blocks.length === 0) return []
  const result = await exec(
    bin("vitest"),
    ["run", "--config", path.join(outDir, "vitest.config.ts"), "--root", outDir, "--reporter", "dot"],
    TEST_TIMEOUT_MS
  )
  if (!result.timedOut && result.code === 0) return []
  const where = blocks.map((b) => `${b.doc}:${b.line}`).join(", ")
  const why = result.timedOut ? `timed out after ${TEST_TIMEOUT_MS / 1000} s` : `failed (exit ${result.code})`
  return [`test examples (${where}) ${why}\n${indent(tail(result.output, 60))}`]
}

const tail = (s: string, n = 25) => s.trimEnd().split("\n").slice(-n).join("\n")
const indent = (s: string) => s.split("\n").map((l) => `    ${l}`).join("\n")

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const started = Date.now()
  const docs = markdownFiles()
  const blocks = docs.flatMap(extract)
  write(blocks)
  const typeErrors = typecheck(blocks)
  const runnable = blocks.filter((b) => b.mode === "runnable")
  const tests = blocks.filter((b) => b.mode === "test")
  const failures = [...typeErrors]
  if (!noRun) {
    const [run, tested] = await Promise.all([runAll(runnable), runTests(tests)])
    failures.push(...run, ...tested)
  }
  const linkWarnings = checkLinks(docs)
  if (linkWarnings.length > 0) console.warn(linkWarnings.map((w) => `warning: ${w}`).join("\n"))
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const summary = `${blocks.length} examples in ${docs.length} files type-checked` +
    (noRun ? "" : `, ${runnable.length} run, ${tests.length} run as tests`) + ` in ${seconds} s`
  if (failures.length > 0) {
    console.error(failures.join("\n\n"))
    console.error(`\ndocs:check failed: ${failures.length} problem(s); ${summary}`)
    process.exit(1)
  }
  console.log(`docs:check passed: ${summary}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
