/**
 * `withHandoff`: `withIntelligentRetry` whose long waits end the run with a `RetryHandoff`, and
 * which can resume from a saved `RetryState`.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import type { HandoffOptions } from "../IntelligentRetry.js"
import type { RetryHandoff } from "../RetryErrors.js"
import type { Compiled } from "./intelligentRetry.js"
import { compile, make, optionKeys } from "./intelligentRetry.js"
import { show } from "./policy.js"
import { decode } from "./retryState.js"
import type { InvalidPolicyError } from "./validate.js"
import { decodeDuration, invalid, unknownOption } from "./validate.js"

const handoffKeys: ReadonlySet<string> = new Set([...optionKeys, "after", "state"])

/** @internal */
export const compileHandoff = (options: HandoffOptions<any>): Either.Either<Compiled, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(invalid("options", options, `must be an object with \`after\`, got ${show(options)}`))
  }
  const unknown = unknownOption(options, handoffKeys, "withHandoff")
  if (unknown !== undefined) return Either.left(unknown)
  const { after, state, ...rest } = options
  if (after === undefined) {
    return Either.left(
      invalid("after", after, "is required: the shortest wait handed off instead of slept, got undefined")
    )
  }
  const afterMillis = decodeDuration("after", after)
  if (Either.isLeft(afterMillis)) return Either.left(afterMillis.left)
  const saved = state === undefined ? undefined : decode(state, "state")
  if (saved !== undefined && Either.isLeft(saved)) return Either.left(saved.left)
  return Either.map(compile(rest), (compiled) => ({
    ...compiled,
    handoff: { after: Duration.toMillis(afterMillis.right), state: saved?.right }
  }))
}

/** @internal */
export const withHandoff: {
  <E>(
    options: HandoffOptions<NoInfer<E>>
  ): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RetryHandoff, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: HandoffOptions<NoInfer<E>>): Effect.Effect<A, E | RetryHandoff, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, options: HandoffOptions<E>): Effect.Effect<A, E | RetryHandoff, R> => {
    const compiled = compileHandoff(options)
    return Either.isLeft(compiled) ? Effect.die(compiled.left) : make<A, E | RetryHandoff, R>(self, compiled.right)
  }
)
