/**
 * A fake HttpClient answering from a script, recording the virtual time of every request: for
 * TestClock tests, with no server and no real waits.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import type { Duration } from "effect"
import { Clock, Effect, Fiber, TestClock } from "effect"

export interface Step {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
  /** A virtual delay before the response head. */
  readonly delay?: Duration.DurationInput
}

export const fakeClient = (script: ReadonlyArray<Step>) => {
  const times: Array<number> = []
  const requests: Array<HttpClientRequest.HttpClientRequest> = []
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      times.push(yield* Clock.currentTimeMillis)
      requests.push(request)
      const step = script[times.length - 1] ?? { status: 200 }
      if (step.delay !== undefined) yield* Effect.sleep(step.delay)
      return HttpClientResponse.fromWeb(
        request,
        new Response(step.body ?? null, { status: step.status, headers: step.headers ?? {} })
      )
    })
  )
  return { client, times, requests }
}

/** Forks `effect`, moves the test clock far enough for every wait, and returns its exit. */
export const runVirtual = <A, E, R>(effect: Effect.Effect<A, E, R>, advance: Duration.DurationInput = "1000 days") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(advance)
    return yield* Fiber.await(fiber)
  })
