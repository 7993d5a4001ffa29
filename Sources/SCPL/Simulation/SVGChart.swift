import Foundation

extension ScheduleSimulator {
  /// Colours of the work kinds in the SVG (idle is left blank).
  public static let colours: [Kind: String] = [
    .forward: "#4e79a7", .loss: "#f28e2b", .backward: "#e15759", .update: "#59a14f", .transfer: "#9c755f",
    .weight: "#b07aa1", .allreduce: "#76b7b2"
  ]

  /// An SVG drawing of one or more results stacked top to bottom on a shared time scale: for each,
  /// a title, one track per device (`<g class="track">`) with a coloured rectangle per span, a time
  /// axis, and the total; a legend at the bottom.
  /// The drawing is `width` wide, or wider where a title needs it (12 px monospace: about 7.3 px
  /// a character), so no title is cut off.
  public static func svg(_ results: [Result], width requested: Double = 900) -> String {
    let laneColour = "#f2f2f2"
    let left = 60.0, right = 20.0, trackHeight = 22.0, gap = 6.0
    let width = max(requested, Double(results.map(\.title.count).max() ?? 0) * 7.3 + left + right)
    let longest = max(results.map(\.total).max() ?? 1, 1e-9)
    let scale = (width - left - right) / longest
    let f = format
    var body: [String] = []
    var y = 10.0
    for r in results {
      body.append("<g class=\"schedule\" data-schedule=\"\(r.schedule.rawValue)\">")
      y += 16
      body.append(
        #"<text class="title" x="\#(f(left))" y="\#(f(y))" font-weight="bold">\#(SVG.escape(r.title))</text>"#)
      y += 8
      for d in 0..<r.rows {
        body.append("<g class=\"track\" data-device=\"\(d)\">")
        let name = d < r.devices ? "GPU\(d)" : "link\(d - r.devices)"
        body.append(#"<text x="8" y="\#(f(y + trackHeight * 0.7))">\#(name)</text>"#)
        body.append(
          #"<rect class="lane" x="\#(f(left))" y="\#(f(y))" width="\#(f(r.total * scale))" height="\#(trackHeight)" fill="\#(laneColour)"/>"#
        )
        for s in r.spans(device: d) where s.kind != .idle {
          let x = left + s.start * scale, w = s.duration * scale
          let what =
            "stage \(s.stage) " + s.kind.rawValue + (s.microBatch.map { ", micro-batch \($0)" } ?? "")
            + (r.batches > 1 ? ", batch \(s.batch)" : "") + ": \(f(s.start))–\(f(s.end))"
          body.append(
            #"<rect class="\#(s.kind.rawValue)" x="\#(f(x))" y="\#(f(y))" width="\#(f(w))" height="\#(trackHeight)" fill="\#(colours[s.kind]!)" stroke="white" stroke-width="1"><title>\#(SVG.escape(what))</title></rect>"#
          )
          let label = String(s.kind.letter) + (s.microBatch.map(String.init) ?? "")
          if w >= Double(label.count) * 8 + 4 {
            body.append(
              #"<text x="\#(f(x + w / 2))" y="\#(f(y + trackHeight * 0.7))" text-anchor="middle" fill="white">\#(label)</text>"#
            )
          }
        }
        body.append("</g>")
        y += trackHeight + gap
      }
      body.append(axis(total: r.total, left: left, y: y, scale: scale))
      y += 34
      body.append(#"<text class="total" x="\#(f(left))" y="\#(f(y - 4))">\#(SVG.escape(r.totalLine))</text>"#)
      body.append("</g>")
      y += 10
    }
    var x = left
    body.append("<g class=\"legend\">")
    let shown = Set(results.flatMap { $0.spans.map(\.kind) })
    for kind in Kind.allCases where kind != .idle && (![.weight, .allreduce].contains(kind) || shown.contains(kind)) {
      body.append(#"<rect x="\#(f(x))" y="\#(f(y))" width="12" height="12" fill="\#(colours[kind]!)"/>"#)
      body.append(#"<text x="\#(f(x + 16))" y="\#(f(y + 10))">\#(kind.rawValue)</text>"#)
      x += 100
    }
    body.append("</g>")
    y += 24
    let head =
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(y))" viewBox="0 0 \#(f(width)) \#(f(y))" font-family="monospace" font-size="12">"#
    return
      ([#"<?xml version="1.0" encoding="UTF-8"?>"#, head, #"<rect width="100%" height="100%" fill="white"/>"#]
      + body + ["</svg>"]).joined(separator: "\n") + "\n"
  }

  /// A time axis from 0 to `total` with about ten round-numbered ticks.
  static func axis(total: Double, left: Double, y: Double, scale: Double) -> String {
    let f = format
    // About ten ticks, but never closer than the widest label needs (a chart drawn short beside a
    // longer one would otherwise print its labels over each other).
    let widest = Double(f(total).count) * 7.5 + 10
    let step = niceStep(Swift.max(total / 10, widest / Swift.max(scale, 1e-12)))
    var parts = [
      #"<g class="axis">"#,
      #"<line x1="\#(f(left))" y1="\#(f(y))" x2="\#(f(left + total * scale))" y2="\#(f(y))" stroke="black"/>"#
    ]
    var i = 0.0
    while i * step <= total + step * 1e-9 {
      let t = i * step, x = f(left + t * scale)
      parts.append(#"<line x1="\#(x)" y1="\#(f(y))" x2="\#(x)" y2="\#(f(y + 4))" stroke="black"/>"#)
      parts.append(#"<text x="\#(x)" y="\#(f(y + 16))" text-anchor="middle">\#(f(t))</text>"#)
      i += 1
    }
    parts.append("</g>")
    return parts.joined(separator: "\n")
  }

}

extension ScheduleSimulator.Result {
  /// This result alone as SVG.
  public func svg(width: Double = 900) -> String { ScheduleSimulator.svg([self], width: width) }
}
