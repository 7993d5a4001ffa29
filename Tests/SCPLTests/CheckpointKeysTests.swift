import Foundation
import Torch
import XCTest
@testable import SCPL

/// Checkpoint keys are part of the file format: a checkpoint written today must load tomorrow,
/// and into the same network written in PyTorch (scripts/load_in_pytorch.py). This pins every
/// paper model's keys (indices shown as N) and their count for a method of each kind; a renamed
/// property or a restructured model fails here, and must then either keep its key (`stateKeys`)
/// or be a deliberate format change (say so in the commit).
final class CheckpointKeysTests: XCTestCase {
  static let pinned: [(model: String, method: String, count: Int, patterns: String)] = [
    (
      "convnet", "al", 52,
      """
      al1.bridge.N.bias
      al1.bridge.N.weight
      al1.decoder.N.bias
      al1.decoder.N.weight
      al1.encoder.N.bias
      al1.encoder.N.weight
      al2.bridge.N.bias
      al2.bridge.N.weight
      al2.decoder.N.bias
      al2.decoder.N.weight
      al2.encoder.N.bias
      al2.encoder.N.weight
      al3.bridge.N.bias
      al3.bridge.N.weight
      al3.decoder.N.bias
      al3.decoder.N.weight
      al3.encoder.N.bias
      al3.encoder.N.weight
      al4.bridge.N.bias
      al4.bridge.N.weight
      al4.decoder.N.bias
      al4.decoder.N.weight
      al4.encoder.N.bias
      al4.encoder.N.weight
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.layers.N.bias
      model.components.N.layers.N.weight
      """
    ),
    (
      "lstm", "scpl", 29,
      """
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.embedding.weight
      model.components.N.lstm.bias_hh_l0
      model.components.N.lstm.bias_hh_l0_reverse
      model.components.N.lstm.bias_ih_l0
      model.components.N.lstm.bias_ih_l0_reverse
      model.components.N.lstm.weight_hh_l0
      model.components.N.lstm.weight_hh_l0_reverse
      model.components.N.lstm.weight_ih_l0
      model.components.N.lstm.weight_ih_l0_reverse
      """
    ),
    (
      "resnet18", "bp", 122,
      """
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.layers.N.bias
      model.components.N.layers.N.main.N.bias
      model.components.N.layers.N.main.N.num_batches_tracked
      model.components.N.layers.N.main.N.running_mean
      model.components.N.layers.N.main.N.running_var
      model.components.N.layers.N.main.N.weight
      model.components.N.layers.N.num_batches_tracked
      model.components.N.layers.N.running_mean
      model.components.N.layers.N.running_var
      model.components.N.layers.N.shortcut.N.bias
      model.components.N.layers.N.shortcut.N.num_batches_tracked
      model.components.N.layers.N.shortcut.N.running_mean
      model.components.N.layers.N.shortcut.N.running_var
      model.components.N.layers.N.shortcut.N.weight
      model.components.N.layers.N.weight
      """
    ),
    (
      "transformer", "scpl", 59,
      """
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.block.final_norm.bias
      model.components.N.block.final_norm.weight
      model.components.N.block.layer.attention.key.bias
      model.components.N.block.layer.attention.key.weight
      model.components.N.block.layer.attention.output.bias
      model.components.N.block.layer.attention.output.weight
      model.components.N.block.layer.attention.query.bias
      model.components.N.block.layer.attention.query.weight
      model.components.N.block.layer.attention.value.bias
      model.components.N.block.layer.attention.value.weight
      model.components.N.block.layer.feed_forward.N.bias
      model.components.N.block.layer.feed_forward.N.weight
      model.components.N.block.layer.norm1.bias
      model.components.N.block.layer.norm1.weight
      model.components.N.block.layer.norm2.bias
      model.components.N.block.layer.norm2.weight
      model.components.N.embedding.weight
      """
    ),
    (
      "vgg", "early-exit", 52,
      """
      head1.N.bias
      head1.N.weight
      head2.N.bias
      head2.N.weight
      head3.N.bias
      head3.N.weight
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.layers.N.bias
      model.components.N.layers.N.num_batches_tracked
      model.components.N.layers.N.running_mean
      model.components.N.layers.N.running_var
      model.components.N.layers.N.weight
      """
    ),
    (
      "vgg", "scpl", 56,
      """
      model.classifier.N.bias
      model.classifier.N.weight
      model.components.N.layers.N.bias
      model.components.N.layers.N.num_batches_tracked
      model.components.N.layers.N.running_mean
      model.components.N.layers.N.running_var
      model.components.N.layers.N.weight
      objective1.head.body.N.bias
      objective1.head.body.N.weight
      objective2.head.body.N.bias
      objective2.head.body.N.weight
      objective3.head.body.N.bias
      objective3.head.body.N.weight
      objective4.head.body.N.bias
      objective4.head.body.N.weight
      """
    )
  ]

  func testEveryModelsKeysArePinned() throws {
    for pin in Self.pinned {
      var p = PartialTrainConfig()
      p.model = ModelKind(rawValue: pin.model); p.method = MethodKind(rawValue: pin.method)
      p.dataset = [.lstm, .transformer].contains(p.model) ? .bbcNews : .fashionMNIST
      p.width = 1.0 / 16; p.hidden = 16; p.maxLen = 20
      let config = try p.resolved()
      let entry = try DatasetCatalog.entry(config.dataset)
      let vectors = entry.family == .text ? try Tensor.zeros([100, 48]) : nil  // 48-d: 6 heads divide it
      let model = try ModelFactory.build(
        config, sampleShape: config.dataset == .bbcNews ? [20] : entry.sampleShape,
        classCount: entry.classCount, wordVectors: vectors)
      let keys = try Methods.make(config.method, model: model, options: config.methodOptions).stateDict().map(\.0)
      let patterns = Set(
        keys.map { $0.replacingOccurrences(of: #"(?<=\.)\d+(?=\.)"#, with: "N", options: .regularExpression) })
      XCTAssertEqual(patterns.sorted().joined(separator: "\n"), pin.patterns, "\(pin.model) \(pin.method)")
      XCTAssertEqual(keys.count, pin.count, "\(pin.model) \(pin.method)")
    }
  }
}
