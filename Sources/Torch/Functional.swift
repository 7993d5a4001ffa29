import CTorch

/// Functional forms of the neural-network ops (the `NN` module's layers call these).
public enum Functional {
  /// x · weightᵀ + bias, with `weight` out×in (`torch.nn.functional.linear`).
  public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    try wrap(
      ct_linear(x.handle, weight.handle, bias?.handle),
      "linear of \(x.shape) with weight \(weight.shape)")
  }

  /// 2-D convolution of N×C×H×W `x` with `weight` (out × C/groups × kH × kW), as
  /// `torch.nn.functional.conv2d`.
  public static func conv2d(
    _ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
    groups: Int = 1
  ) throws -> Tensor {
    let s = [Int64(stride.0), Int64(stride.1)]
    let p = [Int64(padding.0), Int64(padding.1)]
    let d = [Int64(dilation.0), Int64(dilation.1)]
    return try wrap(
      ct_conv2d(x.handle, weight.handle, bias?.handle, s, p, d, Int64(groups)),
      "conv2d of \(x.shape) with weight \(weight.shape)")
  }

  /// Max pooling of N×C×H×W `x` over `kernel` windows; `stride` defaults to the kernel size.
  public static func maxPool2d(
    _ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
    padding: (Int, Int) = (0, 0)
  ) throws -> Tensor {
    let st = stride ?? kernel
    return try wrap(
      ct_max_pool2d(
        x.handle, [Int64(kernel.0), Int64(kernel.1)], [Int64(st.0), Int64(st.1)],
        [Int64(padding.0), Int64(padding.1)]), "maxPool2d of \(x.shape)")
  }

  /// Average pooling of N×C×H×W `x` over `kernel` windows; `stride` defaults to the kernel
  /// size.
  public static func avgPool2d(
    _ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
    padding: (Int, Int) = (0, 0)
  ) throws -> Tensor {
    let st = stride ?? kernel
    return try wrap(
      ct_avg_pool2d(
        x.handle, [Int64(kernel.0), Int64(kernel.1)], [Int64(st.0), Int64(st.1)],
        [Int64(padding.0), Int64(padding.1)]), "avgPool2d of \(x.shape)")
  }

  /// Average pooling of N×C×H×W `x` down to `outputSize` (H, W) whatever its size
  /// (`torch.nn.functional.adaptive_avg_pool2d`).
  public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
    try wrap(
      ct_adaptive_avg_pool2d(x.handle, [Int64(outputSize.0), Int64(outputSize.1)]),
      "adaptiveAvgPool2d of \(x.shape)")
  }

  /// Bilinear resize of N×C×H×W floats to `size` (align_corners false). `antialias` widens the
  /// filter when shrinking, like PIL's and torchvision's bilinear resize of images.
  public static func interpolateBilinear(_ x: Tensor, size: (Int, Int), antialias: Bool) throws -> Tensor {
    try wrap(
      ct_interpolate_bilinear(x.handle, Int64(size.0), Int64(size.1), antialias ? 1 : 0),
      "bilinear resize of \(x.shape) to \(size.0)×\(size.1)")
  }

  /// Batch normalisation. In training, batch statistics (biased variance) normalise and the
  /// running statistics are updated in place with `momentum` (unbiased variance), as PyTorch.
  public static func batchNorm(
    _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
    runningVar: Tensor?, training: Bool, momentum: Double = 0.1,
    eps: Double = 1e-5
  ) throws -> Tensor {
    try wrap(
      ct_batch_norm(
        x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
        training ? 1 : 0, momentum, eps), "batchNorm of \(x.shape)")
  }

  /// Layer normalisation over the trailing axes `normalizedShape`, then scaled by `weight`
  /// and shifted by `bias` when given.
  public static func layerNorm(
    _ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?,
    eps: Double = 1e-5
  ) throws -> Tensor {
    try withShape(normalizedShape) {
      try wrap(
        ct_layer_norm(x.handle, $0, $1, weight?.handle, bias?.handle, eps),
        "layerNorm over \(normalizedShape) of \(x.shape)")
    }
  }

  /// In training, zeroes each element with probability `p` and scales the rest by 1/(1−p);
  /// otherwise returns `x`'s values. Throws when `p` is outside [0, 1].
  public static func dropout(_ x: Tensor, p: Double, training: Bool) throws -> Tensor {
    guard (0...1).contains(p) else { throw TorchError("dropout probability must be in [0, 1], got \(p)") }
    return try wrap(ct_dropout(x.handle, p, training ? 1 : 0), "dropout of \(x.shape)")
  }

  /// The rows of `weight` picked by int64 `indices`: shape `indices.shape` + [columns].
  public static func embedding(_ indices: Tensor, weight: Tensor) throws -> Tensor {
    try wrap(ct_embedding(weight.handle, indices.handle), "embedding of ids \(indices.shape) in table \(weight.shape)")
  }

  /// ATen's LSTM. `parameters` in ATen order: (w_ih, w_hh, b_ih, b_hh) per layer and direction.
  /// Returns the output sequence and the final (h, c), each `(layers·directions)×B×H`.
  public static func lstm(
    _ input: Tensor, h0: Tensor, c0: Tensor, parameters: [Tensor], layers: Int = 1,
    dropout: Double = 0, training: Bool, bidirectional: Bool,
    batchFirst: Bool
  ) throws -> (output: Tensor, h: Tensor, c: Tensor) {
    var out: [ct_tensor?] = [nil, nil, nil]
    let ps: [ct_tensor?] = parameters.map { $0.handle }
    try withExtendedLifetime(parameters) {
      try check(
        ct_lstm(
          input.handle, h0.handle, c0.handle, ps, Int32(ps.count), 1, Int64(layers), dropout,
          training ? 1 : 0, bidirectional ? 1 : 0, batchFirst ? 1 : 0, &out),
        "lstm of \(input.shape) with state \(h0.shape)")
    }
    return (Tensor(owning: out[0]!), Tensor(owning: out[1]!), Tensor(owning: out[2]!))
  }

  /// Softmax along `axis`.
  public static func softmax(_ x: Tensor, axis: Int) throws -> Tensor {
    try wrap(ct_softmax(x.handle, Int64(axis)), "softmax along \(axis) of \(x.shape)")
  }
  /// The logarithm of the softmax along `axis`, computed stably.
  public static func logSoftmax(_ x: Tensor, axis: Int) throws -> Tensor {
    try wrap(ct_log_softmax(x.handle, Int64(axis)), "logSoftmax along \(axis) of \(x.shape)")
  }

  /// How a loss combines its per-element values: kept as they are, averaged or summed.
  public enum Reduction: Int32, Sendable { case none = 0, mean = 1, sum = 2 }

  /// Cross-entropy of logits `B×C` against int64 class indices `B`.
  public static func crossEntropy(
    _ logits: Tensor, _ target: Tensor, reduction: Reduction = .mean,
    labelSmoothing: Double = 0
  ) throws -> Tensor {
    try wrap(
      ct_cross_entropy(logits.handle, target.handle, reduction.rawValue, labelSmoothing),
      "crossEntropy of logits \(logits.shape) and targets \(target.shape)")
  }

  /// Squared differences between `a` and `b`, combined by `reduction`.
  public static func mseLoss(_ a: Tensor, _ b: Tensor, reduction: Reduction = .mean) throws -> Tensor {
    try wrap(ct_mse_loss(a.handle, b.handle, reduction.rawValue), "mseLoss of \(a.shape) and \(b.shape)")
  }

  /// x / max(‖x‖_p, eps) along `axis` (torch.nn.functional.normalize).
  public static func normalize(_ x: Tensor, p: Double = 2, axis: Int = 1, eps: Double = 1e-12) throws -> Tensor {
    try wrap(ct_normalize(x.handle, p, Int64(axis), eps), "normalize of \(x.shape)")
  }
}
