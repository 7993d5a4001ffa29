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

  func testEveryParserSurvivesItsSeedsRegressionsAndMutations() throws {
    var inputs = 0
    for (name, parse) in FuzzEntries.all {
      let (started, before) = (Date(), inputs)
      defer {
        print(
          String(
            format: "fuzz regressions: %@: %d inputs in %.1f s", name, inputs - before,
            Date().timeIntervalSince(started)))
      }
      func run(_ bytes: [UInt8]) { parse(bytes); inputs += 1 }
      let seeds = try files("corpus", name).map { try [UInt8](Data(contentsOf: $0)) }
      XCTAssertFalse(seeds.isEmpty, "Fuzz/corpus/\(name) holds no seed input")
      for url in files("regressions", name) { run(try [UInt8](Data(contentsOf: url))) }
      run([])
      var rng = SplitMix64(seed: 0x5EED)  // fixed, so a failure reproduces
      func next() -> UInt64 { rng.next() }
      for seed in seeds {
        run(seed)
        for n in stride(from: 0, to: seed.count, by: max(1, seed.count / 512)) { run(Array(seed.prefix(n))) }
        // The command line goes through ArgumentParser's reflection, ~100 times slower per input
        // than a file parser in a debug build: fewer flips of each of its seeds.
        for _ in 0..<(name == "cmdline" ? 100 : 1000) {
          var bytes = seed
          for _ in 0..<(1 + Int(next() % 4)) where !bytes.isEmpty {
            bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
          }
          run(bytes)
        }
      }
    }
    XCTAssertGreaterThan(inputs, 11000)
    print("fuzz regressions: \(inputs) inputs")
  }
}
