import Foundation

/// Prints training progress: a line rewritten in place on a terminal during an epoch, and one
/// permanent line per epoch (also when the output is a file or a pipe).
public final class ProgressLine {
  let live: Bool
  var lastDraw = 0.0

  public init(live: Bool = isatty(STDOUT_FILENO) != 0) { self.live = live }

  /// Redraws the live line at most ten times a second.
  public func update(_ text: @autoclosure () -> String) {
    guard live else { return }
    let now = Stopwatch.now()
    guard now - lastDraw > 0.1 else { return }
    lastDraw = now
    print("\r\u{1B}[2K" + text(), terminator: "")
    fflush(stdout)
  }

  public func finish(_ text: String) {
    if live { print("\r\u{1B}[2K", terminator: "") }
    print(text)
    fflush(stdout)
  }

  public static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
