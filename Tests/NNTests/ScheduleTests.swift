import Foundation
import XCTest
import Torch
@testable import NN

final class ScheduleTests: XCTestCase {
  // Spec 6.1's table: base 1e-3, end 1e-5, 200 epochs, rate set once per epoch.
  func testCosinePerEpochMatchesSpecTable() throws {
    let schedule = try CosineSchedule(base: 1e-3, end: 1e-5, epochs: 200, stepsPerEpoch: 391)
    XCTAssertEqual(schedule.granularity, .perEpoch)
    let table: [(Int, String)] = [
      (1, "1.000e-03"), (2, "9.999e-04"), (51, "8.550e-04"), (101, "5.050e-04"), (151, "1.550e-04"), (200, "1.006e-05")
    ]
    for (epoch, printed) in table {
      // Within an epoch the step does not matter: the rate is that of the epoch's first step.
      for step in [(epoch - 1) * 391, (epoch - 1) * 391 + 390] {
        let lr = try schedule.learningRate(epoch: epoch, step: step)
        XCTAssertEqual(String(format: "%.3e", lr), printed, "epoch \(epoch), step \(step)")
      }
    }
    // The closed form of spec 6.1: lr_e = end + (base − end)·½(1 + cos(π(e−1)/E)).
    XCTAssertEqual(
      try schedule.learningRate(epoch: 51, step: 0), 1e-5 + 0.99e-3 * 0.5 * (1 + cos(Double.pi * 50 / 200)),
      accuracy: 1e-18)
    XCTAssertEqual(try schedule.learningRate(epoch: 1, step: 0), 1e-3)
  }

  func testCosinePerStepEndsAtEndRate() throws {
    let schedule = try CosineSchedule(base: 0.1, end: 0.002, epochs: 3, stepsPerEpoch: 5, granularity: .perStep)
    XCTAssertEqual(schedule.totalSteps, 15)
    XCTAssertEqual(try schedule.learningRate(epoch: 1, step: 0), 0.1)
    XCTAssertEqual(try schedule.learningRate(epoch: 3, step: 15), 0.002, accuracy: 1e-17)
    // Midway q = ½: the average of base and end.
    let midway = try CosineSchedule(base: 0.1, end: 0.002, epochs: 2, stepsPerEpoch: 5, granularity: .perStep)
    XCTAssertEqual(try midway.learningRate(epoch: 2, step: 5), 0.051, accuracy: 1e-15)
    // Strictly decreasing from step to step, and equal to the per-epoch rate at epoch starts.
    let perEpoch = try CosineSchedule(base: 0.1, end: 0.002, epochs: 3, stepsPerEpoch: 5)
    var previous = Double.infinity
    for step in 0...15 {
      let epoch = Swift.min(step / 5 + 1, 3)
      let lr = try schedule.learningRate(epoch: epoch, step: step)
      XCTAssertLessThan(lr, previous)
      previous = lr
      if step % 5 == 0 && step < 15 {
        XCTAssertEqual(lr, try perEpoch.learningRate(epoch: epoch, step: step), accuracy: 1e-18)
      } else {
        XCTAssertNotEqual(lr, try perEpoch.learningRate(epoch: epoch, step: step))
      }
    }
    // The per-epoch version never reaches `end`: its last epoch starts one epoch early.
    XCTAssertGreaterThan(try perEpoch.learningRate(epoch: 3, step: 14), 0.002 + 1e-3)
  }

  func testConstantScheduleAndEqualBaseAndEnd() throws {
    let constant = try ConstantSchedule(1e-3)
    for (epoch, step) in [(1, 0), (7, 123), (50, 99_999)] {
      XCTAssertEqual(try constant.learningRate(epoch: epoch, step: step), 1e-3)
    }
    // The NLP default base = end = 1e-3 makes the cosine schedule constant (spec 6.1).
    let flat = try CosineSchedule(base: 1e-3, end: 1e-3, epochs: 50, stepsPerEpoch: 10)
    for epoch in [1, 25, 50] { XCTAssertEqual(try flat.learningRate(epoch: epoch, step: 0), 1e-3, accuracy: 1e-18) }
  }

  func testScheduleSetsTheOptimizersRate() throws {
    let adam = try Adam([Tensor([1.0]).requiringGrad()])
    let schedule = try CosineSchedule(base: 1e-3, end: 1e-5, epochs: 200, stepsPerEpoch: 10)
    try adam.apply(schedule, epoch: 101, step: 1000)
    XCTAssertEqual(String(format: "%.3e", adam.learningRate), "5.050e-04")
  }

  func testInvalidArgumentsThrow() throws {
    XCTAssertThrowsError(try CosineSchedule(base: 1e-3, end: 1e-5, epochs: 0, stepsPerEpoch: 10)) {
      XCTAssertTrue("\($0)".contains("epochs must be ≥ 1"), "\($0)")
    }
    XCTAssertThrowsError(try CosineSchedule(base: 1e-3, end: 1e-5, epochs: 10, stepsPerEpoch: 0)) {
      XCTAssertTrue("\($0)".contains("steps per epoch must be ≥ 1"), "\($0)")
    }
    XCTAssertThrowsError(try CosineSchedule(base: -1, end: 1e-5, epochs: 10, stepsPerEpoch: 1))
    XCTAssertThrowsError(try CosineSchedule(base: 1e-3, end: .nan, epochs: 10, stepsPerEpoch: 1))
    XCTAssertThrowsError(try ConstantSchedule(-0.1))
    let schedule = try CosineSchedule(base: 1e-3, end: 1e-5, epochs: 10, stepsPerEpoch: 4, granularity: .perStep)
    XCTAssertThrowsError(try schedule.learningRate(epoch: 0, step: 0)) {
      XCTAssertTrue("\($0)".contains("epoch 0 is outside 1…10"), "\($0)")
    }
    XCTAssertThrowsError(try schedule.learningRate(epoch: 11, step: 0))
    XCTAssertThrowsError(try schedule.learningRate(epoch: 10, step: 41)) {
      XCTAssertTrue("\($0)".contains("step 41 is outside 0…40"), "\($0)")
    }
    XCTAssertThrowsError(try schedule.learningRate(epoch: 1, step: -1))
    XCTAssertThrowsError(try ConstantSchedule(1e-3).learningRate(epoch: 0, step: 0))
  }
}
