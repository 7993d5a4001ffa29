import Foundation
import XCTest
import Torch

final class MemoryTests: XCTestCase {
  func residentBytes() throws -> Int { try HostMemory.residentBytes() }

  func churn(_ n: Int) throws {
    for i in 0..<n {
      let a = try Tensor.full([16], Double(i))
      let b = try a * 2.0 + 1.0
      _ = try b.sum()
    }
  }

  func testCreatingAndDroppingTensorsKeepsMemoryFlat() throws {
    try churn(20_000)  // warm up allocator caches
    let before = try residentBytes()
    try churn(100_000)  // 400 000 tensors created and freed
    let after = try residentBytes()
    let growth = after - before
    XCTAssertLessThan(growth, 4 << 20, "resident memory grew by \(growth) bytes")
  }

  func testFailedOpsDoNotLeakEither() throws {
    let a = try Tensor.ones([2, 3]), b = try Tensor.ones([4, 5])
    for _ in 0..<2_000 { _ = try? a.matmul(b) }
    let before = try residentBytes()
    for _ in 0..<20_000 { _ = try? a.matmul(b) }
    XCTAssertLessThan(try residentBytes() - before, 4 << 20)
  }
}
