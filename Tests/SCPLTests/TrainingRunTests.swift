import Foundation
import XCTest
import Data
import NN
import Torch
@testable import SCPL

final class TrainingRunTests: XCTestCase {
  var dir: URL!
  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID())")
  }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func testFamilyDefaultsAndValidation() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST
    let c = try p.resolved()
    XCTAssertEqual(c.lrSchedule, .cosine)
    XCTAssertEqual(c.endLr, 1e-5)
    XCTAssertEqual(c.aug, .strong)
    XCTAssertEqual(c.projection, .mlp)
    p.method = .bp
    XCTAssertEqual(try p.resolved().aug, .basic)

    // Text: a constant rate by default; asking for a cosine gets one that falls to 1e-5.
    var text = PartialTrainConfig()
    text.model = .lstm; text.method = .scpl; text.dataset = .bbcNews; text.lr = 2e-3
    let constant = try text.resolved()
    XCTAssertEqual(constant.lrSchedule, .constant)
    XCTAssertEqual(constant.endLr, 2e-3)
    text.lrSchedule = .cosine
    XCTAssertEqual(try text.resolved().endLr, 1e-5)

    var bad = p
    bad.model = .lstm
    XCTAssertThrowsError(try bad.resolved()) {
      XCTAssertTrue("\($0)".contains("cannot train on the vision data set"), "\($0)")
    }
    bad = p; bad.batchSize = 1
    XCTAssertThrowsError(try bad.resolved())
    // Unknown names are refused where the text is parsed, with the choices.
    XCTAssertThrowsError(try ModelKind(parsing: "alexnet")) {
      XCTAssertEqual("\($0)", "unknown --model 'alexnet': expected one of vgg, resnet18, convnet, lstm, transformer")
    }
    XCTAssertThrowsError(try DatasetName(parsing: "mnist-ish")) {
      XCTAssertTrue("\($0)".contains("unknown --dataset 'mnist-ish'"), "\($0)")
    }
    XCTAssertThrowsError(try LearningRateScheduleKind(parsing: "linear")) {
      XCTAssertTrue("\($0)".contains("cosine, cosine-step, constant"), "\($0)")
    }
    XCTAssertEqual(try MethodKind(parsing: "Early-Exit"), .earlyExit)
  }

  /// A key that is a mapping made Yams trap (found by `make fuzz`); it is an error with a sentence.
  func testAYAMLKeyThatIsNotANameIsRefused() throws {
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "? {a: 1}\n: 2\n", source: "c.yaml")) {
      XCTAssertTrue("\($0)".contains("c.yaml: a key is not an option name but a mapping"), "\($0)")
    }
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "batch-size: 64\nbatchsize: 3\n", source: "c.yaml")) {
      XCTAssertTrue("\($0)".contains("unknown option 'batchsize'"), "\($0)")
    }
  }

  func testYAMLConfigAndCommandLinePrecedence() throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("c.yaml")
    try "model: convnet\nbatch-size: 64\nepochs: 3\nlr: 0.002\n".write(to: url, atomically: true, encoding: .utf8)
    var cli = PartialTrainConfig()
    cli.epochs = 5
    let c = try cli.overriding(PartialTrainConfig.load(yaml: url)).resolved()
    XCTAssertEqual(c.model, .convnet)
    XCTAssertEqual(c.batchSize, 64)
    XCTAssertEqual(c.epochs, 5)
    XCTAssertEqual(c.lr, 0.002)
    try "model: vgg\nbatch_size: 64\n".write(to: url, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try PartialTrainConfig.load(yaml: url)) {
      XCTAssertTrue("\($0)".contains("unknown option 'batch_size'"), "\($0)")
    }
    // A value outside a closed set, or of the wrong type, is named with its option.
    try "model: vgg\naug: heavy\n".write(to: url, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try PartialTrainConfig.load(yaml: url)) {
      XCTAssertEqual(
        "\($0)",
        "\(url.path) is not a valid training config: unknown --aug 'heavy': expected one of none, basic, strong")
    }
    try "epochs: many\n".write(to: url, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try PartialTrainConfig.load(yaml: url)) {
      XCTAssertTrue("\($0)".contains("epochs should be Int"), "\($0)")
    }
  }

  /// A NaN or infinite number in a config file is refused by the option's name; before, one made
  /// the whole file vanish (the merge encoded it to JSON with `try?`, which gave nothing to
  /// override) and a full-size run trained with the defaults. Two settings of one option, a
  /// syntax error and a file that is not a mapping are each said with where.
  func testAConfigFileIsTakenWholeOrRefusedByName() throws {
    for (text, option) in [
      ("lr: .nan", "lr"), ("end-lr: .inf", "end-lr"), ("lr: -.inf", "lr"), ("temperature: .NaN", "temperature"),
      ("label-noise: .nan", "label-noise"), ("width: .inf", "width")
    ] {
      XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "epochs: 2\n\(text)\n", source: "c.yaml"), text) {
        XCTAssertTrue("\($0)".hasPrefix("c.yaml: --\(option) must be a finite number, got "), "\($0)")
      }
    }
    var nan = PartialTrainConfig()
    nan.lr = .nan
    XCTAssertThrowsError(try PartialTrainConfig().overriding(nan)) {
      XCTAssertEqual("\($0)", "--lr must be a finite number, got nan")
    }
    XCTAssertThrowsError(try nan.overriding(PartialTrainConfig())) {
      XCTAssertEqual("\($0)", "--lr must be a finite number, got nan")
    }
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "lr: 0.1\nepochs: 2\nlr: 0.2\n", source: "c.yaml")) {
      XCTAssertEqual("\($0)", "c.yaml: the option 'lr' is set twice (lines 1 and 3); set each option once")
    }
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "epochs: 2\nlr: [0.1\n", source: "c.yaml")) {
      XCTAssertTrue("\($0)".hasPrefix("c.yaml is not valid YAML: line 3, column 1: "), "\($0)")
    }
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "- epochs\n- 2\n", source: "c.yaml")) {
      XCTAssertEqual(
        "\($0)", "c.yaml: the file must be a mapping of option names to values (e.g. batch-size: 64), not a list")
    }
    XCTAssertThrowsError(try PartialTrainConfig.parse(yaml: "64\n", source: "c.yaml")) {
      XCTAssertEqual(
        "\($0)",
        "c.yaml: the file must be a mapping of option names to values (e.g. batch-size: 64), not a single value")
    }
    XCTAssertEqual(try PartialTrainConfig.parse(yaml: "", source: "c.yaml").epochs, nil, "an empty file sets nothing")
    XCTAssertThrowsError(try PartialTrainConfig.load(yaml: URL(fileURLWithPath: "/dev/zero"))) {
      XCTAssertEqual("\($0)", "the config file /dev/zero is a character device, not a regular file")
    }
  }

  /// Every count has a bound, checked before anything is allocated, said with the option's name:
  /// values near Int.max trapped on overflow, hung, or spawned threads without end.
  func testHugeCountsAreRefusedBeforeAnythingIsAllocated() throws {
    let huge = Int.max
    let cases: [(WritableKeyPath<PartialTrainConfig, Int?>, String)] = [
      (\.batchSize, "--batch-size must be between 2 and 1048576"),
      (\.testBatchSize, "--test-batch-size must be between 1 and 1048576"),
      (\.epochs, "--epochs must be between 1 and 100000"), (\.times, "--times must be between 1 and 10000"),
      (\.threads, "--threads must be between 1 and"),
      (\.threadsPerDevice, "--threads-per-device must be between 1 and"),
      (\.components, "--components must be between 1 and 64"), (\.hidden, "--hidden must be between 1 and 65536"),
      (\.heads, "--heads must be between 1 and 1024"), (\.vocabSize, "--vocab-size must be between 3 and 16777216"),
      (\.maxLen, "--max-len must be between 1 and 1048576"), (\.queueDepth, "--queue-depth must be between 1 and 1024"),
      (\.checkpointEvery, "--checkpoint-every must be between 1 and"),
      (\.checkpointEverySteps, "--checkpoint-every-steps must be between 1 and"),
      (\.keepCheckpoints, "--keep-checkpoints must be between 1 and")
    ]
    for (field, message) in cases {
      var p = PartialTrainConfig()
      p[keyPath: field] = huge
      XCTAssertThrowsError(try p.resolved(), message) { XCTAssertTrue("\($0)".hasPrefix(message), "\($0)") }
    }
    for devices in ["\(huge)", "100000000", "cuda:0x\(huge)"] {
      XCTAssertThrowsError(try DeviceSpec(parsing: devices)) {
        XCTAssertTrue("\($0)".contains("at most 64") || "\($0)".contains("1…64"), "\($0)")
      }
    }
    var p = PartialTrainConfig()
    p.devices = try DeviceSpec(parsing: "8")
    XCTAssertThrowsError(try p.resolved()) {
      XCTAssertTrue("\($0)".contains("names 8 devices for 4 components"), "\($0)")
    }
    p = PartialTrainConfig()
    p.model = .lstm; p.dataset = .bbcNews; p.components = 1000
    XCTAssertThrowsError(try p.resolved()) {
      XCTAssertTrue("\($0)".hasPrefix("--components must be between 1 and 16"), "\($0)")
    }
    XCTAssertThrowsError(try TextModels.build(.lstm, vectors: try Tensor.zeros([5, 4]), classes: 2, components: 1000)) {
      XCTAssertTrue("\($0)".contains("2…16 components"), "\($0)")
    }
    // The loader's arithmetic holds for any batch size: one batch of everything.
    let source = try TensorDataset(
      name: "ten", inputs: try Tensor.zeros([10, 1]), labels: try Tensor.zeros([10], dtype: .int64), classCount: 2)
    XCTAssertEqual(try DataLoader(source, batchSize: huge, seed: 1).batchCount, 1)
    XCTAssertEqual(try DataLoader(source, batchSize: 3, seed: 1).batchCount, 4)
    XCTAssertEqual(try DataLoader(source, batchSize: 3, seed: 1, dropLast: true).batchCount, 3)
  }

  /// `overriding` keeps every field this config sets and takes the rest from the other one.
  func testOverridingMergesFieldByField() throws {
    var mine = PartialTrainConfig(), theirs = PartialTrainConfig()
    mine.epochs = 5; mine.aug = Augmentation.none; mine.profile = true
    theirs.epochs = 3; theirs.model = .convnet; theirs.seed = 7; theirs.lrSchedule = .cosineStep; theirs.profile = false
    let merged = try mine.overriding(theirs)
    XCTAssertEqual(merged.epochs, 5)
    XCTAssertEqual(merged.aug, Augmentation.none)
    XCTAssertEqual(merged.profile, true)
    XCTAssertEqual(merged.model, .convnet)
    XCTAssertEqual(merged.seed, 7)
    XCTAssertEqual(merged.lrSchedule, .cosineStep)
    XCTAssertNil(merged.dataset)
  }

  /// A run folder's config.json is checked when a run resumes: an impossible value is refused.
  func testAResumedConfigIsValidated() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST
    let good = try JSONEncoder().encode(["config": try p.resolved()])
    XCTAssertEqual(try TrainConfig.decodeChecked(from: good, path: "c.json").model, .vgg)
    var json = try XCTUnwrap(String(data: good, encoding: .utf8))
    json = json.replacingOccurrences(of: "\"epochs\":1", with: "\"epochs\":0")
    XCTAssertThrowsError(try TrainConfig.decodeChecked(from: Data(json.utf8), path: "c.json")) {
      XCTAssertEqual("\($0)", "c.json: --epochs must be between 1 and 100000, got 0")
    }
    json = String(data: good, encoding: .utf8)!.replacingOccurrences(
      of: "\"method\":\"scpl\"", with: "\"method\":\"hebbian\"")
    XCTAssertThrowsError(try TrainConfig.decodeChecked(from: Data(json.utf8), path: "c.json")) {
      XCTAssertTrue("\($0)".contains("unknown --method 'hebbian'"), "\($0)")
    }
  }

  func testRunFolderRefusesAnExistingRunAndUnwritablePlaces() throws {
    do {
      let folder = try RunFolder(dir)
      try folder.writeJSON("config.json", ["a": 1])
      // While it is held, a second opening is refused naming the holder, for a new run or a resume.
      for second in [{ try RunFolder(self.dir) }, { try RunFolder(resuming: self.dir) }] {
        XCTAssertThrowsError(try second()) {
          XCTAssertTrue("\($0)".contains("is in use by another scpl process (PID \(getpid()))"), "\($0)")
        }
      }
      withExtendedLifetime(folder) {}
    }
    XCTAssertThrowsError(try RunFolder(dir)) { XCTAssertTrue("\($0)".contains("already holds a run"), "\($0)") }
    XCTAssertThrowsError(try RunFolder(URL(fileURLWithPath: "/proc/scpl-run"))) {
      XCTAssertTrue("\($0)".contains("/proc/scpl-run"), "\($0)")
    }
    // A folder with a run's files but no config.json is not a run to reuse.
    let orphan = dir.appendingPathComponent("orphan")
    try FileManager.default.createDirectory(
      at: orphan.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try RunFolder(orphan)) {
      XCTAssertEqual(
        "\($0)",
        "the folder \(orphan.path) holds a run's files (checkpoints) but no config.json: it is not a run to continue or to reuse; choose another --out"
      )
    }
    // A path through a file, and an empty path, are said in words.
    let file = dir.appendingPathComponent("afile")
    try Data().write(to: file)
    XCTAssertThrowsError(try RunFolder(file.appendingPathComponent("sub"))) {
      XCTAssertEqual("\($0)", "cannot create the folder \(file.path)/sub: \(file.path) is a file, not a folder")
    }
    var p = PartialTrainConfig()
    p.out = ""
    XCTAssertThrowsError(try p.resolved()) { XCTAssertEqual("\($0)", "--out must name a folder, got an empty path") }
  }

  /// Runs started in the same second get folders of their own: each default name is created
  /// exclusively, and a taken one gets the next suffix. 8 threads at once, 25 rounds (200
  /// folders, about a second).
  func testRunsStartedTogetherNeverShareADefaultFolder() throws {
    let now = Date()
    let base = dir.appendingPathComponent("runs")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    let previous = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(dir.path)
    defer { FileManager.default.changeCurrentDirectoryPath(previous) }
    for round in 0..<25 {
      let made = LockedValue<[String]>([])
      DispatchQueue.concurrentPerform(iterations: 8) { _ in
        guard let folder = try? RunFolder.createDefault(model: "vgg", method: "scpl", dataset: "r\(round)", now: now)
        else { return }
        made.withLock { $0.append(folder.url.lastPathComponent) }
      }
      let names = made.withLock { $0 }
      XCTAssertEqual(names.count, 8, "round \(round): \(names)")
      XCTAssertEqual(Set(names).count, 8, "round \(round): two runs shared a folder: \(names.sorted())")
    }
  }

  /// A loss that becomes NaN or infinite stops the run with an error naming the loss, the epoch
  /// and step and the usual causes, and summary.json records the failure. (Here the data holds a
  /// NaN from the third batch on, as a corrupt file could.)
  func testADivergingLossStopsTheRunNamingIt() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .bp; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 1; p.batchSize = 8;
    p.aug = Augmentation.none
    let config = try p.resolved()
    try Torch.manualSeed(3)
    var images = try Tensor.rand([64, 1, 28, 28])
    images = try Tensor.cat([images.slice(axis: 0, start: 0, end: 16), Tensor.full([48, 1, 28, 28], .nan)])
    let set = try TensorDataset(
      name: "nan", inputs: images, labels: Tensor((0..<64).map { Int64($0 % 10) }), classCount: 10)
    let data = LoadedData(
      train: set, test: set, trainProbe: set, trainName: "nan", testName: "nan", family: .vision, classCount: 10,
      sampleShape: [1, 28, 28])
    let trainer = Trainer(config: config, data: data, folder: try RunFolder(dir))
    trainer.log = { _ in }
    trainer.progress = ProgressLine(live: false)
    XCTAssertThrowsError(try trainer.run()) { error in
      guard let diverged = error as? Trainer.Diverged else { return XCTFail("\(error)") }
      XCTAssertEqual(diverged.loss, "cross-entropy")
      XCTAssertFalse(diverged.value.isFinite)
      XCTAssertTrue(
        "\(error)".contains("at epoch 1, step \(diverged.step)") && "\(error)".contains("smaller --lr"), "\(error)")
      XCTAssertTrue("\(error)".contains("no epoch was complete"), "\(error)")
    }
    let summary = try JSONDecoder().decode(
      RunSummary.self, from: Data(contentsOf: dir.appendingPathComponent("summary.json")))
    XCTAssertEqual(summary.state, .failed)
    XCTAssertTrue(
      summary.stoppedBecause?.contains("training diverged: the loss cross-entropy became") == true,
      "\(summary.stoppedBecause ?? "")")
  }

  /// `--on-nan skip-batch`: the same NaN data no longer stops the run. Every NaN batch's update
  /// is refused (one per optimizer: SCPL's four), the weights stay finite, and each epoch's record
  /// counts the refused updates. The clean batches still train.
  func testSkipBatchRefusesNonFiniteUpdatesAndCountsThem() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2; p.batchSize = 8
    p.aug = Augmentation.none; p.onNan = .skipBatch; p.threads = 1; p.pipeline = .off
    let config = try p.resolved()
    try Torch.manualSeed(3)
    // Samples 16..<24 are NaN: one batch of eight in each epoch (shuffled, so a different one).
    var images = try Tensor.rand([64, 1, 28, 28])
    images = try Tensor.cat([
      images.slice(axis: 0, start: 0, end: 16), Tensor.full([8, 1, 28, 28], .nan),
      images.slice(axis: 0, start: 24, end: 64)
    ])
    let set = try TensorDataset(
      name: "nan", inputs: images, labels: Tensor((0..<64).map { Int64($0 % 10) }), classCount: 10)
    let clean = try TensorDataset(
      name: "clean", inputs: images.slice(axis: 0, start: 0, end: 16), labels: Tensor((0..<16).map { Int64($0 % 10) }),
      classCount: 10)
    let data = LoadedData(
      train: set, test: clean, trainProbe: clean, trainName: "nan", testName: "clean", family: .vision, classCount: 10,
      sampleShape: [1, 28, 28])
    let trainer = Trainer(config: config, data: data, folder: try RunFolder(dir))
    trainer.log = { _ in }
    trainer.progress = ProgressLine(live: false)
    _ = try trainer.run()
    let records = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"))
    // Whether a NaN image lands in a batch with others depends on the shuffle; each batch that
    // holds one is refused by all four optimizers, so the count is a positive multiple of 4.
    for r in records {
      let n = try XCTUnwrap(r.skippedUpdates)
      XCTAssertTrue(n > 0 && n % 4 == 0, "epoch \(r.epoch): \(n)")
      XCTAssertTrue(r.losses.values.allSatisfy(\.isFinite), "\(r.losses)")
    }
    let checkpoint = try SafeTensors.load(from: Checkpoints(runFolder: dir).list().last!.url)
    for (name, t) in checkpoint.tensors where t.dtype == .float32 {
      XCTAssertTrue(try t.sum().item().isFinite, "\(name) is not finite")
    }
  }

  /// A short real run on Fashion-MNIST: the losses fall, and every file has the documented schema.
  func testShortRealRunWritesSchemaAndLossFalls() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 3
    p.limitTrain = 768; p.limitTest = 500; p.batchSize = 64; p.aug = Augmentation.none; p.times = 2;
    p.lrSchedule = .constant
    let config = try p.resolved()
    let data = try DatasetCatalog.load(config)
    let trainer = Trainer(config: config, data: data, folder: try RunFolder(dir))
    trainer.log = { _ in }
    trainer.progress = ProgressLine(live: false)
    let summary = try trainer.run()

    let json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json")))
      as! [String: Any]
    for key in [
      "model", "method", "dataset", "epochs", "components", "runs", "test_accuracy_mean", "test_accuracy_std",
      "best_test_accuracy_mean", "best_test_accuracy_std"
    ] { XCTAssertNotNil(json[key], key) }
    let runs = json["runs"] as! [[String: Any]]
    XCTAssertEqual(runs.count, 2)
    for key in [
      "seed", "test_accuracy", "best_test_accuracy", "component_test_accuracy", "epoch_seconds",
      "train_samples_per_second"
    ] {
      XCTAssertNotNil(runs[0][key], key)
    }
    XCTAssertEqual(runs.map { $0["seed"] as! Int }, [1, 2])
    XCTAssertTrue((0...1).contains(summary.bestTestAccuracyMean))

    let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(
      separator: "\n")
    XCTAssertEqual(lines.count, 6)
    let records = try lines.map { try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)) }
    for run in 0..<2 {
      let r = records.filter { $0.run == run }
      for k in 1...4 {
        let name = "component\(k)"
        XCTAssertLessThan(r.last!.losses[name]!, r.first!.losses[name]!, "run \(run) \(name) did not fall")
      }
    }
    XCTAssertGreaterThan(
      summary.bestTestAccuracyMean, 0.3, "a few hundred steps of SCPL should beat chance (0.1) clearly")
    let svg = try String(contentsOf: dir.appendingPathComponent("curves.svg"), encoding: .utf8)
    XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("polyline"))
    // TensorBoard reads each run's events (run-1/, run-2/ with --times 2): the epoch figures
    // equal metrics.jsonl's (as float32, TensorBoard's scalar type), and every step has its losses and learning rate.
    let steps = 768 / 64
    for run in 0..<2 {
      let scalars = try tensorBoardScalars(dir.appendingPathComponent("run-\(run + 1)"))
      let r = records.filter { $0.run == run }
      XCTAssertEqual(scalars["accuracy/test"]?.map(\.value), r.map { Float($0.testAccuracy) })
      XCTAssertEqual(scalars["accuracy/test"]?.map(\.step), [1, 2, 3].map { $0 * steps })
      XCTAssertEqual(scalars["epoch/loss/component4"]?.map(\.value), r.map { Float($0.losses["component4"]!) })
      XCTAssertEqual(scalars["train/loss/component1"]?.map(\.step), Array(1...(3 * steps)))
      XCTAssertEqual(scalars["train/learning_rate"]?.count, 3 * steps)
      XCTAssertEqual(scalars["busy/cpu:0"]?.count, 3)
      XCTAssertEqual(scalars["epoch/samples_per_second"]?.map(\.value), r.map { Float($0.trainSamplesPerSecond) })
    }
    XCTAssertTrue(ResultsTable.markdown([summary]).contains("| scpl | "))
  }

  /// The text family on real data: BBC News from the data cache with the GloVe 50-d vectors.
  func testShortRealTextRunLossFalls() throws {
    var p = PartialTrainConfig()
    p.model = .lstm; p.method = .scpl; p.dataset = .bbcNews; p.hidden = 16; p.maxLen = 40; p.epochs = 3
    p.limitTrain = 384; p.limitTest = 200; p.batchSize = 64; p.threads = 1
    let config = try p.resolved()
    let data = try DatasetCatalog.load(config)
    XCTAssertEqual(data.wordVectors?.shape[1], 50)
    XCTAssertEqual(data.classCount, 5)
    let trainer = Trainer(config: config, data: data, folder: try RunFolder(dir))
    trainer.log = { _ in }
    trainer.progress = ProgressLine(live: false)
    _ = try trainer.run()
    let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(
      separator: "\n")
    let records = try lines.map { try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)) }
    XCTAssertEqual(records.count, 3)
    for k in 1...4 {
      XCTAssertLessThan(
        records.last!.losses["component\(k)"]!, records.first!.losses["component\(k)"]!, "component \(k) did not learn")
    }
  }

  /// Property 5: an interrupted run resumed from its checkpoint ends with exactly the weights,
  /// optimizer state and metrics of an uninterrupted one (one intra-op thread: deterministic).
  func testResumingAfterAnInterruptionChangesNothing() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 3
    p.limitTrain = 256; p.limitTest = 100; p.batchSize = 64; p.aug = .strong; p.times = 2; p.threads = 1
    let config = try p.resolved()
    let data = try DatasetCatalog.load(config)
    let straight = dir.appendingPathComponent("straight"), interrupted = dir.appendingPathComponent("interrupted")
    _ = try quietTrainer(config, data, at: straight).run()
    do {  // the first session ends (and lets go of its folder) before the resume opens it
      let first = try quietTrainer(config, data, at: interrupted)
      first.interruptAfterEpochs = 4  // run 1 complete, run 2 stopped after its first epoch
      XCTAssertThrowsError(try first.run()) { XCTAssertTrue($0 is Trainer.Interrupted) }
    }
    let stopped = try JSONDecoder().decode(
      RunSummary.self, from: Data(contentsOf: interrupted.appendingPathComponent("summary.json")))
    XCTAssertEqual(stopped.state, .interrupted)
    XCTAssertEqual(stopped.runs.count, 1, "run 1 finished before the interruption")

    let point = try Trainer.ResumePoint.load(interrupted)
    XCTAssertEqual(point.run, 1)
    XCTAssertEqual(point.epoch, 1)
    _ = try quietTrainer(config, data, at: interrupted, resume: point).run()

    for name in ["checkpoints/run1-epoch0003.safetensors", "checkpoints/run2-epoch0003.safetensors"] {
      let a = try SafeTensors.load(from: straight.appendingPathComponent(name))
      let b = try SafeTensors.load(from: interrupted.appendingPathComponent(name))
      XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
      for ((n, x), (_, y)) in zip(a.tensors, b.tensors) { XCTAssertEqual(try x.bytes(), try y.bytes(), "\(name) \(n)") }
    }
    func accuracies(_ url: URL) throws -> [Double] {
      try String(contentsOf: url.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        .map { try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)).testAccuracy }
    }
    XCTAssertEqual(try accuracies(straight), try accuracies(interrupted))
    XCTAssertEqual(try accuracies(straight).count, 6)
  }

  /// Without --heads the Transformer's head count fits the word vectors (50-d here: 5); given, it is kept.
  func testHeadCountDefaultFitsTheWordVectors() throws {
    var p = PartialTrainConfig()
    p.model = .transformer; p.method = .bp; p.dataset = .bbcNews; p.limitTrain = 10; p.limitTest = 10
    let data = try DatasetCatalog.load(try p.resolved())
    XCTAssertEqual(try p.resolved().heads, 6)
    XCTAssertEqual(try p.resolved(fitting: data).heads, 5)
    p.heads = 2
    XCTAssertEqual(try p.resolved(fitting: data).heads, 2)
  }

  func testMeanAndPopulationStd() {
    let (m, s) = Statistics.meanAndStd([0.9, 0.92, 0.94])
    XCTAssertEqual(m, 0.92, accuracy: 1e-12)
    XCTAssertEqual(s, (0.0008 / 3).squareRoot(), accuracy: 1e-12)
  }
}
