/// A problem with input data: the message names the file and, where it applies, the byte
/// offset or line, so the user can find and fix it.
public struct DataError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
