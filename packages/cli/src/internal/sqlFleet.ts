/**
 * The fleet in a database written by `SqlRetryStats.layer`.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Database from "./database.js"
import type { CliError } from "./errors.js"
import type { DatabaseTarget } from "./flags.js"
import { describeTarget } from "./flags.js"
import type { Fleet } from "./fleet.js"

/**
 * Opens the database for the life of the scope.
 *
 * @internal
 */
export const open = (target: DatabaseTarget): Effect.Effect<Fleet, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Database.layer(target))
    const sql = Context.get(context, SqlClient.SqlClient)
    void sql
    return yield* Effect.dieMessage(`reading ${describeTarget(target)}: waiting for @intelligent-retry/sql`)
  })
