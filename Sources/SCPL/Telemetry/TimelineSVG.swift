import Foundation

/// timeline.svg: one track per device with its spans (forward, learn, step, transfer, wait), the
/// picture of the paper's Figure 4 for a real run.
public enum TimelineSVG {
  static let colours: [SpanKind: String] = [
    .forward: "#4e79a7", .learn: "#e15759", .step: "#f28e2b", .transfer: "#76b7b2", .wait: "#e8e8e8",
    .allreduce: "#b07aa1"
  ]

  /// The timeline as an SVG document under `title`: one track per device, spans coloured by kind.
  public static func svg(_ timeline: Timeline, title: String) -> String {
    let spans = timeline.spans
    let (t0, t1) = timeline.window
    let span = Swift.max(t1 - t0, 1e-9)
    let left = 110.0, width = 1000.0, track = 28.0, top = 40.0
    let height = top + track * Double(timeline.deviceCount) + 50
    var out = [
      ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(left + width + 20))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##,
      ##"<rect width="100%" height="100%" fill="white"/>"##,
      ##"<text x="10" y="20" font-size="14">\##(SVG.escape(title))</text>"##
    ]
    let busy = timeline.busyFractions()
    for d in 0..<timeline.deviceCount {
      let y = top + track * Double(d)
      let name = SVG.escape(timeline.deviceNames[d])
      out.append(
        ##"<text x="10" y="\##(y + 18)">\##(name) \##(String(format: "%.0f%%", 100 * (busy.indices.contains(d) ? busy[d] : 0)))</text>"##
      )
      for s in spans where s.device == d {
        let x = left + width * (s.start - t0) / span
        let w = Swift.max(width * s.duration / span, 0.5)
        let label =
          "\(s.kind.rawValue) batch \(s.batch)\(s.component.map { " component \($0 + 1)" } ?? "")\(s.microBatch.map { " micro-batch \($0 + 1)" } ?? "") \(String(format: "%.1f ms", 1000 * s.duration))"
        out.append(
          ##"<rect x="\##(x)" y="\##(y + 4)" width="\##(w)" height="\##(track - 8)" fill="\##(colours[s.kind] ?? "#999")"><title>\##(label)</title></rect>"##
        )
      }
    }
    let axisY = top + track * Double(timeline.deviceCount) + 15
    out.append(##"<text x="\##(left)" y="\##(axisY)">0 s</text>"##)
    out.append(
      ##"<text x="\##(left + width)" y="\##(axisY)" text-anchor="end">\##(String(format: "%.2f s", span))</text>"##)
    var lx = left
    for kind in SpanKind.allCases {
      out.append(
        ##"<rect x="\##(lx)" y="\##(axisY + 10)" width="12" height="12" fill="\##(colours[kind] ?? "#999")"/><text x="\##(lx + 16)" y="\##(axisY + 21)">\##(kind.rawValue)</text>"##
      )
      lx += 90
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}
