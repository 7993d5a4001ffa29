import Data
import Foundation
import XCTest
import NN
import Torch
@testable import SCPL

/// Per-component predictors and per-sample adaptive inference: the rules decide as computed by
/// hand, a predictor's weight scales exactly what reaches its component, and the two ends of the
/// confidence rule are the full network and the first predictor, sample by sample.
final class AdaptiveInferenceTests: XCTestCase {
  func testRulesParseAndNameTheirForms() throws {
    XCTAssertEqual(try ExitRule(parsing: "confidence:0.9"), .confidence(0.9))
    XCTAssertEqual(try ExitRule(parsing: "Patience:3"), .patience(3))
    XCTAssertEqual(try ExitRule(parsing: "agreement:-0.5"), .agreement(-0.5))
    XCTAssertEqual(ExitRule.confidence(1).description, "confidence:1")
    XCTAssertEqual(ExitRule.agreement(0.95).description, "agreement:0.95")
    XCTAssertEqual(ExitRule.patience(2).with(threshold: 3.2), .patience(3))
    for (text, says) in [
      ("confidence", "is not a rule"), ("confidence:1.5", "a probability in [0, 1], got '1.5'"),
      ("patience:0", "a count of at least 1, got '0'"), ("agreement:x", "a cosine similarity in [-1, 1], got 'x'"),
      ("entropy:0.2", "unknown rule 'entropy'")
    ] {
      XCTAssertThrowsError(try ExitRule(parsing: text)) { XCTAssertTrue("\($0)".contains(says), "\(text): \($0)") }
    }
  }

  /// Logits whose softmax is known: [ln 3, 0] gives 0.75 and 0.25; [0, 0] gives 0.5 each.
  func testRulesDecideAsComputedByHand() {
    let sure: [Float] = [Float(log(3.0)), 0], unsure: [Float] = [0, 0], other: [Float] = [0, 2]
    XCTAssertEqual(ExitRule.largestProbability(sure), 0.75, accuracy: 1e-7)
    var state = ExitRule.State(rows: 2)
    XCTAssertEqual(ExitRule.confidence(0.7).exits([sure, unsure], &state), [true, false])
    XCTAssertEqual(ExitRule.confidence(0.5).exits([sure, unsure], &state), [true, false], "strictly above P")
    XCTAssertEqual(ExitRule.confidence(0).exits([sure, unsure], &state), [true, true])
    XCTAssertEqual(ExitRule.confidence(1).exits([[100, -100], sure], &state), [false, false], "1 never exits")
    // patience:2 — the first predictor never has a streak of 2; the second agrees on row 0 only.
    state = ExitRule.State(rows: 2)
    XCTAssertEqual(ExitRule.patience(2).exits([sure, sure], &state), [false, false])
    XCTAssertEqual(ExitRule.patience(2).exits([sure, other], &state), [true, false])
    XCTAssertEqual(ExitRule.patience(2).exits([sure, other], &state), [true, true])
    XCTAssertEqual(state.streak, [3, 2])
    // agreement: same class and cosine ≥ C. [ln 3, 0] against [2 ln 3, 0.1]: cosine ≈ 0.9989.
    state = ExitRule.State(rows: 1)
    _ = ExitRule.agreement(0.99).exits([sure], &state)
    let next: [Float] = [Float(2 * log(3.0)), 0.1]
    let cosine = ExitRule.cosine(sure, next)
    XCTAssertEqual(cosine, 2 * log(3.0) / (4 * log(3.0) * log(3.0) + 0.01).squareRoot(), accuracy: 1e-6)
    var copy = state
    XCTAssertEqual(ExitRule.agreement(0.99).exits([next], &state), [true])
    XCTAssertEqual(ExitRule.agreement(0.9995).exits([next], &copy), [false])
    XCTAssertEqual(ExitRule.agreement(-1).exits([other], &state), [false], "different classes never agree")
  }

  /// `scalingGradient(by:)` keeps the value bit for bit and scales the gradient: d/dx Σ(w·x)²
  /// through it is 2·x·w·(the scale), checked against 0, 0.25 and 1.
  func testScalingGradientKeepsTheValueAndScalesTheGradient() throws {
    try Torch.manualSeed(3)
    let x = try Tensor.randn([5]).requiringGrad()
    for w in [0.0, 0.25, 1.0] {
      let y = try x.scalingGradient(by: w)
      XCTAssertEqual(try y.bytes(), try x.bytes(), "w = \(w): the value is x's")
      guard w > 0 else { XCTAssertFalse(y.requiresGrad); continue }
      try (y * y).sum().backward()
      let expected = try x.detached() * (2 * w)
      XCTAssertLessThan(try (x.grad! - expected).abs().max().item(), 1e-6, "w = \(w)")
      try x.grad!.zero_()
    }
  }

  /// SCPL with predictors: the component's gradient is linear in the weight — g(w) = g(0) +
  /// w·(g(1) − g(0)) within 1e-6 — and at weight 0 it is plain SCPL's bit for bit (the predictors
  /// read detached features). Each method is built from the same seed and takes one step at
  /// learning rate 0, so the gradients are those of the same weights.
  func testAPredictorsWeightScalesWhatReachesItsComponent() throws {
    for model in ["vgg", "lstm"] {
      try Torch.manualSeed(11)
      let probe = try tinyModel(model)
      let (x, y) = try tinyBatch(probe)
      func gradients(_ predictors: PredictorKind?, weight: Double) throws -> [Tensor] {
        try Torch.manualSeed(5)
        var options = MethodOptions()
        options.predictors = predictors
        options.predictorWeight = weight
        let m = try SCPLMethod(model: tinyModel(model), options: options)
        for o in m.optimizers { o.learningRate = 0 }
        _ = try m.trainStep(inputs: x, labels: y)
        return try m.model.parameters(ofComponent: 0).map { try XCTUnwrap($0.grad) }
      }
      let plain = try gradients(nil, weight: 0)
      let zero = try gradients(.mlp, weight: 0), half = try gradients(.mlp, weight: 0.5),
        one = try gradients(.mlp, weight: 1)
      for (p, z) in zip(plain, zero) {
        XCTAssertEqual(try p.bytes(), try z.bytes(), "\(model): weight 0 is plain SCPL")
      }
      var moved = 0.0
      for ((z, h), o) in zip(zip(zero, half), one) {
        let expected = try z + (o - z) * 0.5
        XCTAssertLessThan(try (h - expected).abs().max().item(), 1e-6, model)
        moved = max(moved, try (o - z).abs().max().item())
      }
      XCTAssertGreaterThan(moved, 1e-6, "\(model): the predictors' gradient reaches component 1 at weight 1")
    }
  }

  /// A method trained for two batches with a predictor per component, and 12 test samples.
  func trained(_ kind: MethodKind, _ model: String = "vgg") throws -> (any TrainingMethod, TensorDataset) {
    try Torch.manualSeed(5)
    var options = MethodOptions()
    options.predictors = kind == .scpl ? .mlp : nil
    let method = try Methods.make(kind, model: tinyModel(model), options: options)
    try Torch.manualSeed(7)
    for _ in 0..<2 {
      let (x, y) = try tinyBatch(method.model)
      _ = try method.trainStep(inputs: x, labels: y)
    }
    let (x, y) = try tinyBatch(method.model, n: 12)
    return (method, try TensorDataset(name: "tiny", inputs: x, labels: y, classCount: 3))
  }

  /// confidence:1 never exits before the last component: every sample's class is the full
  /// network's argmax and the accuracy is `Evaluation.run`'s. confidence:0 exits every sample at
  /// the first component, with the first predictor's class and accuracy. On the VGG and the LSTM
  /// (whose state the remaining rows carry along axis 1), for SCPL with predictors and Early Exit.
  func testConfidenceOneIsTheFullNetworkAndZeroTheFirstPredictor() throws {
    for model in ["vgg", "lstm"] {
      for kind in [MethodKind.scpl, .earlyExit] {
        let label = "\(model) \(kind.rawValue)"
        let (method, data) = try trained(kind, model)
        let reference = try Evaluation.run(method, on: data, batchSize: 5)
        XCTAssertEqual(reference.headAccuracies.count, 4, label)
        let full = try AdaptiveInference.full(method, on: data, batchSize: 5)
        XCTAssertEqual(full.accuracy, reference.accuracy, label)
        let never = try AdaptiveInference.run(method, on: data, batchSize: 5, rule: .confidence(1), full: full)
        XCTAssertEqual(never.accuracy, reference.accuracy, label)
        XCTAssertEqual(never.meanComponents, 4, label)
        XCTAssertEqual(never.exitsPerComponent, [0, 0, 0, 12], label)
        let first = try AdaptiveInference.run(method, on: data, batchSize: 5, rule: .confidence(0), full: full)
        XCTAssertEqual(first.accuracy, reference.headAccuracies[0], label)
        XCTAssertEqual(first.meanComponents, 1, label)
        XCTAssertLessThan(first.computeFraction, 1, label)
        // Sample by sample: the classes are the full network's (confidence 1) and the first head's (0).
        let inputs = data.inputs
        let (classes, exits) = try method.inMode(training: false) {
          try withNoGrad { try AdaptiveInference.predict(method, inputs: inputs, rule: .confidence(1)) }
        }
        let prediction = try method.inMode(training: false) { try withNoGrad { try method.predict(inputs: inputs) } }
        XCTAssertEqual(classes, try prediction.final.argmax(axis: 1).toArray(Int64.self).map(Int.init), label)
        XCTAssertEqual(exits, Array(repeating: 4, count: 12), label)
        let early = try method.inMode(training: false) {
          try withNoGrad { try AdaptiveInference.predict(method, inputs: inputs, rule: .confidence(0)) }
        }
        XCTAssertEqual(early.classes, try prediction.heads[0].argmax(axis: 1).toArray(Int64.self).map(Int.init), label)
      }
    }
  }

  /// Samples that go on are the right rows: with patience:2 some exit at component 2 and the rest
  /// go on as a smaller batch; every sample's class is the class of the predictor it exited at,
  /// computed on the whole batch.
  func testSamplesThatGoOnAreTheRightRows() throws {
    let (method, data) = try trained(.scpl, "lstm")
    let inputs = data.inputs
    let (classes, exits, heads) = try method.inMode(training: false) {
      try withNoGrad {
        let (c, e) = try AdaptiveInference.predict(method, inputs: inputs, rule: .patience(2))
        let p = try method.predict(inputs: inputs)
        return (c, e, try p.heads.map { try $0.argmax(axis: 1).toArray(Int64.self).map(Int.init) })
      }
    }
    XCTAssertTrue(exits.allSatisfy { (2...4).contains($0) }, "\(exits)")
    for (row, exit) in exits.enumerated() {
      XCTAssertEqual(classes[row], heads[exit - 1][row], "row \(row) exited at component \(exit)")
      if exit < 4 { XCTAssertEqual(heads[exit - 1][row], heads[exit - 2][row], "row \(row): two predictors agreed") }
    }
  }

  /// Per batch (DecoupleFlow's granularity) every sample of a batch exits at the same component:
  /// the first where every one of them may, so never before the latest per-sample exit.
  func testPerBatchExitsWaitForTheWholeBatch() throws {
    let (method, data) = try trained(.scpl)
    let inputs = data.inputs
    let (sample, batch) = try method.inMode(training: false) {
      try withNoGrad {
        (
          try AdaptiveInference.predict(method, inputs: inputs, rule: .confidence(0.4)).exits,
          try AdaptiveInference.predict(method, inputs: inputs, rule: .confidence(0.4), perBatch: true).exits
        )
      }
    }
    XCTAssertEqual(Set(batch).count, 1, "\(batch)")
    XCTAssertGreaterThanOrEqual(batch[0], sample.max()!)
  }

  /// Through a placement on two devices (components 1–2 on device 0, 3–4 on device 1) an
  /// adaptive prediction is the one on one device, bit for bit: the same exits and the same
  /// logits (samples that left at component 1 or 2 never reach device 1).
  func testAdaptivePredictionThroughAPlacementIsTheSequentialOne() throws {
    for model in ["vgg", "lstm"] {
      let (method, data) = try trained(.scpl, model)
      var options = PipelineOptions(kind: .async, devices: try .cpuWorkers(2))
      options.placement = try Placement([0, 0, 1, 1], deviceCount: 2)
      let executor = try Pipelines.make(method, options)
      defer { executor.shutdown() }
      let batches = try (0..<3).map { try data.inputs.slice(axis: 0, start: 4 * $0, end: 4 * $0 + 4) }
      for rule in [ExitRule.confidence(0.4), .patience(2), .confidence(0), .confidence(1)] {
        let policy = ExitPolicy(rule)
        var placed: [(Data, [Int])] = []
        try executor.predict(batches, exiting: policy) { _, p in
          placed.append((Data(try p.final.bytes()), try XCTUnwrap(p.exits)))
        }
        let sequential = try onOneThread {
          try method.inMode(training: false) {
            try withNoGrad {
              try batches.map { b -> (Data, [Int]) in
                let p = try method.predict(inputs: b, exiting: policy)
                return (Data(try p.final.bytes()), p.exits!)
              }
            }
          }
        }
        XCTAssertEqual(placed.map(\.1), sequential.map(\.1), "\(model) \(rule)")
        XCTAssertEqual(placed.map(\.0), sequential.map(\.0), "\(model) \(rule): logits")
      }
    }
  }

  /// Runs `body` on a worker with one intra-op thread, like the pipeline's.
  func onOneThread<T>(_ body: @escaping () throws -> T) throws -> T {
    let worker = try DeviceWorker(index: 0, device: .cpuWorker(0), threads: 1)
    defer { worker.shutdown() }
    return try worker.run(body)
  }

  func testAMethodWithoutPredictorsIsRefused() throws {
    let (method, data) = try trained(.bp)
    let full = try AdaptiveInference.full(method, on: data, batchSize: 6)
    XCTAssertThrowsError(try AdaptiveInference.run(method, on: data, batchSize: 6, rule: .confidence(0.5), full: full))
    {
      XCTAssertTrue("\($0)".contains("adaptive inference needs a prediction per component"), "\($0)")
    }
  }

  /// A sweep's points go from the earliest exits to the latest (mean components never falls as
  /// the confidence asked for rises), and the report writes them.
  func testASweepIsMonotoneAndWritesJSONAndAChart() throws {
    let (method, data) = try trained(.scpl)
    let report = try AdaptiveReport.evaluate(method, on: data, batchSize: 4, rule: .confidence(0.9), sweep: true)
    XCTAssertEqual(report.points.map(\.rule.threshold), ExitRule.confidence(0.9).sweep(components: 4))
    for (a, b) in zip(report.points, report.points.dropFirst()) {
      XCTAssertLessThanOrEqual(a.meanComponents, b.meanComponents, "\(a.rule) then \(b.rule)")
    }
    XCTAssertEqual(report.points.first?.meanComponents, 1)
    XCTAssertEqual(report.points.last?.accuracy, report.full.accuracy)
    let json = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any])
    for key in ["accuracy", "mean_components", "seconds_per_sample", "points", "full"] {
      XCTAssertNotNil(json[key], key)
    }
    let points = try XCTUnwrap(json["points"] as? [[String: Any]])
    XCTAssertEqual(points.count, 11)
    XCTAssertEqual(points[0]["threshold"] as? Double, 0)
    let svg = report.svg(title: "tiny")
    XCTAssertTrue(svg.hasPrefix("<svg") || svg.contains("<svg"), svg)
    XCTAssertTrue(svg.contains("full network"))
  }

  /// `Activation.rows` picks samples: the tensor, the mask and the label path along axis 0, the
  /// LSTM state along axis 1.
  func testRowsOfAnActivation() throws {
    try Torch.manualSeed(2)
    let x = Activation(
      try Tensor.randn([4, 3]), mask: try Tensor.randn([4, 5]) .> 0,
      state: (try Tensor.randn([2, 4, 6]), try Tensor.randn([2, 4, 6])), labelPath: try Tensor.randn([4, 2]),
      extras: ["skip": try Tensor.randn([4, 7])])
    let picked = try x.rows([3, 1])
    XCTAssertEqual(picked.batchSize, 2)
    XCTAssertEqual(
      try picked.tensor.bytes(),
      try Tensor.cat([x.tensor.slice(axis: 0, start: 3, end: 4), x.tensor.slice(axis: 0, start: 1, end: 2)], axis: 0)
        .bytes())
    XCTAssertEqual(picked.state?.h.shape, [2, 2, 6])
    XCTAssertEqual(
      try picked.state!.c.slice(axis: 1, start: 0, end: 1).bytes(),
      try x.state!.c.slice(axis: 1, start: 3, end: 4).bytes())
    XCTAssertEqual(
      try picked.mask!.slice(axis: 0, start: 1, end: 2).bytes(), try x.mask!.slice(axis: 0, start: 1, end: 2).bytes())
    XCTAssertEqual(
      try picked.extras["skip"]!.slice(axis: 0, start: 0, end: 1).bytes(),
      try x.extras["skip"]!.slice(axis: 0, start: 3, end: 4).bytes())
    XCTAssertEqual(picked.labelPath?.shape, [2, 2])
  }

  /// The run options: predictors for scpl and early-exit (whose heads they then are), refused for
  /// bp and al; a weight only with scpl's predictors, 0.001 by default; both reach the method.
  func testRunOptionsTakePredictors() throws {
    func config(_ edit: (inout PartialTrainConfig) -> Void) throws -> TrainConfig {
      var p = PartialTrainConfig()
      p.model = .vgg
      p.method = .scpl
      edit(&p)
      return try p.resolved()
    }
    let scpl = try config { $0.predictors = .linear }
    XCTAssertEqual(scpl.predictors, .linear)
    XCTAssertEqual(scpl.predictorWeight, 0.001)
    XCTAssertEqual(scpl.methodOptions.predictors, .linear)
    XCTAssertEqual(
      try config {
        $0.predictors = .mlp; $0.predictorWeight = 0
      }.methodOptions.predictorWeight, 0)
    XCTAssertNil(try config { _ in }.predictorWeight)
    let early = try config {
      $0.method = .earlyExit; $0.predictors = .identity
    }
    XCTAssertNil(early.predictorWeight)
    let method = try XCTUnwrap(
      try Methods.make(.earlyExit, model: tinyModel("vgg"), options: early.methodOptions) as? EarlyExitMethod)
    XCTAssertEqual(method.heads[0].layers.count, 1, "identity: one linear map")
    let mistakes: [((inout PartialTrainConfig) -> Void, String)] = [
      (
        {
          $0.method = .bp; $0.predictors = .mlp
        }, "--method bp has no components that learn on their own"
      ),
      (
        {
          $0.method = .al; $0.predictors = .mlp
        }, "--method al has its own per-component predictions"
      ),
      ({ $0.predictorWeight = 0.1 }, "give --predictors too"),
      (
        {
          $0.method = .earlyExit; $0.predictors = .mlp; $0.predictorWeight = 0.1
        }, "Early Exit trains each component on its head alone"
      ),
      (
        {
          $0.predictors = .mlp; $0.predictorWeight = -1
        }, "--predictor-weight must be between 0 and 1000, got -1"
      )
    ]
    for (edit, says) in mistakes {
      XCTAssertThrowsError(try config(edit)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
    }
  }
}
