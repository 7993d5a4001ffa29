import ArgumentParser

@main
struct SCPLCommand: ParsableCommand {
  static func main() {
    OpenBLASKernels.restartWithBetterKernelsIfNeeded()
    HostMemoryChoice.apply()
    main(nil)
  }

  static let configuration = CommandConfiguration(
    commandName: "scpl",
    abstract: "Train and measure networks with Supervised Contrastive Parallel Learning and its baselines.",
    subcommands: [Train.self, Bench.self, Simulate.self, Report.self, Summary.self],
    defaultSubcommand: Train.self
  )
}
