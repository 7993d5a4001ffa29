import ArgumentParser

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Train a model (default: the Fashion-MNIST demo).")
  func run() throws { print("train: not wired yet") }
}
