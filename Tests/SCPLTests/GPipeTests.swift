import Foundation
import XCTest
import NN
import TestSupport
import Torch
@testable import SCPL

/// A component that applies a small Linear (so BP has something to differentiate), can be told
/// to fail, and joins a `Meeting` as "forward k" in its forward: it shows GPipe's schedule by the
/// order of events, without depending on how busy the cores are.
final class ProbeComponent: Module, Component, @unchecked Sendable {
  let linear: Linear
  let index: Int
  var fail = false
  var meeting: Meeting?

  init(width: Int, index: Int) throws {
    linear = try Linear(width, width)
    self.index = index
    super.init()
  }

  func callAsFunction(_ x: Activation) throws -> Activation {
    if fail { throw TorchError("probe component broke on purpose") }
    meeting?.inside("forward \(index)")
    return Activation(try linear(x.tensor))
  }

  func features(_ y: Activation) throws -> Tensor { y.tensor }

  static func model(components: Int) throws -> StagedModel {
    try StagedModel(
      name: "probe", family: .vision,
      components: (0..<components).map { try ProbeComponent(width: 4, index: $0) },
      classifier: try Sequential { try Linear(4, 2) }, classCount: 2, sampleShape: [4])
  }
}

/// gpipe and scpl-gpipe: micro-batching changes the order of sums, not the mathematics, so on
/// models without BatchNorm gradients and weights match whole-batch training up to rounding.
final class GPipeTests: XCTestCase {
  /// Largest |a − b| over two tensors.
  func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double { try (a - b).abs().max().item() }

  /// Largest difference over two lists of named tensors (same names, same order).
  func maxDifference(
    _ a: [(String, Tensor)], _ b: [(String, Tensor)], file: StaticString = #filePath, line: UInt = #line
  ) throws -> Double {
    XCTAssertEqual(a.map(\.0), b.map(\.0), file: file, line: line)
    return try zip(a, b).map { try maxDifference($0.1, $1.1) }.max() ?? 0
  }

  func batches(_ model: String, count: Int = 3, rows: Int = 6) throws -> [(inputs: Tensor, labels: Tensor)] {
    try Torch.manualSeed(11)
    let m = try tinyModel(model)
    return try (0..<count).map { _ in
      let (x, y) = try tinyBatch(m, n: rows); return (inputs: x, labels: y)
    }
  }

  func options(
    _ kind: PipelineKind, devices: Int, placement: [Int]? = nil, microBatches: Int = 3, recompute: Bool = false
  ) throws -> PipelineOptions {
    var o = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
    o.placement = try placement.map { try Placement($0, deviceCount: devices) }
    o.costEstimate = .parameters
    o.microBatches = microBatches
    o.recompute = recompute
    return o
  }

  /// Trains a fresh method (seed 5) over `batches`; returns its state and per-step losses.
  func train(
    _ model: String, _ method: MethodKind, _ options: PipelineOptions, batches: [(inputs: Tensor, labels: Tensor)],
    learningRate: Double = 1e-3
  ) throws -> (state: [(String, Tensor)], losses: [[Double]], gradients: [(String, Tensor?)]) {
    try Torch.manualSeed(5)
    let m = try Methods.make(method, model: tinyModel(model))
    for o in m.optimizers { o.learningRate = learningRate }
    let executor = try Pipelines.make(m, options)
    defer { executor.shutdown() }
    var losses: [[Double]] = []
    try executor.trainEpoch(batches) { step in
      XCTAssertEqual(step.batch, losses.count, "results come back in batch order")
      losses.append(step.losses)
    }
    return (
      m.stateDict(), losses,
      try m.modules.flatMap { prefix, module in
        try module.namedParameters().map { ("\(prefix).\($0.0)", try $0.1.grad) }
      }
    )
  }

  func testMicroBatchSizesAndActivationSplitting() throws {
    XCTAssertEqual(MicroBatches.sizes(rows: 10, count: 4), [3, 3, 2, 2])
    XCTAssertEqual(MicroBatches.sizes(rows: 6, count: 4), [2, 2, 1, 1])
    XCTAssertEqual(MicroBatches.sizes(rows: 3, count: 4), [1, 1, 1], "a short batch: one row per micro-batch")
    XCTAssertEqual(MicroBatches.sizes(rows: 5, count: 1), [5])
    let x = Activation(
      try Tensor.randn([5, 3]), mask: try Tensor.randn([5, 7]) .> 0,
      state: (try Tensor.randn([2, 5, 4]), try Tensor.randn([2, 5, 4])), labelPath: try Tensor.randn([5, 2]))
    let parts = try x.split(sizes: [2, 2, 1])
    XCTAssertEqual(parts.map(\.batchSize), [2, 2, 1])
    XCTAssertEqual(parts[2].state?.h.shape, [2, 1, 4])
    let back = try Activation.concatenated(parts)
    for (a, b) in zip(
      [x.tensor, x.state!.h, x.state!.c, x.labelPath!], [back.tensor, back.state!.h, back.state!.c, back.labelPath!])
    {
      XCTAssertEqual(try a.bytes(), try b.bytes())
    }
    XCTAssertEqual(try x.mask!.bytes(), try back.mask!.bytes())
    XCTAssertThrowsError(try Activation.concatenated([parts[0], Activation(try Tensor.zeros([1, 3]))])) {
      XCTAssertTrue("\($0)".contains("only 2 of 3 micro-batches") || "\($0)".contains("micro-batches carry"), "\($0)")
    }
  }

  /// After one mini-batch (before the step) every parameter's gradient is whole-batch BP's within
  /// 1e-6 (measured: at most 2e-8, for gradients up to ~0.3), with and without recompute, with even
  /// (3 × 2 rows) and uneven (2, 2, 1, 1) micro-batches, on 2 devices and on 4 (every boundary:
  /// the LSTM hands its state across too); the loss is the whole batch's mean cross-entropy.
  func testGPipeGradientsMatchWholeBatchBP() throws {
    for model in ["convnet", "lstm", "skip"] {  // skip: a tensor beside the main one crosses each boundary
      let (x, y) = try batches(model, count: 1)[0]
      try Torch.manualSeed(5)
      let reference = try BackpropMethod(model: tinyModel(model), options: MethodOptions())
      let referenceLoss = try crossEntropy(reference.model(x), y)
      try referenceLoss.backward()
      let expected = try reference.model.namedParameters().map { ($0.0, try $0.1.grad!) }
      for (devices, microBatches, recompute) in [
        (2, 3, false), (2, 3, true), (2, 4, false), (2, 4, true), (4, 4, false), (4, 3, true)
      ] {
        try Torch.manualSeed(5)
        let bp = try BackpropMethod(model: tinyModel(model), options: MethodOptions())
        let placement = devices == 2 ? [0, 0, 1, 1] : [0, 1, 2, 3]
        let executor = try Pipelines.make(
          bp, options(.gpipe, devices: devices, placement: placement, microBatches: microBatches, recompute: recompute))
        defer { executor.shutdown() }
        let gpipe = try XCTUnwrap(executor as? BatchByBatchExecutor<GPipeSchedule>).schedule
        let loss = try XCTUnwrap(try gpipe.backpropagate(0, x, y), "one process has the last stage")
        let label = "\(model) on \(devices) devices, M=\(microBatches), recompute=\(recompute)"
        XCTAssertEqual(loss, try referenceLoss.item(), accuracy: 1e-6, label)
        let got = try bp.model.namedParameters().map { name, p in
          (name, try XCTUnwrap(p.grad, "\(label): \(name) has no gradient"))
        }
        let difference = try maxDifference(expected, got)
        XCTAssertLessThan(difference, 1e-6, label)
      }
    }
  }

  /// 1F1B is GPipe's work in another order: on every model, device count and micro-batch count,
  /// with and without recompute, the mini-batch loss is GPipe's bit for bit (the same per
  /// micro-batch losses, added in the same order), and every parameter's gradient GPipe's within
  /// 1e-6 (measured: at most 1.1e-8, printed; each device adds its micro-batches 1…M where GPipe adds M…1).
  /// Device d held at most K − d micro-batches' graphs at once, where GPipe held all M. zb-h1
  /// (its backward split into the input pass and the weight pass) gives 1f1b's gradients exactly.
  func test1F1BComputesGPipesGradientsHoldingFewerMicroBatches() throws {
    var largest = 0.0
    defer { print("1f1b against gpipe: largest gradient difference \(largest)") }
    for model in ["convnet", "lstm", "skip"] {
      let (x, y) = try batches(model, count: 1)[0]
      for (devices, microBatches, recompute) in [(2, 3, false), (2, 6, true), (4, 4, false), (4, 6, false)] {
        let placement = devices == 2 ? [0, 0, 1, 1] : [0, 1, 2, 3]
        var results: [(loss: Double, gradients: [(String, Tensor)], held: [Int])] = []
        for kind in [PipelineKind.gpipe, .oneFOneB, .zbH1] {
          try Torch.manualSeed(5)
          let bp = try BackpropMethod(model: tinyModel(model), options: MethodOptions())
          let executor = try Pipelines.make(
            bp, options(kind, devices: devices, placement: placement, microBatches: microBatches, recompute: recompute))
          defer { executor.shutdown() }
          let schedule = try XCTUnwrap(executor as? BatchByBatchExecutor<GPipeSchedule>).schedule
          XCTAssertEqual(schedule.kind, kind)
          let loss = try XCTUnwrap(try schedule.backpropagate(0, x, y), "one process has the last stage")
          let gradients = try bp.model.namedParameters().map { ($0.0, try XCTUnwrap($0.1.grad, $0.0)) }
          results.append((loss, gradients, schedule.peakHeldMicroBatches))
        }
        let label = "\(model) on \(devices) devices, M=\(microBatches), recompute=\(recompute)"
        let rows = min(microBatches, x.shape[0])
        XCTAssertEqual(results[1].loss, results[0].loss, label)
        let difference = try maxDifference(results[0].gradients, results[1].gradients)
        largest = max(largest, difference)
        XCTAssertLessThan(difference, 1e-6, label)
        XCTAssertEqual(results[0].held, Array(repeating: rows, count: devices), "gpipe: \(label)")
        XCTAssertEqual(results[1].held, (0..<devices).map { min(devices - $0, rows) }, "1f1b: \(label)")
        // zb-h1's split passes compute 1f1b's gradients bit for bit (the same kernels, the W
        // passes in 1f1b's micro-batch order), holding at most K micro-batches on any device.
        XCTAssertEqual(results[2].loss, results[0].loss, label)
        XCTAssertEqual(try maxDifference(results[1].gradients, results[2].gradients), 0, "zb-h1: \(label)")
        XCTAssertEqual(results[2].held, (0..<devices).map { _ in min(devices, rows) }, "zb-h1: \(label)")
      }
    }
  }

  /// Three steps of 1f1b train gpipe's weights within 1e-5, with the same losses within 1e-6; and
  /// a run option asks for it as for gpipe.
  func test1F1BWeightsMatchGPipeAfterThreeSteps() throws {
    let data = try batches("convnet")
    let gpipe = try train("convnet", .bp, options(.gpipe, devices: 2, placement: [0, 0, 1, 1]), batches: data)
    let oneF = try train("convnet", .bp, options(.oneFOneB, devices: 2, placement: [0, 0, 1, 1]), batches: data)
    XCTAssertLessThan(try maxDifference(gpipe.state, oneF.state), 1e-5)
    for (a, b) in zip(gpipe.losses, oneF.losses) { XCTAssertEqual(a[0], b[0], accuracy: 1e-6) }
    var p = PartialTrainConfig()
    p.method = .bp
    p.pipeline = .oneFOneB
    p.devices = try DeviceSpec(parsing: "2")
    p.microBatches = 4
    p.recompute = true
    let config = try p.resolved()
    XCTAssertEqual(config.pipeline, .oneFOneB)
    XCTAssertEqual(config.microBatches, 4)
    p.method = .scpl
    XCTAssertThrowsError(try p.resolved()) { XCTAssertTrue("\($0)".contains("serves BP only"), "\($0)") }
  }

  /// Interleaved 1F1B (2 devices, 2 chunks each: 4 stages, stage s on device s mod 2) is GPipe's
  /// work in another order, as 1F1B is: the same mini-batch loss bit for bit and every
  /// parameter's gradient within 1e-6 of gpipe's (measured: at most 7.5e-9, printed) on 2 devices, with and without recompute, with
  /// every hand-off a real copy (the wrap-around from device 1 back to device 0 included), and in
  /// GPipe's order for a batch of 3 rows (3 micro-batches, not a multiple of the 2 devices).
  /// Device 0 held 5 chunk-forwards at once and device 1 3, Megatron's warm-up
  /// (K − d − 1)·2 + (v − 1)·K plus one; and each component ran on its stage's device.
  func testInterleaved1F1BComputesGPipesGradients() throws {
    var largest = 0.0
    defer { print("interleaved-1f1b against gpipe: largest gradient difference \(largest)") }
    for model in ["convnet", "lstm", "skip"] {
      for (rows, microBatches, recompute) in [(6, 4, false), (6, 2, true), (3, 4, false)] {
        let (x, y) = try batches(model, count: 1, rows: rows)[0]
        var results: [(loss: Double, gradients: [(String, Tensor)], schedule: GPipeSchedule)] = []
        for kind in [PipelineKind.gpipe, .interleaved1F1B] {
          try Torch.manualSeed(5)
          let bp = try BackpropMethod(model: tinyModel(model), options: MethodOptions())
          var o = try options(kind, devices: 2, microBatches: microBatches, recompute: recompute)
          o.placement = try Placement(kind == .gpipe ? [0, 0, 1, 1] : [0, 1, 2, 3], deviceCount: kind == .gpipe ? 2 : 4)
          o.copyEveryHandOff = true
          let executor = try Pipelines.make(bp, o)
          defer { executor.shutdown() }
          let schedule = try XCTUnwrap(executor as? BatchByBatchExecutor<GPipeSchedule>).schedule
          XCTAssertEqual(schedule.kind, kind)
          schedule.group.timeline.begin()
          let loss = try XCTUnwrap(try schedule.backpropagate(0, x, y), "one process has the last stage")
          let gradients = try bp.model.namedParameters().map { ($0.0, try XCTUnwrap($0.1.grad, $0.0)) }
          results.append((loss, gradients, schedule))
        }
        let label = "\(model), \(rows) rows, M=\(microBatches), recompute=\(recompute)"
        XCTAssertEqual(results[1].loss, results[0].loss, label)
        let difference = try maxDifference(results[0].gradients, results[1].gradients)
        largest = max(largest, difference)
        XCTAssertLessThan(difference, 1e-6, label)
        let interleaved = results[1].schedule
        if rows == 6 && microBatches == 4 {
          XCTAssertEqual(interleaved.peakHeldMicroBatches, [5, 3], "interleaved: \(label)")
        }
        if rows == 3 {
          XCTAssertEqual(
            interleaved.peakHeldMicroBatches, [6, 6], "GPipe's order, 3 micro-batches × 2 chunks: \(label)")
        }
        let spans = interleaved.group.timeline.spans.filter { $0.kind == .forward }
        XCTAssertEqual(Set(spans.compactMap(\.component)), [0, 1, 2, 3], label)
        for span in spans { XCTAssertEqual(span.device, span.component! % 2, "\(label): component \(span.component!)") }
      }
    }
  }

  /// Three steps of interleaved-1f1b train gpipe's weights within 1e-5 and its losses within
  /// 1e-6; a run's config asks for it with its chunks (2 by default, given or dropped with the
  /// pipeline on --resume), and the placement then places components on the 4 stages.
  func testInterleaved1F1BWeightsMatchGPipeAfterThreeSteps() throws {
    let data = try batches("lstm")
    let gpipe = try train(
      "lstm", .bp, options(.gpipe, devices: 2, placement: [0, 0, 1, 1], microBatches: 2), batches: data)
    var o = try options(.interleaved1F1B, devices: 2, microBatches: 2)
    o.placement = nil  // balanced over the 4 stages
    let interleaved = try train("lstm", .bp, o, batches: data)
    XCTAssertLessThan(try maxDifference(gpipe.state, interleaved.state), 1e-5)
    for (a, b) in zip(gpipe.losses, interleaved.losses) { XCTAssertEqual(a[0], b[0], accuracy: 1e-6) }

    var p = PartialTrainConfig()
    p.method = .bp
    p.pipeline = .interleaved1F1B
    p.devices = try DeviceSpec(parsing: "2")
    let config = try p.resolved()
    XCTAssertEqual(config.chunksPerDevice, 2)
    XCTAssertEqual(try config.pipelineOptions(componentCount: 4).chunksPerDevice, 2)
    p.placement = try Placement(parsing: "0,1,2,3")
    XCTAssertEqual(try p.resolved().pipelineOptions(componentCount: 4).placement?.deviceCount, 4)
    p.placement = try Placement(parsing: "0,0,1,1")
    XCTAssertThrowsError(try p.resolved().pipelineOptions(componentCount: 4)) {
      XCTAssertTrue(
        "\($0)".contains(
          "--placement 0,0,1,1 places components on 2 stage(s), but interleaved-1f1b with 2 chunks on each of 2 device(s) has 4 stages (0…3)"
        ), "\($0)")
    }
    var layout = PartialTrainConfig()
    layout.pipeline = .gpipe
    XCTAssertNil(try config.withLayout(of: layout).chunksPerDevice, "gpipe has no chunks")
    layout.pipeline = .interleaved1F1B
    layout.chunksPerDevice = 1
    XCTAssertEqual(try config.withLayout(of: layout).chunksPerDevice, 1)
  }

  /// Three steps of gpipe (2 devices, 3 micro-batches) train `off`'s weights within 1e-5
  /// (measured: at most 2.1e-7), with and without recompute; the losses agree within 1e-5.
  func testGPipeWeightsMatchOffAfterThreeSteps() throws {
    for model in ["convnet", "lstm"] {
      let data = try batches(model)
      let reference = try train(model, .bp, options(.off, devices: 1), batches: data)
      for recompute in [false, true] {
        let run = try train(
          model, .bp, options(.gpipe, devices: 2, placement: [0, 0, 1, 1], recompute: recompute), batches: data)
        let difference = try maxDifference(reference.state, run.state)
        XCTAssertLessThan(difference, 1e-5, "\(model) recompute=\(recompute)")
        for (a, b) in zip(reference.losses, run.losses) { XCTAssertEqual(a[0], b[0], accuracy: 1e-5) }
      }
    }
  }

  /// Every parameter's gradient after one mini-batch under scpl-gpipe (3 micro-batches; 2
  /// devices, and 4) is `off`'s up to rounding, for SCPL, Early Exit and AL on the ConvNet and the
  /// LSTM: per tensor |Δg| ≤ 1e-5 · max|g| + 1e-9 (measured: at most 1e-8 absolute). The learning
  /// rate is 0, so the step leaves the weights (and the gradients) where they were computed.
  func testSCPLGPipeGradientsMatchOff() throws {
    for model in ["convnet", "lstm", "skip"] {
      let data = Array(try batches(model).prefix(1))
      for method in [MethodKind.scpl, .earlyExit, .al] {
        let reference = try train(model, method, options(.off, devices: 1), batches: data, learningRate: 0)
        for (devices, placement) in [(2, [0, 0, 1, 1]), (4, [0, 1, 2, 3])] {
          let label = "\(model) \(method) on \(devices) devices"
          let run = try train(
            model, method, options(.scplGPipe, devices: devices, placement: placement), batches: data, learningRate: 0)
          XCTAssertEqual(reference.gradients.map(\.0), run.gradients.map(\.0), label)
          var checked = 0
          for ((name, a), (_, b)) in zip(reference.gradients, run.gradients) {
            guard let a, let b else {
              XCTAssertTrue(a == nil && b == nil, "\(label): \(name) has a gradient in one run only"); continue
            }
            let (scale, difference) = (try a.abs().max().item(), try maxDifference(a, b))
            XCTAssertLessThanOrEqual(difference, 1e-5 * scale + 1e-9, "\(label): \(name), gradients up to \(scale)")
            checked += 1
          }
          XCTAssertGreaterThan(checked, 8, label)
          for (u, v) in zip(reference.losses[0], run.losses[0]) { XCTAssertEqual(u, v, accuracy: 1e-6, label) }
        }
      }
    }
  }

  /// Three steps of scpl-gpipe (3 micro-batches; 2 devices, and 4) train `off`'s weights within
  /// 1e-5 (measured: at most 3.4e-7) and its losses within 1e-5, for SCPL, Early Exit and AL on
  /// the LSTM and Early Exit and AL on the ConvNet.
  ///
  /// SCPL on this tiny ConvNet is compared by losses only: its later components' contrastive
  /// losses sit on a plateau where the gradients are ~1e-8, the size of Adam's ε, so Adam turns
  /// rounding into steps of the learning rate's size. The control below shows it: `off` against
  /// `off` on the same batches with two rows swapped (the same mathematics, another summation
  /// order) already differs by ~1e-3 in the weights. Its gradients are compared above.
  func testSCPLGPipeWeightsMatchOffAfterThreeSteps() throws {
    for model in ["convnet", "lstm"] {
      let data = try batches(model)
      for method in [MethodKind.scpl, .earlyExit, .al] {
        let reference = try train(model, method, options(.off, devices: 1), batches: data)
        for (devices, placement) in [(2, [0, 0, 1, 1]), (4, [0, 1, 2, 3])] {
          let label = "\(model) \(method) on \(devices) devices"
          let run = try train(model, method, options(.scplGPipe, devices: devices, placement: placement), batches: data)
          for (a, b) in zip(reference.losses, run.losses) {
            for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-5, label) }
          }
          guard !(model == "convnet" && method == .scpl) else { continue }
          XCTAssertLessThan(try maxDifference(reference.state, run.state), 1e-5, label)
        }
      }
    }
    let data = try batches("convnet")
    let swapped = try data.map { b in
      let order = try Tensor([Int64(1), 0, 2, 3, 4, 5])
      return (inputs: try b.inputs.indexSelect(axis: 0, order), labels: try b.labels.indexSelect(axis: 0, order))
    }
    let a = try train("convnet", .scpl, options(.off, devices: 1), batches: data)
    let b = try train("convnet", .scpl, options(.off, devices: 1), batches: swapped)
    XCTAssertGreaterThan(
      try maxDifference(a.state, b.state), 1e-4, "the control: SCPL on the tiny ConvNet amplifies rounding")
  }

  /// With BatchNorm the statistics are per micro-batch, so VGG trains other weights than `off`;
  /// both executors still run it, with finite losses, recompute included.
  func testBothRunOnVGG() throws {
    let data = try batches("vgg", count: 2)
    for (method, kind, recompute) in [
      (MethodKind.bp, PipelineKind.gpipe, false), (.bp, .gpipe, true), (.scpl, .scplGPipe, false)
    ] {
      let run = try train(
        "vgg", method, options(kind, devices: 2, placement: [0, 0, 1, 1], microBatches: 2, recompute: recompute),
        batches: data)
      XCTAssertEqual(run.losses.count, 2)
      XCTAssertTrue(run.losses.joined().allSatisfy(\.isFinite), "\(kind) recompute=\(recompute): \(run.losses)")
    }
  }

  /// gpipe on 2 devices overlaps micro-batches' forwards (2 components sleeping 15 ms per
  /// micro-batch, 4 micro-batches): device 1's forward of a micro-batch runs while device 0
  /// runs another's. The trace has every span where it belongs: forwards per component and
  /// micro-batch, one learn (loss/backward) per device and micro-batch in the order 4…1, one step
  /// on device 0. (The speed-up is measured by `scpl bench`, not asserted here.)
  func testGPipeOverlapsMicroBatchesAndTracesEverySpan() throws {
    let data = try (0..<3).map { _ in
      (inputs: try Tensor.randn([8, 4]), labels: try Tensor((0..<8).map { Int64($0 % 2) }))
    }
    let bp = try BackpropMethod(model: ProbeComponent.model(components: 2), options: MethodOptions())
    // Device 1's forward of micro-batch 1 and device 0's of micro-batch 2 meet (each waits inside
    // its forward for the other): they run at the same time.
    let meeting = Meeting(["forward 0": 1, "forward 1": 0])
    for c in bp.model.components { (c as! ProbeComponent).meeting = meeting }
    let e = try Pipelines.make(bp, options(.gpipe, devices: 2, placement: [0, 1], microBatches: 4))
    defer { e.shutdown() }
    try e.trainEpoch(data)
    let spans = e.timeline.spans
    for d in 0..<2 {
      let mine = spans.filter { $0.device == d }
      XCTAssertEqual(mine.filter { $0.kind == .forward && $0.component == d }.count, 3 * 4)
      let learns = mine.filter { $0.kind == .learn }
      XCTAssertEqual(learns.count, 3 * 4)
      XCTAssertEqual(
        learns.filter { $0.batch == 1 }.map(\.microBatch), [3, 2, 1, 0], "device \(d): backwards in order M…1")
      XCTAssertEqual(mine.filter { $0.kind == .step }.count, d == 0 ? 3 : 0)
    }
    let d0 = spans.filter { $0.device == 0 && $0.kind == .forward },
      d1 = spans.filter { $0.device == 1 && $0.kind == .forward }
    XCTAssertTrue(meeting.met, "no concurrent forwards")
    XCTAssertTrue(
      d1.contains { a in d0.contains { b in a.batch == b.batch && a.start < b.end && b.start < a.end } },
      "no concurrent forward spans")
    let events = ChromeTrace.events(e.timeline).filter { $0["ph"] as? String == "X" }
    XCTAssertTrue(
      events.contains {
        $0["name"] as? String == "forward c2 m4" && ($0["args"] as? [String: Any])?["micro_batch"] as? Int == 3
      })
  }

  /// scpl-gpipe on 2 devices: forwards of micro-batches overlap across devices and device 0
  /// learns while device 1 still runs its forwards.
  func testSCPLGPipeOverlapsMicroBatches() throws {
    let data = try (0..<3).map { _ in
      (inputs: try Tensor.zeros([8, 1, 16, 16]), labels: try Tensor((0..<8).map { Int64($0 % 2) }))
    }
    func run(devices: Int) throws -> (seconds: Double, method: CountingMethod, timeline: Timeline) {
      let method = try CountingMethod(components: 2, seconds: 0)
      // Device 0's learning of batch 0 and device 1's first forward meet: they run at once.
      method.meeting = Meeting(["learn 0": 0, "forward 1": 0])
      let e = try Pipelines.make(
        method, options(.scplGPipe, devices: devices, placement: devices == 1 ? [0, 0] : [0, 1], microBatches: 4))
      defer { e.shutdown() }
      return (try e.trainEpoch(data).seconds, method, e.timeline)
    }
    let two = try run(devices: 2)
    XCTAssertEqual(two.method.counters.map(\.learned), [3, 3])
    XCTAssertTrue(two.method.meeting!.met, "device 0 never learned while device 1 ran a forward")
    let spans = two.timeline.spans
    for d in 0..<2 {
      XCTAssertEqual(spans.filter { $0.device == d && $0.kind == .forward && $0.microBatch != nil }.count, 3 * 4)
      XCTAssertEqual(spans.filter { $0.device == d && $0.kind == .learn && $0.microBatch == nil }.count, 3)
    }
    let learn0 = spans.filter { $0.device == 0 && $0.kind == .learn },
      forward1 = spans.filter { $0.device == 1 && $0.kind == .forward }
    XCTAssertTrue(
      learn0.contains { a in forward1.contains { b in a.batch == b.batch && a.start < b.end && b.start < a.end } },
      "device 0 learns while device 1 runs forwards")
  }

  /// A failing component stops the epoch with its place (micro-batch included); the executors
  /// stay usable.
  func testErrorsSayWhereAndTheExecutorsRecover() throws {
    let data = try (0..<2).map { _ in
      (inputs: try Tensor.randn([8, 4]), labels: try Tensor((0..<8).map { Int64($0 % 2) }))
    }
    let model = try ProbeComponent.model(components: 2)
    let e = try Pipelines.make(
      BackpropMethod(model: model, options: MethodOptions()), options(.gpipe, devices: 2, microBatches: 4))
    defer { e.shutdown() }
    (model.components[1] as! ProbeComponent).fail = true
    XCTAssertThrowsError(try e.trainEpoch(data)) {
      XCTAssertTrue(
        "\($0)".contains(
          "component 2 on device 1 (cpu:1), batch 0, micro-batch 1 of 4: probe component broke on purpose"), "\($0)")
    }
    (model.components[1] as! ProbeComponent).fail = false
    XCTAssertEqual(try e.trainEpoch(data).steps, 2)

    let method = try CountingMethod(components: 4, seconds: 0)
    method.counters[2].failAtBatch = 1
    let s = try Pipelines.make(method, options(.scplGPipe, devices: 2, placement: [0, 0, 1, 1], microBatches: 2))
    defer { s.shutdown() }
    var delivered: [Int] = []
    XCTAssertThrowsError(
      try s.trainEpoch(
        try (0..<4).map { _ in (inputs: try Tensor.zeros([4, 1, 16, 16]), labels: try Tensor([Int64(0), 1, 0, 1])) }
      ) {
        delivered.append($0.batch)
      }
    ) { XCTAssertTrue("\($0)".contains("component 3 on device 1 (cpu:1), batch 1: stage 3 broke on purpose"), "\($0)") }
    XCTAssertEqual(delivered, [0])
    method.counters[2].failAtBatch = nil
    XCTAssertEqual(
      try s.trainEpoch(
        try (0..<2).map { _ in (inputs: try Tensor.zeros([4, 1, 16, 16]), labels: try Tensor([Int64(0), 1, 0, 1])) }
      ).steps, 2)
  }

  func testOptionsAreChecked() throws {
    let model = try tinyModel("convnet")
    let bp = try Methods.make(.bp, model: model), scpl = try Methods.make(.scpl, model: model)
    let cases: [(any TrainingMethod, PipelineOptions, String)] = [
      (bp, try options(.gpipe, devices: 2, microBatches: 0), "--micro-batches must be at least 1"),
      (
        scpl, try options(.scplGPipe, devices: 2, recompute: true),
        "applies to --pipeline gpipe, 1f1b, interleaved-1f1b and zb-h1 only"
      ),
      (
        scpl, try options(.async, devices: 2, recompute: true),
        "applies to --pipeline gpipe, 1f1b, interleaved-1f1b and zb-h1 only"
      ),
      (scpl, try options(.gpipe, devices: 2), "use scpl-gpipe"),
      (bp, try options(.scplGPipe, devices: 2), "for BP use gpipe")
    ]
    for (method, o, says) in cases {
      XCTAssertThrowsError(try Pipelines.make(method, o)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
    }
  }

  func testTrainConfigTakesMicroBatchesAndRecompute() throws {
    func config(_ edit: (inout PartialTrainConfig) -> Void) throws -> TrainConfig {
      var p = PartialTrainConfig()
      p.model = .convnet; p.method = .bp; p.dataset = .fashionMNIST; p.batchSize = 8;
      p.devices = try DeviceSpec(parsing: "2");
      p.pipeline = .gpipe
      edit(&p)
      return try p.resolved()
    }
    let plain = try config { _ in }
    XCTAssertEqual(plain.microBatches, 4)
    XCTAssertFalse(plain.recompute)
    let c = try config {
      $0.microBatches = 8; $0.recompute = true
    }
    let o = try c.pipelineOptions(componentCount: 4)
    XCTAssertEqual(o.kind, .gpipe)
    XCTAssertEqual(o.microBatches, 8)
    XCTAssertTrue(o.recompute)
    XCTAssertEqual(
      try config {
        $0.method = .scpl; $0.pipeline = .scplGPipe; $0.microBatches = 2
      }.microBatches, 2)
    let mistakes: [((inout PartialTrainConfig) -> Void, String)] = [
      ({ $0.microBatches = 9 }, "--micro-batches must be between 1 and the batch size 8, got 9"),
      ({ $0.microBatches = 0 }, "--micro-batches must be between 1 and the batch size 8, got 0"),
      (
        {
          $0.method = .scpl; $0.pipeline = .async; $0.microBatches = 2
        }, "--micro-batches applies to --pipeline gpipe, 1f1b, interleaved-1f1b, zb-h1 and scpl-gpipe"
      ),
      (
        {
          $0.method = .scpl; $0.pipeline = .scplGPipe; $0.recompute = true
        }, "--recompute applies to --pipeline gpipe, 1f1b, interleaved-1f1b and zb-h1 only"
      ),
      ({ $0.method = .scpl }, "use scpl-gpipe"),
      ({ $0.chunksPerDevice = 2 }, "--chunks-per-device applies to --pipeline interleaved-1f1b only, not gpipe"),
      (
        {
          $0.pipeline = .interleaved1F1B; $0.chunksPerDevice = 3
        }, "cuts the network into 6 stages, but it has 4 component(s)"
      ),
      (
        {
          $0.pipeline = .interleaved1F1B; $0.microBatches = 3
        }, "--micro-batches must be a multiple of 2, got 3"
      ),
      (
        {
          $0.pipeline = .interleaved1F1B; $0.chunksPerDevice = 0
        }, "--chunks-per-device must be between 1 and 64, got 0"
      )
    ]
    for (edit, says) in mistakes {
      XCTAssertThrowsError(try config(edit)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
    }
    // The YAML keys are the option names.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gpipe-\(UUID()).yaml")
    defer { try? FileManager.default.removeItem(at: url) }
    try "micro-batches: 2\nrecompute: true\n".write(to: url, atomically: true, encoding: .utf8)
    let file = try PartialTrainConfig.load(yaml: url)
    XCTAssertEqual(file.microBatches, 2)
    XCTAssertEqual(file.recompute, true)
  }
}
