/**
 * The executable's flags, through the real binary: `--help` on every command, and bad input
 * refused with a message naming the flag and the value, and exit code 1.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { ensureBuilt, runBin } from "./binary.js"

beforeAll(ensureBuilt, 180_000)

describe("intelligent-retry (the built binary)", () => {
  it("prints --help for the root command and for each command", async () => {
    const root = await runBin(["--help"])
    expect(root.code).toBe(0)
    for (const command of ["report", "serve", "check"]) expect(root.stdout).toContain(`- ${command}`)
    const flags: Record<string, ReadonlyArray<string>> = {
      report: ["--db", "--task", "--since", "--json"],
      serve: ["--db", "--port", "--host", "--refresh"],
      check: ["--db", "--window", "--threshold", "--data-threshold", "--task"]
    }
    const helps = await Promise.all(Object.keys(flags).map((command) => runBin([command, "--help"])))
    for (const [i, [command, expected]] of Object.entries(flags).entries()) {
      const help = helps[i]
      expect(help.code, command).toBe(0)
      for (const flag of expected) expect(help.stdout, `${command} ${flag}`).toContain(flag)
    }
  })

  it("refuses bad flags with exit code 1 and a message naming the flag and the value", async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["report", "--db", "x.db", "--since", "3 fortnights"], `Invalid --since: expected a positive duration`],
      [["report", "--db", "x.db", "--since", "0m"], `got "0m"`],
      [["report", "--db", "mysql://u@h/db"], `Invalid --db: expected a path to an SQLite file`],
      [["report", "--db", "postgres://"], `Invalid --db`],
      [["report", "--db", "postgres://u:hunter2@db.example:99999/x"], `got "postgres://u:***@db.example:99999/x"`],
      [["serve", "--db", "x.db", "--port", "70000"], `Invalid --port: expected an integer from 0`],
      [["check", "--db", "x.db", "--window", "soon"], `Invalid --window`],
      [["check", "--db", "x.db", "--threshold", "-1"], `Invalid --threshold`],
      [["report"], `--db`]
    ]
    const runs = await Promise.all(cases.map(([args]) => runBin(args, { INTELLIGENT_RETRY_DB: undefined })))
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i]
      expect(run.code, args.join(" ")).toBe(1)
      expect(run.stdout + run.stderr, args.join(" ")).toContain(message)
      expect(run.stdout + run.stderr).not.toContain("hunter2")
    }
  })

  it("says which database cannot be opened, without its password, and exits 1 within seconds", async () => {
    const missing = await runBin(["report", "--db", ".tmp/no-such-stats.db"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("No such SQLite file:")
    expect(missing.stderr).toContain("no-such-stats.db")

    const started = Date.now()
    const refused = await runBin(["check", "--db", "postgres://postgres:hunter2@127.0.0.1:1/stats"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("Cannot open the database (PostgreSQL postgres://postgres:***@127.0.0.1:1/stats)")
    expect(refused.stderr).toContain("ECONNREFUSED")
    expect(refused.stderr).not.toContain("hunter2")
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})
