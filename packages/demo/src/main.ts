/**
 * A small runnable example until the full demo lands: a flaky "carrier API" call retried by the
 * category of each failure, then the analysis of what happened.
 */
import {
  DataError,
  NetworkError,
  RateLimitError,
  RetryStats,
  Strategies,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Console, Duration, Effect, Ref } from "effect"

const flaky = (failures: ReadonlyArray<NetworkError | RateLimitError | DataError>) =>
  Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    return Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
      n < failures.length ? Effect.fail(failures[n]) : Effect.succeed(`delivered (after ${n} failures)`))
  })

// The guide's minutes become milliseconds here so that the example finishes at once.
const fast = {
  network_error: { decision: "retry_immediately", maxRetries: 5, baseDelay: 5, maxDelay: 50, backoffFactor: 2 },
  api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 30, maxDelay: 500, backoffFactor: 2 }
} as const

const program = Effect.gen(function*() {
  const blip = yield* flaky([new NetworkError({ message: "ECONNRESET" }), new NetworkError({ message: "ECONNRESET" })])
  const throttled = yield* flaky([new RateLimitError({ message: "429", retryAfter: Duration.millis(40) })])
  const invalid = yield* flaky([new DataError({ message: "missing tracking_number" })])
  for (const [name, call] of [["blip", blip], ["throttled", throttled], ["invalid", invalid]] as const) {
    const result = yield* call.pipe(
      withIntelligentRetry({
        task: `track:${name}`,
        strategies: { ...Strategies.tracking, ...fast },
        onRetry: (info) =>
          Console.log(`  ${name}: ${info.category} → retry ${info.categoryAttempt} in ${Duration.format(info.wait)}`)
      }),
      Effect.either
    )
    yield* Console.log(`${name}: ${result._tag === "Right" ? result.right : `gave up with ${result.left._tag}`}`)
  }
  const analysis = yield* RetryStats.analyzeTaskErrors()
  yield* Console.log(JSON.stringify(analysis, null, 2))
})

Effect.runPromise(program)
