import XCTest
import Torch
@testable import SCPL

final class BenchPlanTests: XCTestCase {
  typealias Run = BenchPlan.Run

  func testEveryMethodRunsUnderExactlyThePipelinesThatServeIt() throws {
    let (runs, skipped) = BenchPlan.crossing(methods: MethodKind.allCases, pipelines: PipelineKind.allCases, devices: 2)
    let local: [PipelineKind] = [.off, .overlap, .async, .scplGPipe]
    let expected =
      [
        Run(.bp, .off), Run(.bp, .nmp), Run(.bp, .gpipe), Run(.bp, .oneFOneB), Run(.bp, .interleaved1F1B),
        Run(.bp, .zbH1)
      ]
      + [MethodKind.scpl, .earlyExit, .al].flatMap { m in local.map { Run(m, $0) } }
    XCTAssertEqual(Set(runs), Set(expected))
    XCTAssertEqual(runs.count, expected.count)
    XCTAssertEqual(skipped.count, MethodKind.allCases.count * PipelineKind.allCases.count - expected.count)
    XCTAssertEqual(Set(skipped.map(\.run)).intersection(runs), [])
    let bpAsync = try XCTUnwrap(skipped.first { $0.run == Run(.bp, .async) })
    XCTAssertTrue(bpAsync.reason.contains("needs a local method"), bpAsync.reason)
    // Methods outer, pipelines inner, in the order given.
    XCTAssertEqual(runs.prefix(3), [Run(.bp, .off), Run(.bp, .nmp), Run(.bp, .gpipe)])
  }

  /// The bench's filter is the executors' own rule: whatever it keeps, `Pipelines.make` builds
  /// (off on one device, the others on two), and whatever it skips, `Pipelines.make` refuses.
  func testTheFilterAgreesWithPipelinesMake() throws {
    let (runs, skipped) = BenchPlan.crossing(methods: MethodKind.allCases, pipelines: PipelineKind.allCases, devices: 2)
    for run in runs + skipped.map(\.run) {
      try Torch.manualSeed(1)
      let method = try Methods.make(run.method, model: try tinyModel("vgg"))
      let devices = BenchPlan.deviceCount(run.pipeline, benchDevices: 2)
      var options = PipelineOptions(kind: run.pipeline, devices: try .cpuWorkers(devices))
      options.costEstimate = .parameters
      do {
        let executor = try Pipelines.make(method, options)
        executor.shutdown()
        XCTAssertTrue(runs.contains(run), "\(run) was skipped but builds")
      } catch {
        XCTAssertTrue(skipped.contains { $0.run == run }, "\(run) was kept but fails: \(error)")
      }
    }
  }

  func testParseCrossesListsOrTakesRunsButNotBoth() throws {
    let plan = try BenchPlan.parse(
      methods: "scpl, bp", pipelines: "async,nmp,gpipe", runs: nil, batchSizes: "32,64,128", devices: 2)
    XCTAssertEqual(plan.runs, [Run(.scpl, .async), Run(.bp, .nmp), Run(.bp, .gpipe)])
    XCTAssertEqual(plan.skipped.map(\.run), [Run(.scpl, .nmp), Run(.scpl, .gpipe), Run(.bp, .async)])
    XCTAssertEqual(plan.batchSizes, [32, 64, 128])

    let pairs = try BenchPlan.parse(
      methods: nil, pipelines: nil, runs: "scpl:async,bp:off", batchSizes: "8", devices: 2)
    XCTAssertEqual(pairs.runs, [Run(.scpl, .async), Run(.bp, .off)])
    XCTAssertEqual(pairs.skipped, [])

    let defaults = try BenchPlan.parse(methods: nil, pipelines: nil, runs: nil, batchSizes: "128", devices: 2)
    XCTAssertEqual(defaults.runs, [Run(.bp, .nmp), Run(.scpl, .overlap), Run(.scpl, .async)])
  }

  func testParseNamesEachMistakeBeforeAnythingRuns() {
    func message(methods: String? = nil, pipelines: String? = nil, runs: String? = nil, sizes: String = "128") -> String
    {
      do {
        _ = try BenchPlan.parse(methods: methods, pipelines: pipelines, runs: runs, batchSizes: sizes, devices: 2)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    XCTAssertEqual(
      message(methods: "bp", runs: "bp:nmp"),
      "--runs names method:pipeline pairs itself; give either --runs or --methods/--pipelines, not both")
    XCTAssertEqual(
      message(methods: "bp,sgd"), "--methods: unknown --method 'sgd': expected one of bp, scpl, early-exit, al")
    XCTAssertTrue(message(pipelines: "async,pipedream").hasPrefix("--pipelines: unknown pipeline 'pipedream'"))
    XCTAssertEqual(message(methods: ""), "--methods is empty: give at least one value")
    XCTAssertEqual(
      message(pipelines: "async,"), "--pipelines 'async,' has an empty item (two commas in a row, or one at an end)")
    XCTAssertEqual(message(methods: "scpl,SCPL"), "--methods lists 'SCPL' more than once")
    XCTAssertEqual(message(sizes: "64,0"), "--batch-sizes: '0' is not a batch size (a whole number of at least 1)")
    XCTAssertEqual(message(sizes: "64,big"), "--batch-sizes: 'big' is not a batch size (a whole number of at least 1)")
    XCTAssertEqual(message(runs: "scpl"), "--runs: 'scpl' is not method:pipeline (e.g. scpl:async)")
    XCTAssertTrue(
      message(runs: "bp:async").hasPrefix("--runs: bp:async cannot run: --pipeline async needs a local method"))
    XCTAssertTrue(
      message(methods: "bp", pipelines: "async,overlap").hasPrefix(
        "no pair of --methods and --pipelines can run: bp:async:"))
  }

  func testInputIsAnImageShapeForVisionAndALengthForText() throws {
    XCTAssertEqual(
      try BenchInput.resolve(model: .vgg, input: "1x28x28", seqLen: nil), .image(channels: 1, height: 28, width: 28))
    XCTAssertEqual(
      try BenchInput.resolve(model: .convnet, input: "3×32×16", seqLen: nil), .image(channels: 3, height: 32, width: 16)
    )
    XCTAssertEqual(try BenchInput.resolve(model: .resnet18, input: nil, seqLen: nil).imageShape, [3, 32, 32])
    XCTAssertEqual(try BenchInput.resolve(model: .lstm, input: nil, seqLen: 20), .tokens(length: 20))
    XCTAssertEqual(try BenchInput.resolve(model: .transformer, input: nil, seqLen: nil), .tokens(length: 60))
    XCTAssertNil(BenchInput.tokens(length: 5).imageShape)

    XCTAssertThrowsError(try BenchInput.resolve(model: .lstm, input: "3x32x32", seqLen: nil)) {
      XCTAssertEqual(
        "\($0)",
        "--input 3x32x32 is an image shape for the vision models (vgg, resnet18, convnet); lstm reads token ids: give their count with --seq-len L"
      )
    }
    XCTAssertThrowsError(try BenchInput.resolve(model: .vgg, input: nil, seqLen: 60)) {
      XCTAssertEqual(
        "\($0)",
        "--seq-len 60 is for the text models (lstm, transformer); vgg reads images: give their shape with --input CxHxW"
      )
    }
    for bad in ["28x28", "1x28x28x1", "0x28x28", "ax28x28", "1x28x"] {
      XCTAssertThrowsError(try BenchInput.resolve(model: .vgg, input: bad, seqLen: nil), bad) {
        XCTAssertTrue("\($0)".hasPrefix("--input '\(bad)' is not an image shape"), "\($0)")
      }
    }
    XCTAssertThrowsError(try BenchInput.resolve(model: .lstm, input: nil, seqLen: 0))
    XCTAssertThrowsError(try ModelKind(parsing: "mlp")) {
      XCTAssertTrue("\($0)".contains("expected one of vgg, resnet18, convnet, lstm, transformer"), "\($0)")
    }
  }
}
