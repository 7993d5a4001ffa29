import Foundation
import XCTest
@testable import SCPL
import TestSupport
import Torch

/// Reads every scalar of the event files under `folder` with TensorBoard's own reader
/// (EventAccumulator, from the `tensorboard` package that scripts/bootstrap.sh installs) and
/// returns tag → [(step, value)]. Values are float32 in the file, so they come back as Float (JSON
/// parsing may move a double's last digit; a Float survives it).
func tensorBoardScalars(_ folder: URL) throws -> [String: [(step: Int, value: Float)]] {
  let json = try runPython(
    script: """
      import json
      from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
      acc = EventAccumulator('\(folder.path)', size_guidance={'scalars': 0})
      acc.Reload()
      print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()['scalars']}))
      """)
  let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [[Double]]] ?? [:]
  return decoded.mapValues { $0.map { (Int($0[0]), Float($0[1])) } }
}

final class TensorBoardTests: XCTestCase {
  /// The standard CRC-32C check value (RFC 3720's polynomial over "123456789").
  func testCRC32CMatchesTheStandardCheckValue() {
    XCTAssertEqual(CRC32C.checksum(Data("123456789".utf8)), 0xE306_9283)
    XCTAssertEqual(CRC32C.checksum(Data()), 0)
    // TFRecord's mask of 0 is the constant alone.
    XCTAssertEqual(TensorBoardEvents.maskedCRC32C(Data()), 0xA282_EAD8)
  }

  func testTensorBoardReadsOurEventFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let events = try TensorBoardEvents(folder: dir)
    XCTAssertTrue(events.url.lastPathComponent.hasPrefix("events.out.tfevents."))
    try events.add([("loss/component1", 2.5), ("lr", 1e-3)], step: 1)
    try events.add([("loss/component1", 1.25)], step: 2)
    try events.add([("accuracy/test", 0.875), ("busy/cpu:0", 0.5)], step: 2)
    let scalars = try tensorBoardScalars(dir)
    XCTAssertEqual(Set(scalars.keys), ["loss/component1", "lr", "accuracy/test", "busy/cpu:0"])
    XCTAssertEqual(scalars["loss/component1"]!.map(\.step), [1, 2])
    XCTAssertEqual(scalars["loss/component1"]!.map(\.value), [2.5, 1.25])
    XCTAssertEqual(scalars["lr"]!.map(\.value), [1e-3])
    XCTAssertEqual(scalars["accuracy/test"]!.map(\.step), [2])
    XCTAssertEqual(scalars["accuracy/test"]!.map(\.value), [0.875])
  }

  func testAFolderThatCannotBeWrittenIsNamed() {
    XCTAssertThrowsError(try TensorBoardEvents(folder: URL(fileURLWithPath: "/proc/scpl-tb"))) {
      XCTAssertTrue("\($0)".contains("cannot create a TensorBoard event file in /proc/scpl-tb"), "\($0)")
    }
  }
}
