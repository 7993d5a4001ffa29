import Foundation

/// What every SVG this project draws shares (the schedules, curves, timelines).
enum SVG {
  /// Text made safe inside an element or an attribute.
  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
