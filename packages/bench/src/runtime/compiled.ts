/**
 * `@intelligent-retry/core` as users run it: compiled by `tsc` (the package's own build settings),
 * into `packages/bench/.tmp/core-dist` (git-ignored), and imported from there.
 *
 * The benchmarks otherwise run the sources through tsx, whose esbuild transform keeps function
 * names by wrapping every named closure in a `__name(fn, "name")` call at creation. Closures created
 * per call (applying the combinator, a failure's decision) then cost more than in the compiled
 * output, so the cases that create closures are measured against both.
 */
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { benchRoot, repoRoot } from "../machine.js"

export type CoreModule = typeof import("@intelligent-retry/core")

export const compiledDir = path.join(benchRoot, ".tmp/core-dist")

/** Builds core with tsc and imports it; `undefined` (with the reason logged) if that fails. */
export const loadCompiledCore = async (log: (line: string) => void): Promise<CoreModule | undefined> => {
  try {
    const tsc = createRequire(path.join(repoRoot, "package.json")).resolve("typescript/bin/tsc")
    execFileSync(
      process.execPath,
      [
        tsc,
        "-p",
        path.join(repoRoot, "packages/core/tsconfig.build.json"),
        "--outDir",
        compiledDir,
        "--declaration",
        "false",
        "--declarationMap",
        "false",
        "--sourceMap",
        "false",
        "--tsBuildInfoFile",
        path.join(benchRoot, ".tmp/core.tsbuildinfo")
      ],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    return (await import(pathToFileURL(path.join(compiledDir, "index.js")).href)) as CoreModule
  } catch (error) {
    log(`compiled core unavailable, its cases are skipped: ${String(error).slice(0, 300)}`)
    return undefined
  }
}
