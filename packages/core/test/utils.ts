import { Cause, Clock, type Duration, Effect, Exit, Fiber, Layer, TestClock } from "effect"

/**
 * An effect that fails with `errors[i]` on attempt i (0-based) and succeeds with "ok" after them,
 * recording the virtual time of every attempt.
 */
export const scripted = <E>(errors: ReadonlyArray<E>) => {
  const times: Array<number> = []
  const effect = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    times.push(now)
    const i = times.length - 1
    if (i < errors.length) return yield* Effect.fail(errors[i])
    return "ok" as const
  })
  return { effect, times }
}

/** Forks `effect`, moves the test clock far enough for every wait, and returns its exit. */
export const runVirtual = <A, E>(effect: Effect.Effect<A, E>, advance: Duration.DurationInput = "1000 days") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(advance)
    return yield* Fiber.await(fiber)
  })

/** The error a layer fails with when built (a layer that builds is a test failure). */
export const layerError = <A, E>(layer: Layer.Layer<A, E>): E =>
  Effect.runSync(Effect.flip(Effect.scoped(Layer.build(layer))))

/** The defect an effect dies with (one that succeeds or fails is a test failure). */
export const defectOf = (effect: Effect.Effect<unknown, unknown>): unknown => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit) || !Cause.isDie(exit.cause)) throw new Error(`expected a defect, got ${String(exit)}`)
  return Cause.squash(exit.cause)
}
