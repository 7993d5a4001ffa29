import ArgumentParser
import Foundation
import SCPL

/// Everything `scpl` does with an argument vector before it trains or reads a data set: the
/// parser (ArgumentParser, with each command's `validate`), the `--config` file, and for `train`
/// the merged options resolved and checked as a run resolves them. The command-line fuzz target
/// (`make fuzz`, FuzzCmdline) and its regression test call it; a refusal is an error with a
/// sentence, and nothing may crash, trap or hang.
public enum CommandLineCheck {
  /// Parses `arguments` (without the program name) and resolves a `train` command's options.
  /// Nothing runs: no data loads, no folder is made, no process starts.
  public static func check(_ arguments: [String]) throws {
    let command = try SCPLCommand.parseAsRoot(arguments)
    guard let train = (command as? Train)?.options, train.resume == nil else { return }
    let partial = try train.partialConfig()
    let resolved = try partial.resolved()
    _ = try resolved.pipelineOptions(componentCount: resolved.components)
  }
}
