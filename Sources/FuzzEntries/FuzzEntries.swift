import Data
import Foundation
import SCPL
import SCPLCLI
import Torch

/// What each fuzz target feeds its input to: every parser that reads a user's file. A parser may
/// refuse the bytes (it throws, with a sentence); it must never crash, hang or read out of
/// bounds. The libFuzzer targets (`make fuzz`, Fuzz/) and the regression test over every input
/// that ever crashed one (FuzzRegressionTests, in `make test`) call the same functions.
public enum FuzzEntries {
  public static let all: [(name: String, run: ([UInt8]) -> Void)] = [
    ("idx", idx), ("cifar", cifar), ("csv", csv), ("tsv", tsv), ("glove", glove),
    ("safetensors", safetensors), ("yaml", yaml), ("jpeg", jpeg), ("cmdline", commandLine)
  ]

  public static func idx(_ bytes: [UInt8]) { _ = try? IDX.parse(bytes, source: "fuzz") }

  public static func cifar(_ bytes: [UInt8]) {
    var pixels: [UInt8] = [], labels: [Int64] = []
    for format in [CIFAR.cifar10, CIFAR.cifar100] {
      _ = try? CIFAR.parse(bytes, format: format, source: "fuzz", pixels: &pixels, labels: &labels)
    }
  }

  public static func csv(_ bytes: [UInt8]) { _ = try? CSV.parse(TextDecoding.lenient(bytes), source: "fuzz") }

  public static func tsv(_ bytes: [UInt8]) {
    _ = try? CSV.parse(TextDecoding.lenient(bytes), source: "fuzz", separator: UInt8(ascii: "\t"))
  }

  public static func glove(_ bytes: [UInt8]) {
    _ = try? bytes.withUnsafeBytes { try WordVectors.parse($0, source: "fuzz") }
  }

  public static func safetensors(_ bytes: [UInt8]) { _ = try? SafeTensors.decode(bytes, source: "fuzz") }

  public static func yaml(_ bytes: [UInt8]) {
    _ = try? PartialTrainConfig.parse(yaml: TextDecoding.lenient(bytes), source: "fuzz")
  }

  /// An argument vector, one argument per NUL-separated piece of the input, through `scpl`'s
  /// parser and option resolution (`CommandLineCheck`), as far as a run goes before training.
  public static func commandLine(_ bytes: [UInt8]) {
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { TextDecoding.lenient(Array($0)) }
    _ = try? CommandLineCheck.check(arguments)
  }

  public static func jpeg(_ bytes: [UInt8]) { _ = try? JPEGCodec().decodeRGB(bytes, source: "fuzz") }
}
