import CTorch

/// An error raised by libtorch (through the C shim) or by a check in this module.
///
/// Every tensor operation `throws`: a shape mismatch, a wrong dtype or a bad index becomes a
/// `TorchError` carrying libtorch's own sentence, and the process goes on.
public struct TorchError: Error, CustomStringConvertible, Sendable {
  /// The sentence saying what failed.
  public let message: String
  /// An error carrying `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }

  /// The failure the shim recorded on this thread.
  static func last(_ context: String) -> TorchError {
    let text = String(cString: ct_last_error())
    ct_clear_error()
    return TorchError(text.isEmpty ? "\(context) failed" : "\(context): \(text)")
  }
}

/// Wraps a handle returned by the shim, or throws the recorded error when it is NULL.
@inline(__always)
func wrap(_ handle: ct_tensor?, _ context: @autoclosure () -> String) throws -> Tensor {
  guard let handle else { throw TorchError.last(context()) }
  return Tensor(owning: handle)
}

/// Throws the recorded error when a status-returning shim call failed.
@inline(__always)
func check(_ status: Int32, _ context: @autoclosure () -> String) throws {
  if status != 0 { throw TorchError.last(context()) }
}
