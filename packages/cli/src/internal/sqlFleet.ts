/**
 * The fleet in a database written by `SqlRetryStats.layer`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
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
    yield* Effect.asVoid(
      Database.layer(target).pipe((l) => Effect.flatMap(Effect.scope, (s) => Effect.asVoid(Effect.succeed([l, s]))))
    )
    return yield* Effect.dieMessage(`reading ${describeTarget(target)}: waiting for @intelligent-retry/sql`)
  })
