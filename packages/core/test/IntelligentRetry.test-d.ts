import {
  type Classifier,
  NetworkError,
  RateLimitError,
  Strategies,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Data, Effect, pipe } from "effect"
import { describe, expectTypeOf, it } from "vitest"

class CarrierDown extends Data.TaggedError("CarrierDown")<{ readonly carrier: string }> {}
class BadTrackingNumber extends Data.TaggedError("BadTrackingNumber")<{ readonly id: string }> {}

interface Db {
  readonly query: Effect.Effect<string>
}
declare const program: Effect.Effect<number, CarrierDown | BadTrackingNumber, Db>

describe("withIntelligentRetry types", () => {
  it("keeps A, E and R, data-first and data-last", () => {
    expectTypeOf(withIntelligentRetry(program)).toEqualTypeOf<
      Effect.Effect<number, CarrierDown | BadTrackingNumber, Db>
    >()
    expectTypeOf(program.pipe(withIntelligentRetry())).toEqualTypeOf<
      Effect.Effect<number, CarrierDown | BadTrackingNumber, Db>
    >()
    expectTypeOf(pipe(program, withIntelligentRetry({ task: "t" }))).toEqualTypeOf<
      Effect.Effect<number, CarrierDown | BadTrackingNumber, Db>
    >()
    expectTypeOf(withIntelligentRetry(program, { task: "t" })).toEqualTypeOf<
      Effect.Effect<number, CarrierDown | BadTrackingNumber, Db>
    >()
  })

  it("infers E for callbacks in pipe form", () => {
    program.pipe(withIntelligentRetry({
      onRetry: (info) => {
        expectTypeOf(info.error).toEqualTypeOf<CarrierDown | BadTrackingNumber>()
        return Effect.void
      },
      classify: (error) => {
        expectTypeOf(error).toEqualTypeOf<CarrierDown | BadTrackingNumber>()
        return error._tag === "CarrierDown" ? "temporary_error" : undefined
      }
    }))
  })

  it("byTag must name every tag of E", () => {
    program.pipe(withIntelligentRetry({ byTag: { CarrierDown: "temporary_error", BadTrackingNumber: "data_error" } }))
    withIntelligentRetry(program, { byTag: { CarrierDown: "temporary_error", BadTrackingNumber: "data_error" } })
    // @ts-expect-error BadTrackingNumber is missing
    program.pipe(withIntelligentRetry({ byTag: { CarrierDown: "temporary_error" } }))
    // @ts-expect-error BadTrackingNumber is missing
    withIntelligentRetry(program, { byTag: { CarrierDown: "temporary_error" } })
    // @ts-expect-error not a category
    withIntelligentRetry(program, { byTag: { CarrierDown: "temporary_error", BadTrackingNumber: "nope" } })
    const map: Classifier.TagMap<NetworkError | RateLimitError> = {
      NetworkError: "network_error",
      RateLimitError: "api_rate_limit"
    }
    expectTypeOf(map).toMatchTypeOf<Record<"NetworkError" | "RateLimitError", string>>()
  })

  it("presets are plain tables, usable as options and in the layer", () => {
    withIntelligentRetry(program, { strategies: Strategies.tracking })
    expectTypeOf(Strategies.layer(Strategies.screenshot)).not.toBeAny()
    // @ts-expect-error not a category
    withIntelligentRetry(program, { strategies: { network: { decision: "no_retry" } } })
    // @ts-expect-error not a decision
    withIntelligentRetry(program, { strategies: { network_error: { decision: "retry_later" } } })
  })
})
