/**
 * The `intelligent-retry` command, as a value: run it from your own entry point, or use the
 * package's `bin`.
 *
 * **Details**
 *
 * - `report [--db] [--task T] [--since 24h] [--json]`: the fleet-wide analysis with suggestions.
 * - `serve [--db] [--port 0] [--host 127.0.0.1] [--refresh 2s]`: the live dashboard page.
 * - `check [--db] [--window 5m] [--threshold 50] [--data-threshold 10] [--task T]`: the guide's
 *   `check_retry_health`, with `RetryMonitor`'s rules.
 *
 * `--db` is a path to an SQLite file or a `postgres://` URL (default: `INTELLIGENT_RETRY_DB`).
 * Exit codes: 0 done and healthy, 1 the command could not run (bad flag, database that cannot be
 * opened), 2 unhealthy (a critical suggestion for `report`, an alert for `check`). See
 * `docs/operations.md`.
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/cli.js"

/**
 * The version the command reports with `--version`.
 *
 * @since 0.1.0
 * @category constants
 */
export const version: string = "0.1.0"

/**
 * Runs the command on the arguments after the executable's name, printing to the console, and
 * succeeds with the exit code (0, 1 or 2). Needs the platform's file system, path and terminal
 * (`NodeContext.layer`).
 *
 * @example
 * ```ts
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Cli } from "@intelligent-retry/cli"
 * import { Effect } from "effect"
 *
 * const code = Cli.run(["report", "--db", "stats.db", "--json"]).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  internal.run(argv, version)
