/**
 * Where the numbers were measured: CPU, cores, Node, package versions, load, date.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
export const repoRoot = path.resolve(benchRoot, "../..")
export const resultsDir = path.join(repoRoot, "bench/results")
export const docsDir = path.join(repoRoot, "docs")

const require = createRequire(path.join(benchRoot, "package.json"))

const versionOf = (name: string): string => {
  try {
    // packages without an exported package.json: find it next to the resolved entry point
    let dir = path.dirname(require.resolve(name))
    for (;;) {
      const file = path.join(dir, "package.json")
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8"))
        if (pkg.name === name) return pkg.version
      } catch {
        // not here
      }
      const up = path.dirname(dir)
      if (up === dir) return "unknown"
      dir = up
    }
  } catch {
    return "unknown"
  }
}

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly platform: string
  readonly node: string
  readonly packages: Readonly<Record<string, string>>
  /** 1-minute load average when the run started and ended: a load above the core count means a shared machine. */
  readonly loadAverage: { readonly start: number; readonly end: number }
  readonly date: string
}

export const machine = (loadAtStart: number): Machine => {
  const core = JSON.parse(readFileSync(path.join(repoRoot, "packages/core/package.json"), "utf8"))
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: {
      "@intelligent-retry/core": core.version,
      effect: versionOf("effect"),
      cockatiel: versionOf("cockatiel"),
      "p-retry": versionOf("p-retry"),
      tinybench: versionOf("tinybench")
    },
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
    date: new Date().toISOString()
  }
}
