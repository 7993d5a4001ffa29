/// A mistake in a pipeline's set-up (devices, placement, method) or a failure while it runs,
/// told as a sentence.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
  /// The sentence that says what went wrong.
  public let message: String
  /// An error that says `message`.
  public init(_ message: String) { self.message = message }
  /// The message itself.
  public var description: String { message }
}

/// Runs `body`; an error from it (other than a `PipelineError`, which already says where it
/// came from) is rethrown prefixed with `context`, e.g. "component 2 on device 1 (cpu:1), batch 5".
func inContext<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as PipelineError {
    throw error
  } catch {
    throw PipelineError("\(context()): \(error)")
  }
}
