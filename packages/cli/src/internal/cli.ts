/**
 * The `intelligent-retry` command: `report`, `serve` and `check`, on `@effect/cli`.
 *
 * Exit codes (documented in `docs/operations.md`): 0 done and healthy; 1 the command could not
 * run (a bad flag, a database that cannot be opened); 2 it ran and found the fleet unhealthy (a
 * critical suggestion for `report`, an alert for `check`).
 *
 * @internal
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import { RetryMonitor } from "@intelligent-retry/core"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Dashboard from "./dashboard.js"
import { CliError } from "./errors.js"
import * as Flags from "./flags.js"
import * as Health from "./health.js"
import * as Report from "./report.js"
import * as SqlFleet from "./sqlFleet.js"

const validated = <A, B>(options: Options.Options<A>, parse: (a: A) => Either.Either<B, Flags.FlagProblem>) =>
  Options.mapEffect(options, (a) =>
    Either.match(parse(a), {
      onLeft: (problem) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(problem.message))),
      onRight: Effect.succeed
    }))

const db = validated(
  Options.text("db").pipe(
    Options.withPseudoName("file | postgres-url"),
    Options.withDescription(
      "The statistics database: a path to an SQLite file (or a file: URL), or a postgres:// URL. " +
        "Default: the INTELLIGENT_RETRY_DB environment variable."
    ),
    Options.withFallbackConfig(Config.string("INTELLIGENT_RETRY_DB"))
  ),
  (value) => Flags.databaseTarget(value, process.cwd())
)

const task = Options.text("task").pipe(
  Options.withPseudoName("name"),
  Options.withDescription("Only this task. An unknown task gives an empty report, not an error."),
  Options.optional
)

const durationOption = (name: string, description: string) =>
  validated(
    Options.text(name).pipe(Options.withPseudoName("duration"), Options.withDescription(description)),
    (value) => Flags.duration(name, value)
  )

const since = durationOption(
  "since",
  "Only what was recorded in this last span: 30m, 24h, 7d, 1h30m. Default: everything kept."
).pipe(Options.optional)

const json = Options.boolean("json").pipe(Options.withDescription("Print the report as JSON, for scripts."))

const report = Command.make("report", { db, task, since, json }, (flags) =>
  Effect.gen(function*() {
    const fleet = yield* SqlFleet.open(flags.db)
    const now = yield* Clock.currentTimeMillis
    const from = Option.map(flags.since, (millis) => now - millis)
    const result = yield* Report.read(fleet, now, Option.getOrUndefined(flags.task), Option.getOrUndefined(from))
    yield* Console.log((flags.json ? Report.renderJson(result) : Report.renderText(result)).trimEnd())
    if (result.critical) {
      return yield* new CliError({ message: "", exitCode: 2 })
    }
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "The fleet-wide analysis: per task, failed attempts by category, outcomes and recovery rate, and the " +
        "suggestions with their codes and severity. Exit code 2 when a suggestion is critical."
    )
  )

const port = validated(
  Options.integer("port").pipe(
    Options.withDescription("The port to listen on; 0 picks a free one (printed)."),
    Options.withDefault(0)
  ),
  Flags.port
)

const host = Options.text("host").pipe(
  Options.withPseudoName("address"),
  Options.withDescription("The interface to listen on. Default: 127.0.0.1 (this machine only)."),
  Options.withDefault("127.0.0.1")
)

const refresh = durationOption("refresh", "How often the database is read. Default: 2s.").pipe(
  Options.withDefault(Duration.toMillis(Dashboard.DEFAULT_REFRESH))
)

const serve = Command.make("serve", { db, port, host, refresh }, (flags) =>
  Effect.gen(function*() {
    const fleet = yield* SqlFleet.open(flags.db)
    const url = yield* Dashboard.start({
      fleet,
      port: flags.port,
      host: flags.host,
      refresh: Duration.millis(flags.refresh)
    })
    yield* Console.log(`Dashboard of ${fleet.database}: ${url}`)
    yield* Console.log(
      `It reads the database every ${Duration.format(Duration.millis(flags.refresh))}. Ctrl-C stops it.`
    )
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "A live dashboard page: per task and for the fleet, failed attempts per minute by category, outcomes, " +
        "recovery rate, suggestions and recent redacted samples. Needs no build step and nothing from the internet."
    )
  )

const window = durationOption(
  "window",
  `The span counted, rounded up to whole minutes. Default: ${Duration.format(RetryMonitor.defaults.window)}.`
).pipe(Options.withDefault(Duration.toMillis(RetryMonitor.defaults.window)))

const threshold = validated(
  Options.integer("threshold").pipe(
    Options.withDescription(
      `Alert when the failed attempts of the window exceed this. Default: ${RetryMonitor.defaults.errorThreshold}, ` +
        "the guide's ERROR_THRESHOLD."
    ),
    Options.withDefault(RetryMonitor.defaults.errorThreshold)
  ),
  Flags.threshold
)

const dataThreshold = validated(
  Options.integer("data-threshold").pipe(
    Options.withDescription(
      `Alert when the data errors of the window exceed this. Default: ${
        RetryMonitor.defaults.categoryThresholds.data_error ?? 10
      }.`
    ),
    Options.withDefault(RetryMonitor.defaults.categoryThresholds.data_error ?? 10)
  ),
  (n) =>
    Either.mapLeft(Flags.threshold(n), (p) => ({ ...p, message: p.message.replace("--threshold", "--data-threshold") }))
)

const check = Command.make("check", { db, window, threshold, dataThreshold, task }, (flags) =>
  Effect.gen(function*() {
    const fleet = yield* SqlFleet.open(flags.db)
    const result = yield* Health.check(fleet, {
      window: Duration.millis(flags.window),
      errorThreshold: flags.threshold,
      categoryThresholds: { data_error: flags.dataThreshold },
      taskName: Option.getOrUndefined(flags.task)
    })
    yield* Console.log(Health.render(result, fleet.database).trimEnd())
    if (result.alerts.length > 0) {
      return yield* new CliError({ message: "", exitCode: 2 })
    }
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "The guide's check_retry_health: alert when the failed attempts of the window exceed --threshold, or its data " +
        "errors exceed --data-threshold (RetryMonitor's rules). Exit code 2 on an alert, for cron and CI."
    )
  )

/**
 * The root command.
 *
 * @internal
 */
export const command = Command.make("intelligent-retry").pipe(
  Command.withDescription(
    "The operator's view of intelligent-retry: a fleet report, a health check and a live dashboard."
  ),
  Command.withSubcommands([report, serve, check])
)

/**
 * Runs the command on `argv` (everything after the script) and succeeds with the exit code.
 *
 * @internal
 */
export const run = (argv: ReadonlyArray<string>, version: string) =>
  Command.run(command, { name: "intelligent-retry", version })(["node", "intelligent-retry", ...argv]).pipe(
    Effect.as(0),
    Effect.catchAll((error) => {
      if (ValidationError.isValidationError(error)) return Effect.succeed(1)
      return Effect.as(error.message === "" ? Effect.void : Console.error(error.message), error.exitCode)
    })
  )
