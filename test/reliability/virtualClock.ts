import { Clock, Duration, Effect } from "effect"

/**
 * A `Clock` whose `sleep` completes at once and moves virtual time forward by the duration. A run
 * of `withIntelligentRetry` under it is synchronous (`Effect.runSync`), yet sees exactly the times
 * it would see under `TestClock`: for properties that need 10,000 runs in a few seconds.
 */
export class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  /** Virtual epoch milliseconds. */
  now: number
  /** Every sleep, in milliseconds, in order. */
  readonly sleeps: Array<number> = []
  /** Set by an infinite sleep, which never ends (the run is left suspended, as under `TestClock`). */
  hung = false
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  constructor(start = 0) {
    this.now = start
  }

  unsafeCurrentTimeMillis(): number {
    return this.now
  }

  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.floor(this.now)) * 1_000_000n
  }

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.suspend(() => {
      const millis = Duration.toMillis(duration)
      this.sleeps.push(millis)
      if (millis === Infinity) {
        this.hung = true
        return Effect.never
      }
      this.now += millis
      return Effect.void
    })
  }
}

/**
 * A `Clock` whose time stands still and whose `sleep` only yields: the sleeping fiber goes to the
 * back of the scheduler's queue. Thousands of concurrent runs then interleave at every wait,
 * deterministically, at no cost in real time (`TestClock` wakes its sleepers one at a time and
 * polls every fiber in between, which does not scale to 10,000 sleeping fibers).
 */
export class YieldingClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  /** Sleeps requested, and their total in milliseconds. */
  sleeps = 0
  slept = 0
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  constructor(readonly now = 0) {}

  unsafeCurrentTimeMillis(): number {
    return this.now
  }

  unsafeCurrentTimeNanos(): bigint {
    return BigInt(this.now) * 1_000_000n
  }

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.sleeps++
      this.slept += Duration.toMillis(duration)
      return Effect.yieldNow()
    })
  }
}
