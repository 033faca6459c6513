/**
 * The demo's main program, run in-process with a small job count against its real local carrier
 * API, and the invariants of its report. Time is real (a server on 127.0.0.1), so the time scale
 * is small: 1/600, which also makes the server's Retry-After (1 s) longer than the policy's own
 * rate-limit wait (0.5 s), the case where an early request could slip through.
 */
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Classifier } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Io } from "../src/Demo.js"
import { cli } from "../src/Demo.js"
import { requestFault, trackingRecord } from "../src/Faults.js"
import { makeJobs } from "../src/Jobs.js"
import { defaults } from "../src/Options.js"
import type { Report, RunReport } from "../src/Report.js"

const capture = () => {
  const out = { stdout: "", stderr: "" }
  const io: Io = {
    stdout: { write: (text) => void (out.stdout += text), isTTY: false },
    stderr: { write: (text) => void (out.stderr += text), isTTY: false }
  }
  return { io, out }
}

const JOBS = 40

// The statistics go to a file of this test's own, not to the demo's default.
const database = path.resolve(
  fileURLToPath(new URL(`../../../.tmp/test-output/demo/stats-${process.pid}.db`, import.meta.url))
)

const args = [
  "--jobs",
  String(JOBS),
  "--seed",
  "7",
  "--concurrency",
  "10",
  "--time-scale",
  "1/600",
  "--network-rate",
  "0.06",
  "--rate-limit-rate",
  "0.15",
  "--server-error-rate",
  "0.08",
  "--malformed-rate",
  "0.12",
  "--unknown-rate",
  "0.12",
  "--json",
  "--db",
  database
]

const sumOutcomes = (run: RunReport) =>
  Object.values(run.outcomes).reduce((n, o) => n + o.succeededFirstTry + o.recovered + o.failed, 0)

describe("demo", () => {
  it.live("runs both strategies and reports numbers that add up", () =>
    Effect.gen(function*() {
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(database + suffix, { force: true })
      const { io, out } = capture()
      const code = yield* cli(args, io)
      expect(code).toBe(0)
      // --json: stdout holds the report and nothing else; progress went to stderr, as plain lines.
      const report: Report = JSON.parse(out.stdout)
      expect(out.stderr).toContain(`intelligent`)
      expect(out.stderr).not.toContain("\r")

      const { intelligent, naive } = report
      for (const run of [intelligent, naive]) {
        expect(run.jobs).toBe(JOBS)
        expect(run.firstAttempts).toBe(JOBS)
        expect(run.attempts).toBe(run.firstAttempts + run.retries)
        expect(run.serverRequests).toBe(run.attempts)
        expect(sumOutcomes(run)).toBe(JOBS)
        expect(run.succeeded + run.failed).toBe(JOBS)
        const failed = Classifier.categories.reduce((n, c) => n + run.failedAttemptsByCategory[c], 0)
        expect(failed).toBeLessThanOrEqual(run.attempts)
      }

      // The library: never retries a data or permanent error, never comes back before Retry-After.
      expect(intelligent.retriesAfterDataOrPermanentError).toBe(0)
      expect(intelligent.library.retriesByCategory.data_error).toBe(0)
      expect(intelligent.library.retriesByCategory.permanent_error).toBe(0)
      expect(intelligent.earlyRequestsAfterSeenHint).toBe(0)
      expect(intelligent.earlyRequestsAfterSeenHint).toBeLessThanOrEqual(intelligent.earlyRequests)
      // ...and its own statistics agree with the client's count.
      expect(intelligent.library.totalRuns).toBe(JOBS)
      expect(intelligent.library.totalRetries).toBe(intelligent.retries)
      expect(intelligent.library.byCategory).toEqual(intelligent.failedAttemptsByCategory)

      // The faults were injected, and the naive retry paid for them.
      const finalFailures = intelligent.failedAttemptsByCategory.data_error +
        intelligent.failedAttemptsByCategory.permanent_error
      expect(finalFailures).toBeGreaterThan(0)
      expect(naive.retriesAfterDataOrPermanentError).toBeGreaterThan(0)
      expect(intelligent.failedAttemptsByCategory.api_rate_limit).toBeGreaterThan(0)
      expect(naive.earlyRequestsAfterSeenHint).toBeGreaterThan(0)
      expect(naive.attempts).toBeGreaterThan(intelligent.attempts)

      expect(report.checks.filter((c) => !c.ok)).toEqual([])

      // The intelligent run's statistics are in the SQLite file, as the fleet-wide reads see them.
      expect(report.database).toBe(database)
      const fleet = yield* SqlRetryStats.getErrorStatistics.pipe(
        Effect.provide(LibsqlClient.layer({ url: `file:${database}` }))
      )
      expect(fleet.totalRuns).toBe(JOBS)
      expect(fleet.totalErrors).toBe(intelligent.library.totalErrors)
      expect(fleet.byCategory).toEqual(intelligent.library.byCategory)
      expect(fleet.totalRetries).toBe(intelligent.library.totalRetries)
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(database + suffix, { force: true })
    }), 30_000)

  it.effect("rejects a bad flag with exit code 2, naming the flag and the value", () =>
    Effect.gen(function*() {
      for (
        const [argv, message] of [
          [["--jobs", "abc"], `Invalid --jobs: expected an integer from 1 to 100000, got "abc"`],
          [
            ["--network-rate", "1.5"],
            `Invalid --network-rate: expected a probability from 0 to 1, such as 0.05, got "1.5"`
          ],
          [["--time-scale", "0"], `Invalid --time-scale`],
          [["--concurrency", "-3"], `--concurrency`],
          [["--bogus"], `--bogus`]
        ] as const
      ) {
        const { io, out } = capture()
        expect(yield* cli(argv, io)).toBe(2)
        expect(out.stderr).toContain(message)
        expect(out.stdout).toBe("")
      }
    }))

  it.effect("--help prints the flags and exits 0", () =>
    Effect.gen(function*() {
      const { io, out } = capture()
      expect(yield* cli(["--", "--help"], io)).toBe(0)
      expect(out.stdout).toContain("--time-scale")
    }))

  it("the fault injector and the jobs are functions of the seed", () => {
    const rates = defaults.rates
    expect(makeJobs(7, 30, rates)).toEqual(makeJobs(7, 30, rates))
    expect(makeJobs(7, 30, rates)).not.toEqual(makeJobs(8, 30, rates))
    const faults = (seed: number) =>
      Array.from({ length: 200 }, (_, i) => requestFault(seed, rates, "tracking", `1Z${i}`, i % 3)._tag)
    expect(faults(1)).toEqual(faults(1))
    expect(faults(1)).not.toEqual(faults(2))
    // Rates are honoured, roughly: over many draws, the share of faults is near their sum.
    const share = Array.from({ length: 20_000 }, (_, i) => requestFault(3, rates, "tracking", `k${i}`, 0))
      .filter((f) => f._tag !== "None").length / 20_000
    expect(share).toBeGreaterThan(rates.network + rates.rateLimit + rates.serverError - 0.02)
    expect(share).toBeLessThan(rates.network + rates.rateLimit + rates.serverError + 0.02)
    expect(trackingRecord(3, { ...rates, unknown: 1 }, "1ZX")).toBe("unknown")
  })
})
