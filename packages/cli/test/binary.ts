/**
 * The real `intelligent-retry` executable, as an operator runs it: `node packages/cli/dist/bin.js`.
 *
 * {@link ensureBuilt} compiles the packages it loads (core, sql, cli) with `tsc`, once per test
 * run: test files running in parallel wait on a lock directory, and a stamp records the newest
 * source file built, so an unchanged tree is not compiled again.
 */
import { execFile, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)))
export const bin = path.join(root, "packages/cli/dist/bin.js")
const packages = ["core", "sql", "cli"]
const tmp = path.join(root, ".tmp")
const lock = path.join(tmp, "cli-build.lock")
const stamp = path.join(tmp, "cli-build.stamp")

const newestSource = (): number => {
  let newest = 0
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(file)
      else newest = Math.max(newest, fs.statSync(file).mtimeMs)
    }
  }
  for (const p of packages) {
    walk(path.join(root, "packages", p, "src"))
    newest = Math.max(newest, fs.statSync(path.join(root, "packages", p, "package.json")).mtimeMs)
  }
  return newest
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** Builds core, sql and cli into their `dist/` unless the last build is newer than every source. */
export const ensureBuilt = async (): Promise<void> => {
  fs.mkdirSync(tmp, { recursive: true })
  const deadline = Date.now() + 170_000
  for (;;) {
    try {
      fs.mkdirSync(lock)
      break
    } catch {
      // a lock left by a run that was killed while building: a build takes well under 3 minutes
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 180_000) fs.rmSync(lock, { recursive: true, force: true })
      else if (Date.now() > deadline) {
        throw new Error(`ensureBuilt: ${lock} held for too long; remove it if no test runs`)
      }
      await sleep(200)
    }
  }
  try {
    const newest = newestSource()
    const built = fs.existsSync(stamp) && fs.existsSync(bin) ? Number(fs.readFileSync(stamp, "utf8")) : 0
    if (built >= newest) return
    const tsc = path.join(root, "node_modules/typescript/bin/tsc")
    for (const p of packages) {
      execFileSync(process.execPath, [tsc, "-p", path.join(root, "packages", p, "tsconfig.build.json")], {
        cwd: root,
        stdio: "pipe"
      })
    }
    fs.writeFileSync(stamp, String(newest))
  } finally {
    fs.rmdirSync(lock)
  }
}

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built executable with `args` and waits for it to exit (at most 60 s). */
export const runBin = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resolve({ code, stdout, stderr })
      }
    )
  })
