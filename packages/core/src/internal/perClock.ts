/**
 * One value per `Clock`, for the process-wide default stores (budget, cool-downs, circuit
 * breakers): in production there is one clock, so a lookup is one comparison with the last clock
 * seen; each test's `TestClock` gets a value of its own, weakly held, so state set at one test's
 * virtual time never reaches another test whose time restarts at zero.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"

/** @internal */
export const perClock = <A>(make: () => A): (clock: Clock.Clock) => A => {
  const byClock = new WeakMap<Clock.Clock, A>()
  let lastClock: Clock.Clock | undefined
  let last: A | undefined
  return (clock) => {
    if (clock === lastClock) return last!
    let value = byClock.get(clock)
    if (value === undefined) {
      value = make()
      byClock.set(clock, value)
    }
    lastClock = clock
    last = value
    return value
  }
}
