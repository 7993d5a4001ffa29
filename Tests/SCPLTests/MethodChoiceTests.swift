import Foundation
import NN
import Torch
import XCTest

@testable import SCPL

/// The method options a run may choose (objective, optimizer, head sizes): resolved into the
/// method, refused where they do not apply, and absent from the config of an older run folder,
/// which still reads as the defaults it trained with.
final class MethodChoiceTests: XCTestCase {
  func partial() -> PartialTrainConfig {
    var p = PartialTrainConfig()
    p.model = .convnet; p.method = .scpl; p.dataset = .fashionMNIST
    return p
  }

  func testChoicesReachTheMethod() throws {
    var p = partial()
    p.objective = .crossEntropy; p.optimizer = .sgd; p.momentum = 0.8; p.headHidden = 64; p.headOut = 32
    let config = try p.resolved()
    let options = config.methodOptions
    XCTAssertEqual(options.objective, .crossEntropy)
    XCTAssertEqual(options.optimizer, .sgd(momentum: 0.8, weightDecay: 0))
    XCTAssertEqual(options.projectionHidden, 64)
    XCTAssertEqual(options.projectionOutput, 32)
    let model = try ConvNet.build(sampleShape: [1, 8, 8], classes: 3, components: 2, width: 0.125)
    let method = try XCTUnwrap(try Methods.make(.scpl, model: model, options: options) as? SCPLMethod)
    XCTAssertTrue(method.objectives.allSatisfy { $0 is LocalCrossEntropyLoss })
    XCTAssertTrue(method.optimizers.allSatisfy { ($0 as? SGD)?.momentum == 0.8 })
    let head = try XCTUnwrap((method.objectives[0] as? LocalCrossEntropyLoss)?.head)
    XCTAssertEqual(head.outFeatures, 32)
    // The defaults: the paper's contrastive loss and Adam.
    let plain = try partial().resolved()
    XCTAssertEqual(plain.methodOptions.objective, .supervisedContrastive)
    XCTAssertEqual(plain.methodOptions.optimizer, .adam)
    XCTAssertNil(plain.methodOptions.projectionHidden)
    XCTAssertNil(plain.methodOptions.projectionOutput)
  }

  func testChoicesThatDoNotApplyAreRefused() throws {
    var momentum = partial()
    momentum.momentum = 0.9
    XCTAssertThrowsError(try momentum.resolved()) { XCTAssertTrue("\($0)".contains("--optimizer sgd"), "\($0)") }
    var objective = partial()
    objective.method = .bp; objective.objective = .crossEntropy
    XCTAssertThrowsError(try objective.resolved()) { XCTAssertTrue("\($0)".contains("--method bp"), "\($0)") }
    var width = partial()
    width.headOut = 0
    XCTAssertThrowsError(try width.resolved()) { XCTAssertTrue("\($0)".contains("--head-out"), "\($0)") }
  }

  func testAConfigWrittenBeforeTheseOptionsReadsAsItsDefaults() throws {
    let config = try partial().resolved()
    var object = try RunIdentity.fields(config)
    for key in ["objective", "optimizer", "momentum", "weight-decay", "head-hidden", "head-out"] { object[key] = nil }
    let data = try JSONSerialization.data(withJSONObject: ["config": object])
    let old = try TrainConfig.decodeChecked(from: data, path: "config.json")
    XCTAssertEqual(old.methodOptions.objective, .supervisedContrastive)
    XCTAssertEqual(old.methodOptions.optimizer, .adam)
  }
}
