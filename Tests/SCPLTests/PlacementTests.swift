import XCTest
import Torch
@testable import SCPL

final class PlacementTests: XCTestCase {
  func testDeviceSpecParsing() throws {
    XCTAssertEqual(try DeviceSpec(parsing: "cpu:0,cpu:1").devices, [.cpuWorker(0), .cpuWorker(1)])
    XCTAssertEqual(try DeviceSpec(parsing: "cpu").devices, [.cpuWorker(0)])
    if try Device.cudaDeviceCount == 0 {
      XCTAssertEqual(try DeviceSpec(parsing: "2").devices, [.cpuWorker(0), .cpuWorker(1)])
      XCTAssertThrowsError(try DeviceSpec(parsing: "cuda:0")) {
        XCTAssertTrue("\($0)".contains("sees no GPU"), "\($0)")
      }
    }
    for (bad, says) in [
      ("cpu:0,cpu:0", "twice"), ("gpu:1", "cannot read 'gpu:1'"), ("0", "at least 1"),
      ("cpu:0,", "cannot read ''"), ("cpu:-1", "cannot read")
    ] {
      XCTAssertThrowsError(try DeviceSpec(parsing: bad), bad) { XCTAssertTrue("\($0)".contains(says), "\(bad): \($0)") }
    }
  }

  /// Lanes of a GPU: `cuda:0x2` is two workers on GPU 0, each with its own stream; every device
  /// prints as a name the parser reads back.
  func testGPULanesParse() throws {
    let lanes = try DeviceSpec.list(parsing: "cuda:0x2, cuda:1")
    XCTAssertEqual(lanes, [.cuda(0, lane: 0), .cuda(0, lane: 1), .cuda(1, lane: 0)])
    XCTAssertEqual(lanes.map(\.description), ["cuda:0", "cuda:0/1", "cuda:1"])
    XCTAssertEqual(try DeviceSpec.list(parsing: lanes.map(\.description).joined(separator: ",")), lanes)
    XCTAssertEqual(lanes.map(\.tensorDevice), [.cuda(0), .cuda(0), .cuda(1)])
    XCTAssertEqual(lanes.map(\.gpu), [0, 0, 1])
    for (bad, says) in [
      ("cuda:0x0", "a GPU has 1…64"), ("cuda:0x9223372036854775807", "a GPU has 1…64"),
      ("cuda:0x", "cannot read 'cuda:0x'"), ("cuda:0/-1", "cannot read"), ("cuda:x2", "cannot read")
    ] {
      XCTAssertThrowsError(try DeviceSpec.list(parsing: bad), bad) {
        XCTAssertTrue("\($0)".contains(says), "\(bad): \($0)")
      }
    }
    if try Device.cudaDeviceCount == 0 {
      XCTAssertThrowsError(try DeviceSpec(parsing: "cuda:0x2")) {
        XCTAssertTrue("\($0)".contains("sees no GPU"), "\($0)")
      }
    } else {
      XCTAssertThrowsError(try DeviceSpec(parsing: "cuda:0x2,cuda:0/1")) {
        XCTAssertTrue("\($0)".contains("twice"), "\($0)")
      }
    }
  }

  /// A distributed pipeline's devices as each rank sees them: CPU workers numbered through the
  /// ranks; GPUs each host's own, another rank's devices CPU stand-ins.
  func testDevicesAcrossRanks() throws {
    XCTAssertEqual(
      try DeviceSpec.acrossRanks(try .cpuWorkers(2), rank: 1, of: 2).devices, (0..<4).map(ComputeDevice.cpuWorker))
    let gpus = DeviceSpec(unchecked: [.cuda(0), .cuda(1)])
    XCTAssertEqual(
      try DeviceSpec.acrossRanks(gpus, rank: 0, of: 2).devices, [.cuda(0), .cuda(1), .cpuWorker(2), .cpuWorker(3)])
    XCTAssertEqual(
      try DeviceSpec.acrossRanks(gpus, rank: 1, of: 2).devices, [.cpuWorker(0), .cpuWorker(1), .cuda(0), .cuda(1)])
    XCTAssertEqual(
      try DeviceSpec.acrossRanks(DeviceSpec(unchecked: [.cuda(0), .cuda(0, lane: 1)]), rank: 2, of: 3).devices.suffix(
        2),
      [.cuda(0), .cuda(0, lane: 1)])
  }

  /// A GPU worker's stream: distinct streams for two lanes of a GPU where there is one; without a
  /// GPU, an error that says so, from the stream and from a worker asking for one.
  func testGPUWorkersTakeAStreamEach() throws {
    if try Device.cudaDeviceCount > 0 {
      let (a, b) = (try DeviceWorker(index: 0, device: .cuda(0)), try DeviceWorker(index: 1, device: .cuda(0, lane: 1)))
      XCTAssertNotEqual(try XCTUnwrap(a.stream).id, try XCTUnwrap(b.stream).id)
      XCTAssertNil(try DeviceWorker(index: 2, device: .cpuWorker(0)).stream)
      return
    }
    XCTAssertThrowsError(try CUDAStream(gpu: 0)) {
      XCTAssertTrue("\($0)".contains("taking a CUDA stream of cuda:0"), "\($0)")
    }
    XCTAssertThrowsError(try DeviceWorker(index: 0, device: .cuda(0))) {
      XCTAssertTrue("\($0)".contains("could not get a CUDA stream"), "\($0)")
    }
  }

  func testExplicitPlacementsAreChecked() throws {
    XCTAssertEqual(try Placement(parsing: "0,0,1,1", componentCount: 4, deviceCount: 2).components, [[0, 1], [2, 3]])
    for (text, says) in [
      ("0,0,1", "places 3 component(s), but the model has 4"), ("0,0,2,2", "not contiguous"),
      ("0,1,0,1", "not contiguous"), ("0,0,0,0", "is for 1 device(s) (0…0), but there are 2"),
      ("1,1,0,0", "not contiguous"), ("0,0,1,9223372036854775807", "names device 9223372036854775807"),
      ("0,0,-1,1", "names device -1"), ("", "'' is not a device index"),
      ("0,x,1,1", "'x' is not a device index")
    ] {
      XCTAssertThrowsError(try Placement(parsing: text, componentCount: 4, deviceCount: 2), text) {
        XCTAssertTrue("\($0)".contains(says), "\(text): \($0)")
      }
    }
    XCTAssertThrowsError(try Placement([0, 0, 0, 0], deviceCount: 2)) {
      XCTAssertTrue("\($0)".contains("leaves device(s) 1…1 without a component"), "\($0)")
    }
    let written = try JSONEncoder().encode(["placement": try Placement(parsing: "0,0,1,1")])
    XCTAssertEqual(String(decoding: written, as: UTF8.self), #"{"placement":"0,0,1,1"}"#)
    XCTAssertEqual(try JSONDecoder().decode([String: Placement].self, from: written)["placement"]?.deviceCount, 2)
    XCTAssertThrowsError(try JSONDecoder().decode([String: Placement].self, from: Data(#"{"p":"0,1,0"}"#.utf8)))
    XCTAssertThrowsError(try Placement([0, 1], deviceCount: 3)) {
      XCTAssertTrue("\($0)".contains("at most 2 devices"), "\($0)")
    }
  }

  func testBalancedPlacementEvensOutTheCost() throws {
    XCTAssertEqual(try Placement.balanced(costs: [1, 1, 1, 1], deviceCount: 2).deviceOfComponent, [0, 0, 1, 1])
    XCTAssertEqual(try Placement.balanced(costs: [1, 1, 1], deviceCount: 2).deviceOfComponent, [0, 0, 1])
    XCTAssertEqual(try Placement.balanced(costs: [4, 1, 1, 1, 1], deviceCount: 2).deviceOfComponent, [0, 1, 1, 1, 1])
    XCTAssertEqual(try Placement.balanced(costs: [1, 1, 1, 6], deviceCount: 2).deviceOfComponent, [0, 0, 0, 1])
    XCTAssertEqual(try Placement.balanced(costs: [5, 1, 1, 1], deviceCount: 4).deviceOfComponent, [0, 1, 2, 3])
    XCTAssertEqual(try Placement.balanced(costs: [3, 3, 3], deviceCount: 1).deviceOfComponent, [0, 0, 0])
    XCTAssertThrowsError(try Placement.balanced(costs: [1, 1], deviceCount: 3))
  }

  /// The measured estimate probes in eval mode: it leaves BatchNorm statistics and modes alone.
  func testForwardTimeEstimateDoesNotTouchTheModel() throws {
    try Torch.manualSeed(2)
    let model = try tinyModel("vgg")
    let before = try model.stateDict().map { try $0.1.bytes() }
    let costs = try CostEstimate.forwardTime.costs(of: model)
    XCTAssertEqual(costs.count, 4)
    XCTAssertTrue(costs.allSatisfy { $0 > 0 })
    XCTAssertEqual(try model.stateDict().map { try $0.1.bytes() }, before)
    XCTAssertTrue(model.namedModules().allSatisfy { $0.1.isTraining })
    XCTAssertEqual(try CostEstimate.parameters.costs(of: model).reduce(0, +), Double(model.trainableParameterCount))
  }

  /// The default estimate runs each component's forward, local loss and backward on the probe:
  /// afterwards the method trains exactly as if it had never been probed (same weights, same
  /// BatchNorm statistics, same dropout draws, same optimizer state), for every method.
  func testStepTimeEstimateLeavesTrainingUnchanged() throws {
    for name in ["vgg", "lstm"] {
      for kind in MethodKind.allCases {
        func trainedOnce(probing: Bool) throws -> ([[UInt8]], [Double]) {
          try Torch.manualSeed(5)
          let model = try tinyModel(name)
          let method = try Methods.make(kind, model: model)
          try Torch.manualSeed(6)
          let (x, y) = try tinyBatch(model)
          if probing {
            let costs = try CostEstimate.stepTime.costs(of: method, probe: x)
            XCTAssertEqual(costs.count, model.components.count, "\(name) \(kind)")
            XCTAssertTrue(costs.allSatisfy { $0 > 0 }, "\(name) \(kind): \(costs)")
            XCTAssertTrue(
              method.modules.allSatisfy { $0.1.namedModules().allSatisfy { $0.1.isTraining } }, "\(name) \(kind)")
          }
          let losses = try method.trainStep(inputs: x, labels: y)
          return (try method.stateDict().map { try $0.1.bytes() }, losses)
        }
        let (probed, probedLosses) = try trainedOnce(probing: true)
        let (plain, plainLosses) = try trainedOnce(probing: false)
        XCTAssertEqual(probedLosses, plainLosses, "\(name) \(kind)")
        XCTAssertTrue(probed == plain, "\(name) \(kind): the probe changed what one training step produces")
      }
    }
    XCTAssertThrowsError(try CostEstimate.stepTime.costs(of: try tinyModel("vgg"))) {
      XCTAssertTrue("\($0)".contains("costs(of: method)"), "\($0)")
    }
  }

  func testSchedulesThatCannotRunAreRefusedBeforeTraining() throws {
    let model = try tinyModel("vgg")
    let scpl = try Methods.make(.scpl, model: model)
    let bp = try Methods.make(.bp, model: model)
    let two = try DeviceSpec.cpuWorkers(2)
    let cases: [(any TrainingMethod, PipelineOptions, String)] = [
      (scpl, PipelineOptions(kind: .off, devices: two), "runs the sequential reference on one device"),
      (scpl, PipelineOptions(kind: .nmp, devices: two), "serves BP only"),
      (bp, PipelineOptions(kind: .async, devices: two), "needs a local method"),
      (bp, PipelineOptions(kind: .overlap, devices: two), "needs a local method"),
      (scpl, PipelineOptions(kind: .gpipe, devices: two), "serves BP only"),
      (bp, PipelineOptions(kind: .scplGPipe, devices: two), "needs a local method"),
      (scpl, PipelineOptions(kind: .async, devices: try .cpuWorkers(5)), "use at most 4 devices"),
      (
        scpl, PipelineOptions(kind: .async, devices: two, placement: try Placement([0, 1], deviceCount: 2)),
        "but the model has 4"
      )
    ]
    for (method, options, says) in cases {
      XCTAssertThrowsError(try Pipelines.make(method, options)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
    }
    XCTAssertEqual(try PipelineKind(parsing: "gpipe"), .gpipe)
    XCTAssertEqual(try PipelineKind(parsing: "SCPL-GPipe"), .scplGPipe)
    XCTAssertThrowsError(try PipelineKind(parsing: "fast")) {
      XCTAssertTrue(
        "\($0)".contains("expected one of off, nmp, overlap, async, gpipe, scpl-gpipe, 1f1b, interleaved-1f1b, zb-h1"),
        "\($0)")
    }
    XCTAssertEqual(PipelineKind.defaultKind(for: .scpl, deviceCount: 1), .async)
    XCTAssertEqual(PipelineKind.defaultKind(for: .bp, deviceCount: 2), .nmp)
    XCTAssertEqual(PipelineKind.defaultKind(for: .bp, deviceCount: 1), .off)
  }
}
