/**
 * A saved `RetryState` to and from the combinator's run state.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { ErrorCategory } from "../ErrorCategory.js"
import type { RetryState } from "../RetryState.js"
import { categories } from "./errorCategory.js"
import type { RunState } from "./plan.js"
import { show } from "./policy.js"
import * as RetryStateSchema from "./retryStateSchema.js"
import type { InvalidPolicyError } from "./validate.js"
import { invalid } from "./validate.js"

type Counts = { -readonly [K in ErrorCategory]?: number }

/** @internal */
export const initial = (start?: number): RetryState => {
  const retries: Counts = {}
  for (const category of categories) retries[category] = 0
  return start === undefined
    ? { version: 1, attempts: 0, retries, previous: {} }
    : { version: 1, attempts: 0, retries, previous: {}, start }
}

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let value = input
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined
    value = (value as any)[key]
  }
  return value
}

/** @internal */
export const decode = (input: unknown, field = "state"): Either.Either<RetryState, InvalidPolicyError> => {
  let result: Either.Either<RetryState, unknown>
  try {
    result = Schema.decodeUnknownEither(RetryStateSchema.RetryState, { onExcessProperty: "error" })(input)
  } catch (e) {
    // a Proxy or a throwing getter: not a saved state
    result = Either.left(e)
  }
  if (Either.isRight(result)) return Either.right(result.right)
  const issue = ParseResult.isParseError(result.left)
    ? ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]
    : undefined
  const path = issue?.path ?? []
  const value = path.length === 0 ? input : valueAt(input, path)
  const name = [field, ...path.map(String)].join(".")
  const what = issue === undefined ? "could not be read" : issue.message
  return Either.left(
    invalid(
      name,
      value,
      `is not a valid saved retry state (version ${RetryStateSchema.VERSION}): ${what}, got ${show(value)}`
    )
  )
}

/** The run state a saved state resumes; a state without a start starts at `now`. @internal */
export const toRun = (state: RetryState, now: number): RunState => ({
  attempts: state.attempts,
  retries: categories.map((c) => state.retries[c] ?? 0),
  previous: categories.map((c) => state.previous[c] ?? -1),
  start: state.start ?? now
})

/** The saved form of a run state, after a failure of `category`. @internal */
export const fromRun = (run: RunState, category: ErrorCategory | undefined): RetryState => {
  const retries: Counts = {}
  const previous: Counts = {}
  categories.forEach((c, i) => {
    retries[c] = run.retries[i]
    if (run.previous[i] >= 0) previous[c] = run.previous[i]
  })
  return category === undefined
    ? { version: 1, attempts: run.attempts, retries, previous, start: run.start }
    : { version: 1, attempts: run.attempts, retries, previous, start: run.start, category }
}

/** Retries of every category together. @internal */
export const totalRetries = (state: RetryState): number =>
  categories.reduce((sum, c) => sum + (state.retries[c] ?? 0), 0)
