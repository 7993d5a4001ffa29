import Torch

/// The batches of a loader of every replica (`DataLoader(…, everyReplica: true)`): R replicas'
/// batches t joined in one, in replica order, and split again for the replicas that train on them.
///
/// Text batches are padded to their own longest document, so the replicas' batches may differ in
/// width: the join right-pads the narrower ones with the pad id (0), and the split takes those
/// columns off again. A document never holds the pad id, so in a replica's own batch every
/// column has a token in some row: the columns the split removes are exactly the join's.
public enum ReplicaBatches {
  /// `parts` (replica 0's batch first) as one batch.
  public static func join(_ parts: [(inputs: Tensor, labels: Tensor)]) throws -> (inputs: Tensor, labels: Tensor) {
    let widest = parts.map { $0.inputs.shape.dropFirst() }.max { $0.lexicographicallyPrecedes($1) }
    let inputs = try parts.map { part -> Tensor in
      let x = part.inputs
      guard x.shape.count == 2, let width = widest?.first, x.shape[1] < width else { return x }
      return try Tensor.cat([x, try Tensor.zeros([x.shape[0], width - x.shape[1]], dtype: x.dtype)], axis: 1)
    }
    return (try Tensor.cat(inputs), try Tensor.cat(parts.map(\.labels)))
  }

  /// Replica r's batch of a joined batch, for r in 0..<`replicas`; throws when its rows do not
  /// divide evenly (every replica's batch t has the same size).
  public static func split(_ batch: (inputs: Tensor, labels: Tensor), replicas: Int) throws
    -> [(inputs: Tensor, labels: Tensor)]
  {
    let rows = batch.labels.shape.first ?? 0
    guard replicas >= 1, rows % replicas == 0, batch.inputs.shape.first == rows else {
      throw DataError(
        "a batch of \(rows) samples (inputs \(batch.inputs.shape)) does not split into \(replicas) equal replica batches"
      )
    }
    let each = rows / replicas
    return try (0..<replicas).map { r in
      var inputs = try batch.inputs.slice(axis: 0, start: r * each, end: (r + 1) * each)
      if inputs.shape.count == 2, inputs.dtype == .int64, replicas > 1 {
        inputs = try inputs.slice(axis: 1, start: 0, end: try usedWidth(of: inputs)).contiguous()
      }
      return (inputs, try batch.labels.slice(axis: 0, start: r * each, end: (r + 1) * each))
    }
  }

  /// The columns of token ids `ids` (rows × width) up to the last one that holds a token.
  private static func usedWidth(of ids: Tensor) throws -> Int {
    let (rows, width) = (ids.shape[0], ids.shape[1])
    let values = try ids.contiguous().toArray(Int64.self)
    var used = 0
    for row in 0..<rows {
      var last = width
      while last > used && values[row * width + last - 1] == Vocabulary.padID { last -= 1 }
      used = max(used, last)
    }
    return used
  }
}
