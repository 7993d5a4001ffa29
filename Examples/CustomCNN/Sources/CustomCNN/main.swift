import ArgumentParser
import NN
import SCPL
import SCPLCLI
import Torch

/// Our own network: three conv blocks, each a component with its own local objective under SCPL,
/// and a linear classifier on the last one's features.
func customCNN(_ config: TrainConfig, _ input: ModelInput) throws -> StagedModel {
  let (channels, side) = (input.sampleShape[0], input.sampleShape[1] / 8)
  func block(_ from: Int, _ to: Int) throws -> VisionComponent {
    VisionComponent([try Conv2d(from, to, kernelSize: 3, padding: 1), try BatchNorm2d(to), ReLU(), try MaxPool2d(2)])
  }
  return try StagedModel(
    name: "custom-cnn", family: .vision,
    components: [try block(channels, 16), try block(16, 32), try block(32, 64)],
    classifier: try Sequential {
      Flatten(); try Linear(64 * side * side, input.classCount)
    },
    classCount: input.classCount, sampleShape: input.sampleShape)
}

struct CustomCNN: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Trains our own CNN (SCPL by default, --method bp for backpropagation) with scpl train's run options.")

  @OptionGroup var options: TrainOptions

  func run() throws { try options.train(name: "custom-cnn", model: customCNN) }
}

Engine.prepareProcess()  // OpenBLAS's best kernels for this CPU, as scpl runs with
CustomCNN.main()
