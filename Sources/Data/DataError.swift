/// A problem with input data: the message names the file and, where it applies, the byte
/// offset or line, so the user can find and fix it.
public struct DataError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, naming the file and, where it applies, the byte offset or line.
  public let message: String
  /// Creates an error with the given message.
  public init(_ message: String) { self.message = message }
  /// The message, unchanged.
  public var description: String { message }
}
