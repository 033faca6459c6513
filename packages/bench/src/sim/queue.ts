/**
 * The simulator's event queue: a binary min-heap ordered by time, then by insertion, so that two
 * events at the same instant run in the order they were scheduled and every run is reproducible.
 */

/** An event: something to run at `time` (virtual milliseconds), with an argument. */
interface Entry {
  readonly time: number
  readonly seq: number
  readonly run: (now: number, arg: any) => void
  readonly arg: unknown
}

const before = (a: Entry, b: Entry): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq)

export class EventQueue {
  private readonly heap: Array<Entry> = []
  private seq = 0
  /** The time of the event being run (or of the last one run). */
  now = 0
  /** Events run so far. */
  processed = 0

  get size(): number {
    return this.heap.length
  }

  /**
   * Schedules `run(time, arg)` at `time`, which may not be in the past. Passing the state as `arg`
   * to a handler defined once, rather than a new closure per event, keeps large runs cheap.
   */
  schedule<A = undefined>(time: number, run: (now: number, arg: A) => void, arg?: A): void {
    if (!(time >= this.now)) throw new RangeError(`event at ${time} is before now (${this.now})`)
    const heap = this.heap
    const entry: Entry = { time, seq: this.seq++, run, arg }
    let i = heap.length
    heap.push(entry)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(entry, heap[parent])) break
      heap[i] = heap[parent]
      i = parent
    }
    heap[i] = entry
  }

  /** Schedules `run(now + delay, arg)`. */
  after<A = undefined>(delay: number, run: (now: number, arg: A) => void, arg?: A): void {
    this.schedule(this.now + delay, run, arg)
  }

  /** Removes and returns the earliest event, or `undefined`. */
  pop(): Entry | undefined {
    const heap = this.heap
    if (heap.length === 0) return undefined
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      let i = 0
      const n = heap.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const child = r < n && before(heap[r], heap[l]) ? r : l
        if (!before(heap[child], last)) break
        heap[i] = heap[child]
        i = child
      }
      heap[i] = last
    }
    return top
  }

  /** Runs events in time order until the queue is empty or the next event is after `until`. */
  run(until = Infinity): number {
    for (;;) {
      const top = this.heap[0]
      if (top === undefined || top.time > until) break
      this.pop()
      this.now = top.time
      this.processed++
      top.run(top.time, top.arg)
    }
    return this.now
  }
}
