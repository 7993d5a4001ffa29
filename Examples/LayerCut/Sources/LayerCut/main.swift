import ArgumentParser
import NN
import SCPL
import SCPLCLI
import Torch

/// A network written as one flat list of layers; `--components` says how many pieces to cut it
/// into, by measured time unless `--balance` gives the layer counts.
struct LayerCut: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Trains a flat list of layers cut into components by measured time (or --balance), with scpl train's options.")

  @OptionGroup var options: TrainOptions
  @Option(
    help: "Layers per component, e.g. 4,3,4 (default: cut by measured time).",
    transform: { text in
      try text.split(separator: ",").map {
        guard let n = Int($0) else { throw ValidationError("--balance \(text): '\($0)' is not a layer count") };
        return n
      }
    })
  var balance: [Int]?

  func run() throws {
    try options.train(name: "layer-cut") { config, input in
      let layers: [any UnaryLayer] = [
        try Conv2d(input.sampleShape[0], 32, kernelSize: 3, padding: 1), ReLU(),
        try Conv2d(32, 32, kernelSize: 3, padding: 1), ReLU(), try MaxPool2d(2),
        try Conv2d(32, 64, kernelSize: 3, padding: 1), ReLU(), try MaxPool2d(2),
        try Conv2d(64, 64, kernelSize: 3, padding: 1), ReLU(), try MaxPool2d(2)
      ]
      let cut = balance.map(SCPL.LayerCut.balance) ?? .measuredTime(components: config.components)
      let model = try StagedModel.cutting(
        layers, cut, name: "layer-cut", sampleShape: input.sampleShape, classCount: input.classCount
      ) { width in
        try Sequential {
          Flatten(); try Linear(width, input.classCount)
        }
      }
      print("layers per component: \((model.components as? [VisionComponent])?.map(\.layers.layers.count) ?? [])")
      return model
    }
  }
}

Engine.prepareProcess()
LayerCut.main()
