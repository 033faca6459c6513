/**
 * The generator of docs/reliability.md: the report is a pure function of the saved sections, it is
 * rewritten only when its text changes, and the figures that vary are rounded.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { mib, ms, render, type SavedSection, writeIfChanged } from "./report.js"

const section = (id: string, order: number, result: "pass" | "FAIL"): SavedSection => ({
  id,
  order,
  title: `Section ${id}`,
  file: `packages/x/test/${id}.test.ts`,
  rows: [{
    test: "t",
    tried: "a | pipe",
    inputs: "i",
    faults: "f",
    load: "l",
    measured: "m\nnext",
    timing: ms(1234.5),
    result
  }],
  extra: ""
})

describe("the reliability report generator", () => {
  it("renders sections in their order, escapes cells, marks failures, and is deterministic", () => {
    const a = section("a", 2, "pass")
    const b = section("b", 1, "FAIL")
    const text = render([b, a])
    expect(render([b, a])).toBe(text)
    expect(text.indexOf("## Section b")).toBeLessThan(text.indexOf("## Section a"))
    expect(text).toContain("a \\| pipe")
    expect(text).toContain("m next")
    expect(text).toContain("**2 rows, 1 FAILED.**")
    expect(text).toContain("| **FAIL** |")
  })

  it("rounds what varies: two significant digits, microseconds below 1 ms", () => {
    expect(ms(1234.5)).toBe("1,200 ms")
    expect(ms(5.55)).toBe("5.5 ms")
    expect(ms(0.0123)).toBe("12 µs")
    expect(ms(0.0012)).toBe("1.2 µs")
    expect(ms(23_456)).toBe("23 s")
    expect(mib(3 * 1024 * 1024)).toBe("3.0 MiB")
  })

  it("rebuilding from unchanged sections leaves the file untouched", () => {
    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reliability-")), "reliability.md")
    writeIfChanged(target, render([section("a", 1, "pass")]))
    const before = fs.statSync(target)
    const text = fs.readFileSync(target, "utf8")
    expect(text.startsWith("# Reliability report")).toBe(true)
    writeIfChanged(target, render([section("a", 1, "pass")]))
    expect(fs.readFileSync(target, "utf8")).toBe(text)
    expect(fs.statSync(target).mtimeMs).toBe(before.mtimeMs)
  })
})
