/**
 * The `SqlClient` of a `--db` target: SQLite through `@effect/sql-libsql` (a file, no server), or
 * PostgreSQL through `@effect/sql-pg`. Opening checks that the database answers, within a bound,
 * and fails with a {@link CliError} naming the target, never with a hang.
 *
 * @internal
 */
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import { CliError } from "./errors.js"
import type { DatabaseTarget } from "./flags.js"
import { describeTarget, maskUrl } from "./flags.js"

/**
 * How long opening a database may take before the command gives up. Default: 5 seconds.
 *
 * @internal
 */
export const CONNECT_TIMEOUT = Duration.seconds(5)

const reason = (cause: unknown): string => {
  const inner = typeof cause === "object" && cause !== null && "cause" in cause ? cause.cause : undefined
  const read = (u: unknown) => (u instanceof Error ? u.message : typeof u === "string" ? u : "")
  const text = [read(cause), read(inner)].filter((s) => s !== "").join(": ")
  return maskUrl(text === "" ? "unknown error" : text)
}

const unreachable = (target: DatabaseTarget) => (cause: unknown) =>
  new CliError({ message: `Cannot open the database (${describeTarget(target)}): ${reason(cause)}`, exitCode: 1 })

/**
 * The client layer for a target. An SQLite file must exist: the command reads statistics that
 * workers wrote, so a missing file is a mistake in `--db`, not an empty fleet.
 *
 * @internal
 */
export const layer = (target: DatabaseTarget): Layer.Layer<SqlClient.SqlClient, CliError> => {
  if (target._tag === "Sqlite") {
    const check = Effect.suspend(() => {
      const stat = fs.statSync(target.file, { throwIfNoEntry: false })
      if (stat === undefined) {
        return Effect.fail(
          new CliError({
            message: `No such SQLite file: ${target.file}. Point --db at the file your workers write ` +
              `(SqlRetryStats.layer on @effect/sql-libsql), or at a postgres:// URL.`,
            exitCode: 1
          })
        )
      }
      if (!stat.isFile()) {
        return Effect.fail(new CliError({ message: `Not a file: ${target.file} (--db)`, exitCode: 1 }))
      }
      return Effect.void
    })
    return Layer.unwrapEffect(Effect.as(
      check,
      LibsqlClient.layer({ url: `file:${target.file}` }).pipe(Layer.mapError(unreachable(target)))
    ))
  }
  return PgClient.layer({
    url: Redacted.make(target.url),
    connectTimeout: CONNECT_TIMEOUT,
    maxConnections: 4,
    applicationName: "intelligent-retry-cli"
  }).pipe(Layer.mapError(unreachable(target)))
}
