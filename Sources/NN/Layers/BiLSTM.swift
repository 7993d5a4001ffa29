import Torch

/// A single-layer bidirectional LSTM over batch-first B×T×inputSize sequences, hidden size
/// `hiddenSize` per direction (as the reference's LSTM components). PyTorch's gate equations and
/// gate order (input, forget, cell, output), two bias vectors per direction; ATen's fused kernel
/// does the work.
///
/// Padded sequences are not packed: both directions run over all T steps, so the forward final
/// state is the one after step T−1 and the backward one after step 0, as in the reference.
public final class BiLSTM: Module, @unchecked Sendable {
  // Declaration order is ATen's parameter order, so the state dict lists them as PyTorch's
  // `weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, *_reverse` do.
  /// 4H×inputSize, the four gates stacked (i, f, g, o).
  public let weightIH: Tensor
  /// 4H×H.
  public let weightHH: Tensor
  /// 4H, the input-side gate biases of the forward direction.
  public let biasIH: Tensor
  /// 4H, the hidden-side gate biases of the forward direction.
  public let biasHH: Tensor
  /// 4H×inputSize, `weightIH` of the backward direction.
  public let weightIHReverse: Tensor
  /// 4H×H, `weightHH` of the backward direction.
  public let weightHHReverse: Tensor
  /// 4H, `biasIH` of the backward direction.
  public let biasIHReverse: Tensor
  /// 4H, `biasHH` of the backward direction.
  public let biasHHReverse: Tensor
  /// Features per time step of the input.
  public let inputSize: Int
  /// Hidden size H of each direction; the output has 2H features per step.
  public let hiddenSize: Int
  /// nn.LSTM's keys for layer 0, so the state dict loads into `nn.LSTM(bidirectional=True)`.
  override public var stateKeys: [String: String] {
    [
      "weightIH": "weight_ih_l0", "weightHH": "weight_hh_l0", "biasIH": "bias_ih_l0", "biasHH": "bias_hh_l0",
      "weightIHReverse": "weight_ih_l0_reverse", "weightHHReverse": "weight_hh_l0_reverse",
      "biasIHReverse": "bias_ih_l0_reverse", "biasHHReverse": "bias_hh_l0_reverse"
    ]
  }

  /// Every weight and bias is drawn from U(−1/√H, 1/√H), PyTorch's LSTM default.
  public init(inputSize: Int, hiddenSize: Int, dtype: DType = .float32) throws {
    guard inputSize > 0, hiddenSize > 0 else {
      throw TorchError("BiLSTM(input \(inputSize), hidden \(hiddenSize)): sizes must be positive")
    }
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    let bound = 1 / Double(hiddenSize).squareRoot()
    let gates = 4 * hiddenSize
    func make(_ shape: [Int]) throws -> Tensor {
      try Initialization.uniform(shape, bound: bound, dtype: dtype).asParameter()
    }
    weightIH = try make([gates, inputSize])
    weightHH = try make([gates, hiddenSize])
    biasIH = try make([gates])
    biasHH = try make([gates])
    weightIHReverse = try make([gates, inputSize])
    weightHHReverse = try make([gates, hiddenSize])
    biasIHReverse = try make([gates])
    biasHHReverse = try make([gates])
    super.init()
  }

  /// The parameters in the order `Functional.lstm` (ATen) expects them.
  var atenParameters: [Tensor] {
    [weightIH, weightHH, biasIH, biasHH, weightIHReverse, weightHHReverse, biasIHReverse, biasHHReverse]
  }

  /// - Parameters:
  ///   - x: B×T×inputSize.
  ///   - initialState: (h, c), each 2×B×H (index 0 forward, 1 backward); zeros when nil. The
  ///     reference hands one component's final state to the next this way.
  /// - Returns: the output sequence B×T×2H (forward half first) and the final (h, c), each 2×B×H.
  public func callAsFunction(_ x: Tensor, initialState: (h: Tensor, c: Tensor)? = nil) throws
    -> (output: Tensor, h: Tensor, c: Tensor)
  {
    guard x.rank == 3, x.shape[2] == inputSize else {
      throw TorchError(
        "BiLSTM(input \(inputSize), hidden \(hiddenSize)) expects B×T×\(inputSize) inputs, got shape \(x.shape)")
    }
    let stateShape = [2, x.shape[0], hiddenSize]
    let h0: Tensor, c0: Tensor
    if let state = initialState {
      guard state.h.shape == stateShape, state.c.shape == stateShape else {
        throw TorchError(
          "BiLSTM(hidden \(hiddenSize)) expects an initial state of shape \(stateShape) (2×B×H) for h and c, got h \(state.h.shape) and c \(state.c.shape)"
        )
      }
      (h0, c0) = (state.h, state.c)
    } else {
      h0 = try Tensor.zeros(stateShape, dtype: x.dtype, device: x.device)
      c0 = h0
    }
    return try Functional.lstm(
      x, h0: h0, c0: c0, parameters: atenParameters, layers: 1, dropout: 0,
      training: isTraining, bidirectional: true, batchFirst: true)
  }
}
