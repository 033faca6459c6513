/**
 * A time bucket: the counters of one bucket width, keyed by `taskId * STRIDE + field`.
 *
 * @internal
 */
import * as layout from "./layout.js"

const { C, F_FAILURES, STRIDE } = layout

const EMPTY_KEY = -1
const INITIAL_SLOTS = 32

const hashSlot = (key: number, shift: number): number => Math.imul(key, 0x9e3779b1) >>> shift

/**
 * The counters of one time bucket, keyed by `taskId * STRIDE + field`.
 *
 * **Details**
 *
 * While records go into it, a bucket is an open-addressing hash table (linear probing, Fibonacci
 * hashing, load ≤ 3/4). Once folded into a snapshot it is compacted into two arrays sorted by
 * key, exactly as long as its entries (12 bytes each), read by binary search, and never written
 * again: a later fold makes a merged copy ({@link Bucket.merge}).
 *
 * @internal
 */
export class Bucket {
  keys: Int32Array = new Int32Array(INITIAL_SLOTS).fill(EMPTY_KEY)
  values: Float64Array = new Float64Array(INITIAL_SLOTS)
  size = 0
  shift = 32 - Math.log2(INITIAL_SLOTS)
  compacted = false
  /** Failed attempts per category over all tasks, for windows over all tasks. */
  readonly failures: Float64Array = new Float64Array(C)
  /** Earliest record time in the bucket. */
  minTime: number
  readonly start: number
  readonly end: number

  constructor(readonly index: number, readonly width: number, time: number) {
    this.start = index * width
    this.end = this.start + width
    this.minTime = time
  }

  add(key: number, delta: number): void {
    if (this.compacted) this.expand()
    const keys = this.keys
    const mask = keys.length - 1
    let i = hashSlot(key, this.shift)
    for (;;) {
      const k = keys[i]
      if (k === key) {
        this.values[i] += delta
        return
      }
      if (k === EMPTY_KEY) break
      i = (i + 1) & mask
    }
    if ((this.size + 1) * 4 > keys.length * 3) {
      this.rehash(keys.length * 2)
      this.add(key, delta)
      return
    }
    keys[i] = key
    this.values[i] = delta
    this.size++
  }

  get(key: number): number {
    const keys = this.keys
    if (this.compacted) {
      let lo = 0
      let hi = keys.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        const k = keys[mid]
        if (k === key) return this.values[mid]
        if (k < key) lo = mid + 1
        else hi = mid - 1
      }
      return 0
    }
    const mask = keys.length - 1
    let i = hashSlot(key, this.shift)
    for (;;) {
      const k = keys[i]
      if (k === key) return this.values[i]
      if (k === EMPTY_KEY) return 0
      i = (i + 1) & mask
    }
  }

  /** Calls `f` for every entry, in no particular order. */
  forEach(f: (key: number, value: number) => void): void {
    const keys = this.keys
    const values = this.values
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY_KEY) f(keys[i], values[i])
  }

  /** Shrinks to sorted arrays of exactly `size` entries. */
  compact(): this {
    if (this.compacted) return this
    const keys = new Int32Array(this.size)
    let j = 0
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY_KEY) keys[j++] = this.keys[i]
    // a typed array sorts numerically, natively
    keys.sort()
    const values = new Float64Array(keys.length)
    for (let k = 0; k < keys.length; k++) values[k] = this.get(keys[k])
    this.keys = keys
    this.values = values
    this.compacted = true
    return this
  }

  /** A new compacted bucket holding `a` + `b` (same index); neither is changed. */
  static merge(a: Bucket, b: Bucket): Bucket {
    const out = new Bucket(a.index, a.width, Math.min(a.minTime, b.minTime))
    out.rehash(Math.max(INITIAL_SLOTS, nextPow2(((a.size + b.size) * 4) / 3 + 1)))
    a.forEach((k, v) => out.add(k, v))
    b.forEach((k, v) => out.add(k, v))
    for (let c = 0; c < C; c++) out.failures[c] = a.failures[c] + b.failures[c]
    return out.compact()
  }

  /** Failed attempts of one task in this bucket, per category, added to `into`. */
  addTaskFailures(id: number, into: Float64Array): void {
    const base = id * STRIDE + F_FAILURES
    for (let c = 0; c < C; c++) into[c] += this.get(base + c)
  }

  private expand(): void {
    let slots = INITIAL_SLOTS
    while (slots * 3 < (this.size + 1) * 4) slots *= 2
    this.compacted = false
    this.rehash(slots)
  }

  private rehash(slots: number): void {
    const oldKeys = this.keys
    const oldValues = this.values
    this.keys = new Int32Array(slots).fill(EMPTY_KEY)
    this.values = new Float64Array(slots)
    this.shift = 32 - Math.log2(slots)
    this.size = 0
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] !== EMPTY_KEY) this.add(oldKeys[i], oldValues[i])
    }
  }
}

const nextPow2 = (n: number): number => {
  let p = 1
  while (p < n) p *= 2
  return p
}
