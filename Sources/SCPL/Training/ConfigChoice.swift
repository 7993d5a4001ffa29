import Data
import NN

/// A mistake in a run's configuration (an unknown value, a number out of range, options that do
/// not go together), told as a sentence that names the option.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
  /// What is wrong, as a sentence naming the option.
  public let message: String
  /// Creates an error with the given message.
  public init(_ message: String) { self.message = message }
  /// The message, unchanged.
  public var description: String { message }
}

/// A closed set of values one option takes (`--method scpl`). It is parsed once, where the text
/// comes in — the command line, a YAML file, a run folder's config.json — and travels as the
/// enum from there on; an unknown value is an error that lists the choices.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable, Sendable, CustomStringConvertible
where RawValue == String {
  /// The option, for messages ("--lr-schedule").
  static var optionName: String { get }
  init(parsing text: String) throws
}

extension ConfigChoice {
  /// Parses `text`, ignoring case; throws `ConfigError` listing the choices when it is none of them.
  public init(parsing text: String) throws {
    guard let value = Self(rawValue: text.lowercased()) else {
      throw ConfigError("unknown \(Self.optionName) '\(text)': expected one of \(Self.choices)")
    }
    self = value
  }

  /// The values, comma-separated, as help and errors list them.
  public static var choices: String { allCases.map(\.rawValue).joined(separator: ", ") }

  public init(from decoder: Decoder) throws {
    self = try Self(parsing: try decoder.singleValueContainer().decode(String.self))
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(rawValue)
  }

  /// The value as written on the command line (its raw value).
  public var description: String { rawValue }
}

/// The models of the paper.
public enum ModelKind: String, ConfigChoice {
  case vgg, resnet18, convnet, lstm, transformer
  /// A network of a program's own (`TrainOptions.train(model:)`): that program builds it, so
  /// only it can train, resume or evaluate such a run; `scpl` refuses it.
  case custom
  /// `--model`.
  public static let optionName = "--model"

  /// The built-in models: what `scpl` lists and builds. `custom` parses (a custom run's
  /// config.json holds it) but is not offered as a choice.
  public static var allCases: [ModelKind] { [.vgg, .resnet18, .convnet, .lstm, .transformer] }

  /// Whether the model reads images or token ids (nil for a custom network: its data decides).
  public var family: ModelFamily? {
    switch self {
    case .lstm, .transformer: return .text
    case .vgg, .resnet18, .convnet: return .vision
    case .custom: return nil
    }
  }
}

extension LocalObjectiveKind: ConfigChoice {
  /// `--objective`.
  public static let optionName = "--objective"
}

/// Each component's optimizer (`--optimizer`); its settings are `--momentum` and `--weight-decay`.
public enum OptimizerKind: String, ConfigChoice {
  case adam, sgd, lars
  /// `--optimizer`.
  public static let optionName = "--optimizer"
}

/// How the learning rate moves over a run (`--lr-schedule`).
public enum LearningRateScheduleKind: String, ConfigChoice {
  /// Cosine from --lr to --end-lr, set once per epoch (the reference's).
  case cosine
  /// The same cosine, set before every step.
  case cosineStep = "cosine-step"
  /// --lr throughout.
  case constant
  /// `--lr-schedule`.
  public static let optionName = "--lr-schedule"
}

/// What a loss or gradient that becomes NaN or infinite does (`--on-nan`).
public enum NonFinitePolicy: String, ConfigChoice {
  /// The run stops, naming the loss, the epoch and the step (`Trainer.Diverged`).
  case stop
  /// The batch's update is not applied (every optimizer refuses a non-finite step), the run goes
  /// on, and each epoch's record counts the refused updates.
  case skipBatch = "skip-batch"
  /// `--on-nan`.
  public static let optionName = "--on-nan"
}

extension MethodKind: ConfigChoice { public static let optionName = "--method" }
extension PipelineKind: ConfigChoice { public static let optionName = "--pipeline" }
extension ProjectionKind: ConfigChoice { public static let optionName = "--projection" }

extension PredictorKind: ConfigChoice { public static let optionName = "--predictors" }
extension Augmentation: ConfigChoice { public static let optionName = "--aug" }
extension SupervisedContrastiveLoss.Divisor: ConfigChoice { public static let optionName = "--divisor" }
extension ResNet18.Shortcut: ConfigChoice { public static let optionName = "--shortcut" }
