/**
 * The constructors of `RetryPolicy.ts`: decoding with errors named as the user wrote the field,
 * building (throwing) for constants, and scaling.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import type { RetryPolicy, RetryPolicyInput } from "../RetryPolicy.js"
import { decodePolicy, type Invalid, show } from "./policy.js"
import { invalid, type InvalidPolicyError } from "./validate.js"

const toError = (prefix: string) => (e: Invalid): InvalidPolicyError =>
  invalid(prefix === "" ? e.field : `${prefix}.${e.field}`, e.value, e.reason)

/** @internal */
export const decodeUnknown = (input: unknown, field = "policy"): Either.Either<RetryPolicy, InvalidPolicyError> =>
  Either.mapLeft(decodePolicy(input), toError(field))

/** @internal */
export const make = (input: RetryPolicyInput): RetryPolicy => Either.getOrThrowWith(decodeUnknown(input), (e) => e)

/** @internal */
export const scale: {
  (factor: number): (policy: RetryPolicy) => RetryPolicy
  (policy: RetryPolicy, factor: number): RetryPolicy
} = dual(2, (policy: RetryPolicy, factor: number): RetryPolicy => {
  if (!(typeof factor === "number" && Number.isFinite(factor) && factor > 0)) {
    throw invalid("timeScale", factor, `must be a finite number > 0, got ${show(factor)}`)
  }
  return {
    ...policy,
    baseDelay: Duration.times(policy.baseDelay, factor),
    maxDelay: Duration.times(policy.maxDelay, factor)
  }
})
