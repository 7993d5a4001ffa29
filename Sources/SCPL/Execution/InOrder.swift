/// Results that may arrive out of batch order (a dropped batch can overtake an earlier one, and
/// other ranks answer when they answer), handed on in batch order: each result waits here until
/// every earlier batch's has been handed on.
struct InOrder<Value> {
  private var early: [Int: Value] = [:]
  /// Batches handed on so far: the next one handed on is batch `delivered`.
  private(set) var delivered = 0

  /// Adds batch `batch`'s result, then hands on, in order, every result that is now next.
  mutating func add(_ batch: Int, _ value: Value, handOn: (_ batch: Int, _ value: Value) -> Void) {
    early[batch] = value
    while let next = early.removeValue(forKey: delivered) {
      delivered += 1
      handOn(delivered - 1, next)
    }
  }
}
