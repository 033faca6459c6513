/**
 * The demo's main program: the same jobs twice on the same seed, each against a fresh carrier
 * API, first with intelligent retry, then with the naive retry; then the report.
 *
 * {@link cli} is what `pnpm demo` runs (see `main.ts`) and what the test runs in-process.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type { ServeError } from "@effect/platform/HttpServerError"
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { type InvalidPolicyError, RetryStats } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CarrierApi from "./CarrierApi.js"
import type { Job } from "./Jobs.js"
import { jobKinds, makeJobs } from "./Jobs.js"
import type { DemoOptions } from "./Options.js"
import { parse, usage } from "./Options.js"
import type { Sink } from "./Progress.js"
import { withProgress } from "./Progress.js"
import * as Report from "./Report.js"
import { Tracker } from "./Tracker.js"
import type { WorkerConfig } from "./Worker.js"
import * as Worker from "./Worker.js"

/** Where the demo writes. */
export interface Io {
  readonly stdout: Sink
  readonly stderr: Sink
}

/** One run of the jobs against a fresh server, timed from the first job to the last. */
const phase = (
  label: string,
  options: DemoOptions,
  jobs: ReadonlyArray<Job>,
  progress: Sink,
  worker: (config: WorkerConfig) => Effect.Effect<void, never, HttpClient.HttpClient>
) =>
  Effect.scoped(Effect.gen(function*() {
    const api = yield* CarrierApi.start({
      seed: options.seed,
      rates: options.rates,
      timeScale: options.timeScale,
      // A second more than the client's timeout: the client always gives up first.
      slowResponseMillis: Duration.toMillis(Worker.attemptTimeout(options.timeScale)) + 1000
    })
    // Untimed and unrecorded: open the connections and warm the code paths up, so that the first
    // jobs do not pay for a cold start.
    yield* Effect.forEach(
      Array.from({ length: options.concurrency }),
      () => Effect.flatMap(HttpClient.get(`${api.url}/health`), (response) => response.text),
      { concurrency: options.concurrency, discard: true }
    ).pipe(Effect.orDie)
    const tracker = new Tracker(jobs)
    const start = yield* Clock.currentTimeMillis
    yield* worker({
      baseUrl: api.url,
      jobs,
      concurrency: options.concurrency,
      timeScale: options.timeScale,
      tracker
    }).pipe(withProgress(progress, label, tracker))
    const wallMillis = (yield* Clock.currentTimeMillis) - start
    return Report.measure(tracker, api.ledger, wallMillis)
  }))

/**
 * The statistics store of the intelligent run: `SqlRetryStats` on the SQLite file of `--db` (the
 * default file started afresh), or a memory store with `--db none`.
 */
const statistics = (db: DemoOptions["db"]) => {
  if (db === undefined) return RetryStats.layer
  return Layer.unwrapEffect(Effect.sync(() => {
    fs.mkdirSync(path.dirname(db.file), { recursive: true })
    if (db.fresh) { for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(db.file + suffix, { force: true }) }
    return SqlRetryStats.layerSqlite({ filename: db.file })
  }))
}

/** Both runs and the report. Progress goes to stdout, or to stderr with `--json`. */
export const run = (
  options: DemoOptions,
  io: Io
): Effect.Effect<Report.Report, ServeError | SqlError | MigrationError | InvalidPolicyError> =>
  Effect.gen(function*() {
    const jobs = makeJobs(options.seed, options.jobs, options.rates)
    const progress = options.json ? io.stderr : io.stdout
    const kinds = Object.fromEntries(jobKinds.map((k) => [k, jobs.filter((j) => j.kind === k).length]))
    progress.write(Report.header(options, kinds as Record<(typeof jobKinds)[number], number>))
    // A fresh statistics store: only this run's attempts are analysed.
    const [intelligent, library] = yield* Effect.gen(function*() {
      const measured = yield* phase("intelligent", options, jobs, progress, Worker.intelligent)
      // Hands the open minute to the database: the report and the dashboard read it from there.
      yield* RetryStats.flush
      const statistics = yield* RetryStats.getErrorStatistics
      const analyses = yield* Effect.forEach(jobKinds, (kind) => RetryStats.analyzeTaskErrors(Worker.taskNames[kind]))
      return [measured, Report.libraryView(statistics, analyses)] as const
    }).pipe(Effect.provide(statistics(options.db)))
    const naive = yield* phase("naive", options, jobs, progress, Worker.naive)
    return Report.make(options, intelligent, library, naive)
  }).pipe(Effect.provide(FetchHttpClient.layer))

/**
 * The command line: parses `argv` (the arguments after the script), runs, prints the report.
 * Succeeds with the exit code: 0, 2 for a bad flag, 1 if the demo itself failed.
 */
export const cli = (argv: ReadonlyArray<string>, io: Io): Effect.Effect<number> =>
  Effect.gen(function*() {
    const command = parse(argv)
    if (Either.isLeft(command)) {
      io.stderr.write(`${command.left.message}\nRun with --help for the flags.\n`)
      return 2
    }
    if (command.right._tag === "Help") {
      io.stdout.write(usage)
      return 0
    }
    const { options } = command.right
    const report = yield* run(options, io)
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : Report.renderText(report))
    return 0
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.sync(() => {
        io.stderr.write(`demo failed: ${cause}\n`)
        return 1
      })
    ),
    // Warnings and errors (there should be none) go to stderr: stdout is the report's. The library's
    // `Retry in …` line for each retry (info) is left out: the progress line and the report count them.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.stringLogger))),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
