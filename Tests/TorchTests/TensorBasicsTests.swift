import CTorch
import XCTest
@testable import Torch

final class TensorBasicsTests: XCTestCase {
  func testCreationAndReadBack() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
    XCTAssertEqual(t.shape, [2, 3])
    XCTAssertEqual(t.dtype, .float32)
    XCTAssertEqual(try t.toArray(Float.self), [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(try Tensor.zeros([3], dtype: .int64).toArray(Int64.self), [0, 0, 0])
    XCTAssertEqual(try Tensor.arange(5).toArray(Int64.self), [0, 1, 2, 3, 4])
    XCTAssertEqual(try Tensor.eye(2, dtype: .float64).toArray(Double.self), [1, 0, 0, 1])
    XCTAssertEqual(try Tensor.full([2], 7, dtype: .uint8).toArray(UInt8.self), [7, 7])
    XCTAssertEqual(try (Tensor([1, 2] as [Float]) .> 1.5).toArray(Bool.self), [false, true])
  }

  func testArithmeticBroadcastsAndMatmul() throws {
    let a = try Tensor([1, 2, 3, 4] as [Double], shape: [2, 2])
    let b = try Tensor([10, 20] as [Double])
    XCTAssertEqual(try (a + b).toArray(Double.self), [11, 22, 13, 24])
    XCTAssertEqual(try (2.0 - a).toArray(Double.self), [1, 0, -1, -2])
    XCTAssertEqual(try a.matmul(a).toArray(Double.self), [7, 10, 15, 22])
    XCTAssertEqual(try a.sum().item(), 10)
    XCTAssertEqual(try a.mean(axis: 0).toArray(Double.self), [2, 3])
    XCTAssertEqual(try a.argmax(axis: 1).toArray(Int64.self), [1, 1])
    XCTAssertEqual(try a.std(axes: [], unbiased: true).item(), 1.2909944487358056, accuracy: 1e-12)
  }

  func testShapeMismatchThrowsLibtorchMessageAndProcessGoesOn() throws {
    let a = try Tensor.ones([2, 3])
    let b = try Tensor.ones([4, 5])
    XCTAssertThrowsError(try a.matmul(b)) { error in
      let text = "\(error)"
      // libtorch's own wording for a matmul shape mismatch.
      XCTAssertTrue(text.contains("cannot be multiplied"), text)
    }
    XCTAssertThrowsError(try a + b) { error in
      XCTAssertTrue("\(error)".contains("must match the size"), "\(error)")
    }
    XCTAssertThrowsError(try a.select(axis: 0, index: 9)) { error in
      XCTAssertTrue("\(error)".contains("out of range"), "\(error)")
    }
    // The process goes on and the next op works.
    XCTAssertEqual(try (a + a).sum().item(), 12)
  }

  func testAutogradSimpleGradient() throws {
    let x = try Tensor([1, 2, 3] as [Double]).requiringGrad()
    let y = try (x * x).sum()
    try y.backward()
    XCTAssertEqual(try x.grad!.toArray(Double.self), [2, 4, 6])
  }

  /// A failure whose message was left in the calling thread's error slot (a C call the Swift
  /// layer did not wrap) is not reported by a later `item()` of a genuine NaN.
  func testItemOfANaNIsNotTakenForAStaleError() throws {
    var out: ct_tensor? = nil
    XCTAssertEqual(ct_grad(nil, &out), -1)
    XCTAssertFalse(String(cString: ct_last_error()).isEmpty, "the slot holds the failure")
    XCTAssertTrue(try Tensor.scalar(Double.nan).item().isNaN)
    // A real failure of item() is still reported.
    XCTAssertThrowsError(try Tensor.zeros([2]).item())
  }

  /// Gradients are read through a throwing accessor: nil before backward, the values after.
  func testGradIsNilUntilBackward() throws {
    let x = try Tensor([Float(1), 2]).requiringGrad()
    XCTAssertNil(try x.grad)
    try (x * x).sum().backward()
    XCTAssertEqual(try x.grad?.toArray(Float.self), [2, 4])
  }

  /// A backward split in two passes from the same root — first into the input only, keeping the
  /// graph, then into the weight — gives each exactly the gradient one whole backward gives, and
  /// each pass touches nothing else: y = sum(w · x²) has dy/dx = 2wx and dy/dw = x².
  func testBackwardIntoChosenInputsSplitsAPass() throws {
    let x = try Tensor([1, 2, 3] as [Float]).requiringGrad()
    let w = try Tensor([4, 5, 6] as [Float]).requiringGrad()
    let y = try (w * x * x).sum()
    let one = try Tensor.ones([])
    try Tensor.backward([y], gradients: [one], inputs: [x], retainGraph: true)
    XCTAssertEqual(try x.grad?.toArray(Float.self), [8, 20, 36])
    XCTAssertNil(try w.grad, "the input pass leaves the weight alone")
    try Tensor.backward([y], gradients: [one], inputs: [w], retainGraph: false)
    XCTAssertEqual(try w.grad?.toArray(Float.self), [1, 4, 9])
    XCTAssertEqual(try x.grad?.toArray(Float.self), [8, 20, 36], "the weight pass leaves the input alone")
    // The graph is gone after the second pass.
    XCTAssertThrowsError(try Tensor.backward([y], gradients: [one], inputs: [w], retainGraph: false))
  }
}
