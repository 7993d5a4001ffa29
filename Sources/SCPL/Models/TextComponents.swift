import NN
import Torch

/// Mean over the time axis of B×T×D, counting only positions where `mask` (B×T bool) is true.
func maskedMean(_ x: Tensor, mask: Tensor) throws -> Tensor {
  let m = try mask.to(x.dtype).unsqueezed(axis: 2)
  return try (x * m).sum(axis: 1) / m.sum(axis: 1).clamp(min: 1)
}

/// Component 1 of the text models (as in the reference's `model/nlp_multi.py`): the word-vector
/// lookup table. It also computes the padding mask (id ≠ 0) that travels with the activations. Its
/// local features are the plain time-mean of the embeddings, padding included, as the reference.
public final class EmbeddingComponent: Module, Component, @unchecked Sendable {
  /// The word-vector lookup table.
  public let embedding: Embedding

  /// An embedding initialised with `vectors` (vocabulary × dimension), trained unless `trainable` is false.
  public init(vectors: Tensor, trainable: Bool = true) throws {
    embedding = try Embedding(pretrained: vectors, trainable: trainable)
    super.init()
  }

  /// Looks up the token ids and sets the padding mask (id ≠ 0); the label path and extras pass on.
  public func callAsFunction(_ x: Activation) throws -> Activation {
    Activation(try embedding(x.tensor), mask: try x.tensor .!= 0, labelPath: x.labelPath, extras: x.extras)
  }

  /// The mean over time of the embeddings, padding included.
  public func features(_ y: Activation) throws -> Tensor { try y.tensor.mean(axis: 1) }
}

/// A bi-LSTM component (as in the reference's `model/nlp_multi.py`): it starts from the previous
/// bi-LSTM's final (h, c) (zeros for the first), runs over every position (no packing), and hands
/// on its output sequence and final state. Features: the mean of the forward and backward final
/// hidden states.
public final class LSTMComponent: Module, Component, @unchecked Sendable {
  /// The bidirectional LSTM.
  public let lstm: BiLSTM

  /// A bi-LSTM from `inputSize` features to `hiddenSize` per direction.
  public init(inputSize: Int, hiddenSize: Int) throws {
    lstm = try BiLSTM(inputSize: inputSize, hiddenSize: hiddenSize)
    super.init()
  }

  /// Runs the bi-LSTM from the incoming state and hands on its output sequence and final (h, c).
  public func callAsFunction(_ x: Activation) throws -> Activation {
    let r = try lstm(x.tensor, initialState: x.state)
    return Activation(r.output, mask: x.mask, state: (r.h, r.c), labelPath: x.labelPath, extras: x.extras)
  }

  /// The mean of the forward and backward final hidden states, B×H.
  public func features(_ y: Activation) throws -> Tensor {
    guard let (h, _) = y.state else { throw TorchError("LSTMComponent: the activation lost its final state") }
    return try (h.select(axis: 0, index: 0) + h.select(axis: 0, index: 1)) / 2.0
  }
}

/// A Transformer component (as in the reference's `model/nlp_multi.py`): one pre-LN encoder layer
/// and a final LayerNorm, with the key-padding mask; no positional encoding. Features: the masked
/// time-mean.
public final class TransformerComponent: Module, Component, @unchecked Sendable {
  /// The pre-LN encoder layer with its final LayerNorm.
  public let block: TransformerEncoderBlock

  /// An encoder layer of width `dim` with `heads` attention heads, a feed-forward width of `feedForward`,
  /// and `dropout`.
  public init(dim: Int, heads: Int, feedForward: Int, dropout: Double = 0.1) throws {
    block = try TransformerEncoderBlock(dim: dim, heads: heads, feedForwardDim: feedForward, dropout: dropout)
    super.init()
  }

  /// The encoder layer on the sequence, with the padding mask as its key-padding mask.
  public func callAsFunction(_ x: Activation) throws -> Activation {
    x.replacing(try block(x.tensor, keyPaddingMask: x.mask))
  }

  /// The time-mean of the output over real (unpadded) positions.
  public func features(_ y: Activation) throws -> Tensor {
    guard let mask = y.mask else { throw TorchError("TransformerComponent: the activation lost its padding mask") }
    return try maskedMean(y.tensor, mask: mask)
  }
}

/// The text models of the paper: an embedding component followed by K−1 bi-LSTM or Transformer
/// components, and the classifier Linear → Tanh → Linear on the last component's vector.
public enum TextModels {
  /// Which layer the components after the embedding are: bi-LSTM or Transformer encoder.
  public enum Kind: String, Sendable { case lstm, transformer }

  /// The most components a text model is cut into: each is one layer (the paper's have 4), and
  /// each layer's weights are allocated as the model is built.
  public static let maxComponents = 16

  /// The text model of `kind` over the word vectors `vectors` (vocabulary × dimension) for `classes` classes,
  /// cut into `components` (2…16): the embedding, then `components` − 1 layers. `hidden` is the LSTM's
  /// width per direction or the Transformer's feed-forward width, and the classifier's hidden width;
  /// `heads` applies to the Transformer.
  public static func build(
    _ kind: Kind, vectors: Tensor, classes: Int, components: Int = 4, hidden: Int = 300,
    heads: Int = 6, trainableEmbedding: Bool = true
  ) throws -> StagedModel {
    guard (2...maxComponents).contains(components) else {
      throw TorchError(
        "\(kind.rawValue) is cut into 2…\(maxComponents) components (the embedding and up to \(maxComponents - 1) \(kind == .lstm ? "bi-LSTM layers" : "encoders")), not \(components)"
      )
    }
    guard vectors.rank == 2 else {
      throw TorchError("word vectors must be a vocabulary×dimension matrix, got \(vectors.shape)")
    }
    guard hidden >= 1 else { throw TorchError("--hidden must be positive, got \(hidden)") }
    let dim = vectors.shape[1]
    var parts: [any Component] = [try EmbeddingComponent(vectors: vectors, trainable: trainableEmbedding)]
    var featureDim = dim
    switch kind {
    case .lstm:
      for i in 1..<components {
        parts.append(try LSTMComponent(inputSize: i == 1 ? dim : 2 * hidden, hiddenSize: hidden))
      }
      featureDim = hidden
    case .transformer:
      guard heads >= 1, dim % heads == 0 else {
        let divisors = (1...dim).filter { dim % $0 == 0 && $0 <= 16 }.map(String.init).joined(separator: ", ")
        throw TorchError("--heads \(heads) does not divide the word-vector dimension \(dim); choose one of \(divisors)")
      }
      for _ in 1..<components { parts.append(try TransformerComponent(dim: dim, heads: heads, feedForward: hidden)) }
    }
    let classifier = try Sequential {
      try Linear(featureDim, hidden); Tanh(); try Linear(hidden, classes)
    }
    return try StagedModel(
      name: kind.rawValue, family: .text, components: parts, classifier: classifier,
      classCount: classes, sampleShape: [8])
  }
}
