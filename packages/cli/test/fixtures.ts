/**
 * Real runs of `withIntelligentRetry` to fill a statistics store: each run fails with the errors
 * of its script, in order, then succeeds at `"ok"` (or keeps failing with its last error). The
 * presets are scaled down so that the real waits last microseconds.
 */
import {
  DataError,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryBudget,
  Strategies,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Effect, Logger, LogLevel } from "effect"

export type Step = "network" | "rate" | "data" | "temporary" | "permanent" | "ok"

const errorOf = (step: Exclude<Step, "ok">, task: string, attempt: number) => {
  // A secret in the message: the store must redact it before anything is written.
  const message = `${task} attempt ${attempt} failed (api_key=sk_live_4242424242)`
  switch (step) {
    case "network":
      return new NetworkError({ message: `${message}: ECONNRESET` })
    case "rate":
      return new RateLimitError({ message: `${message}: 429 Too Many Requests` })
    case "data":
      return new DataError({ message: `${message}: malformed record` })
    case "temporary":
      return new TemporaryError({ message: `${message}: 503` })
    case "permanent":
      return new PermanentError({ message: `${message}: 404` })
  }
}

/** The scale of every policy: a minute becomes 60 µs. */
const SCALE = 1e-6

/** Runs each script once as a run of `task`, recording into the current `RetryStats`. */
export const runScripts = (task: string, scripts: ReadonlyArray<ReadonlyArray<Step>>): Effect.Effect<void> =>
  Effect.forEach(scripts, (script) => {
    let attempt = 0
    const call = Effect.suspend(() => {
      const step = script[Math.min(attempt, script.length - 1)]
      attempt++
      return step === "ok" ? Effect.succeed(attempt) : Effect.fail(errorOf(step, task, attempt))
    })
    return Effect.ignore(
      call.pipe(withIntelligentRetry({ task, strategies: Strategies.scale(Strategies.tracking, SCALE) }))
    )
  }, { discard: true }).pipe(
    Effect.provideService(Strategies.Strategies, Strategies.scale(Strategies.defaults, SCALE)),
    // Each script plays out as written: the process-wide default budget, drained by the failing
    // runs of earlier tests in this process, would end later runs with `budget_exhausted`.
    Effect.provide(RetryBudget.layerNone),
    // the library's `Retry in …` line for each retry would fill the test's output
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )

/** `n` copies of a script. */
export const times = (n: number, script: ReadonlyArray<Step>): ReadonlyArray<ReadonlyArray<Step>> =>
  Array.from({ length: n }, () => script)

/** A fleet with a bit of everything, and no critical finding. */
export const healthy: Effect.Effect<void> = Effect.all([
  runScripts("update_tracking_info", [
    ...times(6, ["ok"]),
    ...times(5, ["network", "ok"]),
    ...times(2, ["network", "network", "ok"]),
    ...times(2, ["rate", "ok"]),
    ...times(3, ["data"]),
    ...times(1, ["permanent"])
  ]),
  runScripts("capture_screenshot", [
    ...times(4, ["ok"]),
    ...times(3, ["temporary", "ok"])
  ])
], { discard: true })

/** A dependency down: temporary errors that never recover, `TRANSIENT_ERRORS_EXHAUSTED`, critical. */
export const outage = (task: string, runs: number): Effect.Effect<void> => runScripts(task, times(runs, ["temporary"]))
