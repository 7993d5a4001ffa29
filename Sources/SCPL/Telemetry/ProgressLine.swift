import Foundation

/// Prints training progress. On a terminal: a line rewritten in place during an epoch (at most
/// ten times a second). On a file or a pipe, where `\r` would pile up: a plain line each time the
/// epoch has gone another 10 % (but at most one every 10 s) and at least one a minute, so a log
/// shows the run moving. Either way, one permanent line per epoch (`finish`).
public final class ProgressLine {
  let live: Bool
  var lastDraw = -Double.infinity
  var lastFraction = 0.0
  /// Seconds between plain lines at least and at most.
  let minimumInterval: Double, maximumInterval: Double
  /// Where the text goes (standard output, flushed at once).
  public var write: (String) -> Void = { text in
    print(text, terminator: "")
    fflush(stdout)
  }

  /// A progress printer, live (rewriting one line) when standard output is a terminal; `minimumInterval`
  /// and `maximumInterval` bound the seconds between plain lines otherwise.
  public init(live: Bool = isatty(STDOUT_FILENO) != 0, minimumInterval: Double = 10, maximumInterval: Double = 60) {
    self.live = live
    self.minimumInterval = minimumInterval
    self.maximumInterval = maximumInterval
  }

  /// Progress within an epoch: `fraction` of it done (0…1).
  public func update(fraction: Double, _ text: @autoclosure () -> String) {
    let now = Stopwatch.now()
    if live {
      guard now - lastDraw > 0.1 else { return }
      lastDraw = now
      write("\r\u{1B}[2K" + text())
      return
    }
    if lastDraw == -.infinity { lastDraw = now }  // the epoch's start: nothing to say yet
    let since = now - lastDraw
    guard (fraction - lastFraction >= 0.1 && since >= minimumInterval) || since >= maximumInterval else { return }
    lastDraw = now
    lastFraction = fraction
    write(text() + "\n")
  }

  /// Ends the epoch with `text` as a permanent line, and resets for the next epoch.
  public func finish(_ text: String) {
    write((live ? "\r\u{1B}[2K" : "") + text + "\n")
    lastDraw = -.infinity
    lastFraction = 0
  }

  /// `seconds` as "m:ss", or "h:mm:ss" from an hour up, rounded to whole seconds.
  public static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
