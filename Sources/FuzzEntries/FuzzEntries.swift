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
  /// Every fuzz target: its name and the function that feeds it one input.
  public static let all: [(name: String, run: ([UInt8]) -> Void)] = [
    ("idx", idx), ("cifar", cifar), ("csv", csv), ("tsv", tsv), ("glove", glove),
    ("safetensors", safetensors), ("yaml", yaml), ("jpeg", jpeg), ("png", png),
    ("cmdline", commandLine)
  ]

  /// The bytes as an IDX file (MNIST's format), through `IDX.parse`.
  public static func idx(_ bytes: [UInt8]) { _ = try? IDX.parse(bytes, source: "fuzz") }

  /// The bytes as a CIFAR-10 and as a CIFAR-100 binary batch file, through `CIFAR.parse`.
  public static func cifar(_ bytes: [UInt8]) {
    var pixels: [UInt8] = [], labels: [Int64] = []
    for format in [CIFAR.cifar10, CIFAR.cifar100] {
      _ = try? CIFAR.parse(bytes, format: format, source: "fuzz", pixels: &pixels, labels: &labels)
    }
  }

  /// The bytes as comma-separated text (decoded leniently), through `CSV.parse`.
  public static func csv(_ bytes: [UInt8]) { _ = try? CSV.parse(TextDecoding.lenient(bytes), source: "fuzz") }

  /// The bytes as tab-separated text (decoded leniently), through `CSV.parse`.
  public static func tsv(_ bytes: [UInt8]) {
    _ = try? CSV.parse(TextDecoding.lenient(bytes), source: "fuzz", separator: UInt8(ascii: "\t"))
  }

  /// The bytes as a GloVe word-vector text file, through `WordVectors.parse`.
  public static func glove(_ bytes: [UInt8]) {
    _ = try? bytes.withUnsafeBytes { try WordVectors.parse($0, source: "fuzz") }
  }

  /// The bytes as a safetensors file, through `SafeTensors.decode`.
  public static func safetensors(_ bytes: [UInt8]) { _ = try? SafeTensors.decode(bytes, source: "fuzz") }

  /// The bytes as a `--config` YAML file (decoded leniently), through `PartialTrainConfig.parse`.
  public static func yaml(_ bytes: [UInt8]) {
    _ = try? PartialTrainConfig.parse(yaml: TextDecoding.lenient(bytes), source: "fuzz")
  }

  /// An argument vector, one argument per NUL-separated piece of the input, through `scpl`'s
  /// parser and option resolution (`CommandLineCheck`), as far as a run goes before training.
  public static func commandLine(_ bytes: [UInt8]) {
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { TextDecoding.lenient(Array($0)) }
    _ = try? CommandLineCheck.check(arguments)
  }

  /// The bytes as a JPEG image, decoded to RGB by `JPEGCodec`.
  public static func jpeg(_ bytes: [UInt8]) { _ = try? JPEGCodec().decodeRGB(bytes, source: "fuzz") }

  /// The bytes as a PNG image, decoded to RGB by `PNGCodec`.
  public static func png(_ bytes: [UInt8]) { _ = try? PNGCodec.decodeRGB(bytes, source: "fuzz") }
}
