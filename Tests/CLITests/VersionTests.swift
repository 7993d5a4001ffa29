import Foundation
import XCTest
import Torch
@testable import SCPL
@testable import SCPLCLI

final class VersionTests: XCTestCase {
  /// `scpl --version` names the libtorch this very process runs on: Debian's 1.13 from the system
  /// library path, or a 2.x one from the directory it was built against (LIBTORCH), not a stale
  /// package version.
  func testVersionNamesTheLibtorchThisProcessRuns() throws {
    let text = SCPLCommand.versionText
    // procfs files report no size, so read them to the end rather than by their length.
    let maps = String(
      decoding: try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps")).readDataToEndOfFile(), as: UTF8.self)
    let loaded = try XCTUnwrap(
      maps.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        .first { $0.contains("/libtorch_cpu.so") }, "libtorch_cpu.so is mapped")
    if Engine.libtorchVersion.hasPrefix("1.13") {
      XCTAssertTrue(loaded.contains("-linux-gnu/libtorch_cpu.so.1.13"), "Debian's: \(loaded)")
      XCTAssertTrue(text.contains("libtorch 1.13"), text)
    } else {
      XCTAssertFalse(loaded.contains("-linux-gnu/"), loaded)
      if let dir = ProcessInfo.processInfo.environment["LIBTORCH"] {
        XCTAssertTrue(loaded.hasPrefix(dir), "\(loaded) is not from \(dir)")
      }
      XCTAssertTrue(text.contains("libtorch \(Engine.libtorchVersion)") && Engine.libtorchVersion.hasPrefix("2."), text)
    }
    XCTAssertTrue(text.contains(EngineInfo.cudaCompiled ? "CUDA: compiled in" : "CUDA: not compiled in"), text)
    XCTAssertTrue(text.contains("BLAS: "), text)
  }
}
