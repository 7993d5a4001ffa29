import Foundation
import Data
import Torch
import XCTest
@testable import SCPL

/// What a run folder's checkpoints survive: keeping the newest K, a corrupt or half-written newest
/// checkpoint (skipped, with a warning naming it), a lost metrics.jsonl.
final class CheckpointTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-ckpt-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  /// SCPL, 3 tiny epochs on one thread (deterministic), a checkpoint every epoch, the newest 2 kept.
  func config(epochs: Int = 3, every: Int = 1) throws -> TrainConfig {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = epochs
    p.limitTrain = 128; p.limitTest = 64; p.batchSize = 32; p.aug = Augmentation.none; p.threads = 1; p.pipeline = .off
    p.checkpointEvery = every; p.keepCheckpoints = 2
    return try p.resolved()
  }

  func train(_ config: TrainConfig, into url: URL, resume: Trainer.ResumePoint? = nil) throws {
    _ = try quietTrainer(config, try DatasetCatalog.load(config), at: url, resume: resume).run()
  }

  func names(_ url: URL) -> [String] { Checkpoints(runFolder: url).list().map(\.url.lastPathComponent) }

  func testKeepsTheNewestKAndTheLastEpochWhateverTheInterval() throws {
    let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
    try train(try config(), into: a)
    XCTAssertEqual(names(a), ["run1-epoch0002.safetensors", "run1-epoch0003.safetensors"])
    try train(try config(epochs: 3, every: 2), into: b)
    XCTAssertEqual(
      names(b), ["run1-epoch0002.safetensors", "run1-epoch0003.safetensors"], "every 2nd epoch, and the last")
    let file = try SafeTensors.load(from: Checkpoints(runFolder: a).list().last!.url)
    XCTAssertEqual(file.metadata["run"], "1")
    XCTAssertEqual(file.metadata["epoch"], "3")
    XCTAssertEqual(try EpochRecord.parseLines(file.metadata["metrics"]!, source: "metadata").map(\.epoch), [1, 2, 3])
  }

  /// The newest checkpoint corrupted on disk (one flipped byte) and a newer one cut short are both
  /// skipped with a warning naming them; resuming from the epoch before retrains the last epoch
  /// and ends with the uninterrupted run's weights, bit for bit. metrics.jsonl is gone too: the
  /// records come from the checkpoint.
  func testACorruptOrHalfWrittenNewestCheckpointIsSkipped() throws {
    let straight = dir.appendingPathComponent("straight"), damaged = dir.appendingPathComponent("damaged")
    let c = try config()
    try train(c, into: straight)
    try train(c, into: damaged)
    let checkpoints = Checkpoints(runFolder: damaged)
    let newest = checkpoints.list().last!.url
    var bytes = try Data(contentsOf: newest)
    bytes[bytes.count - 100] ^= 0x01
    try bytes.write(to: newest)
    let cut = checkpoints.url.appendingPathComponent(Checkpoints.fileName(run: 1, epoch: 4))
    try bytes.prefix(bytes.count / 2).write(to: cut)
    let leftover = checkpoints.url.appendingPathComponent(".run1-epoch0005.safetensors.1.tmp")
    try Data([1, 2, 3]).write(to: leftover)
    try FileManager.default.removeItem(at: damaged.appendingPathComponent("metrics.jsonl"))

    var warnings: [String] = []
    let point = try Trainer.ResumePoint.load(damaged) { warnings.append($0) }
    XCTAssertEqual(point.epoch, 2)
    XCTAssertEqual(point.records.map(\.epoch), [1, 2])
    XCTAssertEqual(warnings.count, 2, "\(warnings)")
    XCTAssertTrue(warnings[0].contains("run1-epoch0004.safetensors"), warnings[0])
    XCTAssertTrue(warnings[1].contains("run1-epoch0003.safetensors") && warnings[1].contains("corrupt"), warnings[1])
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: leftover.path), "a temporary file of an interrupted write is removed")

    try FileManager.default.removeItem(at: cut)
    try train(c, into: damaged, resume: point)
    let a = try SafeTensors.load(from: Checkpoints(runFolder: straight).list().last!.url)
    let b = try SafeTensors.load(from: Checkpoints(runFolder: damaged).list().last!.url)
    XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
    for ((n, x), (_, y)) in zip(a.tensors, b.tensors) { XCTAssertTrue(try x.bytes() == y.bytes(), "\(n) differs") }
    let metrics = try EpochRecord.readLines(damaged.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(
      metrics.map(\.testAccuracy),
      try EpochRecord.readLines(straight.appendingPathComponent("metrics.jsonl")).map(\.testAccuracy))
  }

  /// The Transformer draws dropout masks in every component. Interrupted after epoch 1 and
  /// resumed, a run over two pipelined devices (async) ends bit for bit where the uninterrupted
  /// run ends, though each session places the components differently: each component's random
  /// state is in the checkpoint and continues on resume, whatever device runs the component.
  func testDropoutResumesOnTheSameRandomStream() throws {
    var p = PartialTrainConfig()
    p.model = .transformer; p.method = .scpl; p.dataset = .bbcNews; p.epochs = 2; p.hidden = 16; p.maxLen = 20
    p.limitTrain = 96; p.limitTest = 32; p.batchSize = 16; p.threads = 2; p.devices = try DeviceSpec(parsing: "2");
    p.pipeline = .async
    p.threadsPerDevice = 1
    let config = try p.resolved()
    let data = try DatasetCatalog.load(config)
    let resolved = try p.resolved(fitting: data)
    // Each session places the four components differently: the draws belong to components, not
    // devices, so the placement changes nothing.
    func trainer(_ url: URL, placement: String, resume: Trainer.ResumePoint? = nil) throws -> Trainer {
      var config = resolved
      config.placement = try Placement(parsing: placement)
      return try quietTrainer(config, data, at: url, resume: resume)
    }
    let straight = dir.appendingPathComponent("straight"), interrupted = dir.appendingPathComponent("interrupted")
    _ = try trainer(straight, placement: "0,0,0,1").run()
    do {  // the first session ends (and lets go of its folder) before the resume opens it
      let first = try trainer(interrupted, placement: "0,1,1,1")
      first.interruptAfterEpochs = 1
      XCTAssertThrowsError(try first.run()) { XCTAssertTrue($0 is Trainer.Interrupted) }
    }
    _ = try trainer(interrupted, placement: "0,0,1,1", resume: try Trainer.ResumePoint.load(interrupted)).run()

    let a = try SafeTensors.load(from: Checkpoints(runFolder: straight).list().last!.url)
    let b = try SafeTensors.load(from: Checkpoints(runFolder: interrupted).list().last!.url)
    XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
    for ((n, x), (_, y)) in zip(a.tensors, b.tensors) { XCTAssertTrue(try x.bytes() == y.bytes(), "\(n) differs") }
    // Components 2–4 (Transformer blocks) did draw: their states moved on from the seeded ones, so
    // the streams mattered. Component 1, the embedding, has no dropout and never draws.
    for k in 0..<4 {
      let fresh = try Generator(seed: DeviceGroup.generatorSeed(1, component: k)).state()
      XCTAssertEqual(try a["rng.component\(k)"]!.bytes() == fresh.bytes(), k == 0, "component \(k + 1)")
    }
  }

  func testAFolderWithoutAValidCheckpointSaysSo() throws {
    try RunFolder(dir).writeConfig(["config": try config()])
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    try Data("junk".utf8).write(to: dir.appendingPathComponent("checkpoints/run1-epoch0001.safetensors"))
    var warnings: [String] = []
    XCTAssertThrowsError(try Trainer.ResumePoint.load(dir) { warnings.append($0) }) {
      XCTAssertTrue("\($0)".contains("holds no valid checkpoint"), "\($0)")
    }
    XCTAssertEqual(warnings.count, 1)
  }

  /// One changed byte in a checkpoint's header — here a digit of a recorded test accuracy, which
  /// `scpl report` would publish — is caught by the whole-file checksum like a changed weight.
  func testAChangedHeaderByteIsCaughtByTheChecksum() throws {
    let a = dir.appendingPathComponent("a")
    try train(try config(epochs: 2), into: a)
    let newest = Checkpoints(runFolder: a).list().last!.url
    var bytes = [UInt8](try Data(contentsOf: newest))
    let key = Array("test_accuracy".utf8)
    let at = try XCTUnwrap((0..<(bytes.count - key.count)).first { bytes[$0..<($0 + key.count)].elementsEqual(key) })
    let digit = try XCTUnwrap((at..<(at + 40)).first { (UInt8(ascii: "1")...UInt8(ascii: "8")).contains(bytes[$0]) })
    bytes[digit] += 1
    try Data(bytes).write(to: newest)
    var warnings: [String] = []
    let point = try Trainer.ResumePoint.load(a) { warnings.append($0) }
    XCTAssertEqual(point.epoch, 1, "the epoch-1 checkpoint is taken instead")
    XCTAssertEqual(warnings.count, 1, "\(warnings)")
    XCTAssertTrue(
      warnings[0].contains("run1-epoch0002.safetensors") && warnings[0].contains("the file is corrupt"), warnings[0])
  }

  /// A checkpoint copied in from another run (same model, other seed) or of another model is
  /// skipped with a warning naming it, like a corrupt one, and the run's own older checkpoint
  /// is taken; its metrics are the run's own.
  func testACheckpointOfAnotherRunIsSkipped() throws {
    let mine = dir.appendingPathComponent("mine"), other = dir.appendingPathComponent("other"),
      convnet = dir.appendingPathComponent("convnet")
    try train(try config(), into: mine)
    var otherSeed = try config()
    otherSeed.seed = 2
    try train(otherSeed, into: other)
    var p = PartialTrainConfig()
    p.model = .convnet; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 3
    p.limitTrain = 128; p.limitTest = 64; p.batchSize = 32; p.aug = Augmentation.none; p.threads = 1; p.pipeline = .off
    try train(try p.resolved(), into: convnet)
    let checkpoints = Checkpoints(runFolder: mine)
    let own = try EpochRecord.readLines(mine.appendingPathComponent("metrics.jsonl"))
    let newest = checkpoints.url.appendingPathComponent(Checkpoints.fileName(run: 1, epoch: 3))
    let kept = dir.appendingPathComponent("kept.safetensors")
    try FileManager.default.copyItem(at: newest, to: kept)
    for source in [other, convnet] {
      try FileManager.default.removeItem(at: newest)
      try FileManager.default.copyItem(at: Checkpoints(runFolder: source).list().last!.url, to: newest)
      var warnings: [String] = []
      let point = try Trainer.ResumePoint.load(mine) { warnings.append($0) }
      XCTAssertEqual(point.epoch, 2, "the run's own older checkpoint")
      XCTAssertEqual(
        point.records.map(\.testAccuracy), own.prefix(2).map(\.testAccuracy),
        "the run's own history, not the copied one's")
      XCTAssertEqual(warnings.count, 1, "\(warnings)")
      XCTAssertTrue(
        warnings[0].contains("run1-epoch0003.safetensors") && warnings[0].contains("belongs to another run"),
        warnings[0])
    }
    try FileManager.default.removeItem(at: newest)
    try FileManager.default.copyItem(at: kept, to: newest)
    XCTAssertEqual(try Trainer.ResumePoint.load(mine) { _ in }.epoch, 3)
  }

  /// config.json edited after the checkpoints were written (a rate, the data used, the epochs)
  /// is refused, naming every changed field with both values; the layout options may change.
  func testAnEditedConfigIsRefusedNamingTheFields() throws {
    let a = dir.appendingPathComponent("a")
    try train(try config(), into: a)
    let file = a.appendingPathComponent("config.json")
    let original = try String(contentsOf: file, encoding: .utf8)
    var edited = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(original.utf8)) as? [String: Any])
    var options = try XCTUnwrap(edited["config"] as? [String: Any])
    options["lr"] = 5; options["limit-train"] = 100; options["epochs"] = 1; options["threads"] = 2
    edited["config"] = options
    try JSONSerialization.data(withJSONObject: edited).write(to: file)
    XCTAssertThrowsError(try Trainer.ResumePoint.load(a) { _ in }) {
      let message = "\($0)"
      XCTAssertTrue(
        message.contains(
          "differs from the options its checkpoint run1-epoch0003.safetensors was trained with: epochs (3 in the checkpoint, 1 in config.json), limit-train (128 in the checkpoint, 100 in config.json), lr (0.001 in the checkpoint, 5 in config.json);"
        ), message)
      XCTAssertFalse(message.contains("threads ("), "threads is a layout option: \(message)")
    }
    options["lr"] = 0.001; options["limit-train"] = 128; options["epochs"] = 3
    edited["config"] = options
    try JSONSerialization.data(withJSONObject: edited).write(to: file)
    XCTAssertEqual(try Trainer.ResumePoint.load(a) { _ in }.epoch, 3, "a changed layout option (threads) resumes")
  }
}
