import Data
import Foundation
import FuzzEntries
import XCTest

/// Every parser of a user's file survives what the fuzzers found and what a small deterministic
/// mutation of the seed inputs gives: the seeds (Fuzz/corpus/<parser>/), every input that ever
/// crashed a fuzz target (Fuzz/regressions/<parser>/, kept forever), every truncation of each
/// seed, and bytes flipped at random. A parser may refuse an input with an error; surviving the
/// test means no crash, trap or hang (`make fuzz` runs the real fuzzers, under AddressSanitizer).
final class FuzzRegressionTests: XCTestCase {
  let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  func files(_ folder: String, _ name: String) -> [URL] {
    let dir = fuzzFolder.appendingPathComponent(folder).appendingPathComponent(name)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { dir.appendingPathComponent($0) }
  }

  /// Every input of parser `name`: its regressions, the empty input, and for each seed the seed,
  /// its truncations and its random flips, in a fixed order.
  func inputs(_ name: String) throws -> [[UInt8]] {
    let seeds = try files("corpus", name).map { try [UInt8](Data(contentsOf: $0)) }
    XCTAssertFalse(seeds.isEmpty, "Fuzz/corpus/\(name) holds no seed input")
    var out = try files("regressions", name).map { try [UInt8](Data(contentsOf: $0)) } + [[]]
    var rng = SplitMix64(seed: 0x5EED)  // fixed, so a failure reproduces
    func next() -> UInt64 { rng.next() }
    for seed in seeds {
      out.append(seed)
      for n in stride(from: 0, to: seed.count, by: max(1, seed.count / 512)) { out.append(Array(seed.prefix(n))) }
      // The command line goes through ArgumentParser's reflection, ~100 times slower per input
      // than a file parser in a debug build: fewer flips of each of its seeds.
      for _ in 0..<(name == "cmdline" ? 100 : 1000) {
        var bytes = seed
        for _ in 0..<(1 + Int(next() % 4)) where !bytes.isEmpty {
          bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
        }
        out.append(bytes)
      }
    }
    return out
  }

  func testEveryParserSurvivesItsSeedsRegressionsAndMutations() throws {
    var total = 0
    for (name, parse) in FuzzEntries.all {
      let started = Date()
      let all = try inputs(name)
      // The parsers share no state, so the inputs run on every core (in a debug build the
      // command line's 1 600 inputs take minutes on one).
      let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for i in stride(from: w, to: all.count, by: workers) { parse(all[i]) }
      }
      total += all.count
      print(
        String(
          format: "fuzz regressions: %@: %d inputs in %.1f s on %d thread(s)", name, all.count,
          Date().timeIntervalSince(started), workers))
    }
    XCTAssertGreaterThan(total, 11000)
    print("fuzz regressions: \(total) inputs")
  }
}
