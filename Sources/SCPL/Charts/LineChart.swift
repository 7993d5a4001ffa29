import Foundation

/// One panel of line plots in SVG: axes with ticks and values, gridlines, a title, an axis label
/// on each axis, markers on the points (a one-epoch run still shows), and a legend below the
/// plot, where it cannot cover a line. `Curves` and `scpl report`'s comparison use it.
struct LineChart {
  struct Series {
    var name: String
    var colour: String
    var points: [(x: Double, y: Double)]
    var dashed = false
  }

  var title: String
  var xLabel: String
  var yLabel: String
  var series: [Series]
  /// Fixed y range (accuracies: 0…1 shown as %); nil fits the data.
  var yRange: ClosedRange<Double>?
  var yPercent = false

  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
  ]

  /// Plot area size and the margins around it.
  static let plotWidth = 380.0, plotHeight = 230.0, left = 62.0, top = 34.0, bottom = 58.0, legendRow = 16.0

  /// Rows the legend takes (two entries per row).
  var legendRows: Int { (series.count + 1) / 2 }

  /// The panel's full size.
  var size: (width: Double, height: Double) {
    (
      Self.left + Self.plotWidth + 20,
      Self.top + Self.plotHeight + Self.bottom + Double(legendRows) * Self.legendRow + 6
    )
  }

  /// The panel's SVG elements, with its top-left corner at (x0, y0).
  func svg(at x0: Double, _ y0: Double) -> [String] {
    let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
    let xTicks = Self.ticks(xs.min() ?? 1, Swift.max(xs.max() ?? 1, (xs.min() ?? 1) + 1), integers: true)
    let yTicks =
      yRange.map { Self.ticks($0.lowerBound, $0.upperBound) } ?? Self.ticks(Swift.min(ys.min() ?? 0, 0), ys.max() ?? 1)
    let (xLo, xHi) = (xTicks.first!, xTicks.last!), (yLo, yHi) = (yTicks.first!, yTicks.last!)
    let px = x0 + Self.left, py = y0 + Self.top, w = Self.plotWidth, h = Self.plotHeight
    func X(_ v: Double) -> Double { px + w * (v - xLo) / Swift.max(xHi - xLo, 1e-12) }
    func Y(_ v: Double) -> Double { py + h * (1 - (v - yLo) / Swift.max(yHi - yLo, 1e-12)) }
    func label(_ v: Double, percent: Bool) -> String {
      if percent { return String(format: "%g%%", (v * 100 * 1000).rounded() / 1000) }
      return abs(v) >= 1000 || v == v.rounded() ? String(format: "%g", v) : String(format: "%.3g", v)
    }
    var out: [String] = [
      ##"<text x="\##(px)" y="\##(y0 + 18)" font-size="14" font-weight="bold">\##(SVG.escape(title))</text>"##
    ]
    for v in yTicks {
      out.append(##"<line x1="\##(px)" y1="\##(Y(v))" x2="\##(px + w)" y2="\##(Y(v))" stroke="#e3e3e3"/>"##)
      out.append(
        ##"<text x="\##(px - 6)" y="\##(Y(v) + 4)" text-anchor="end">\##(label(v, percent: yPercent))</text>"##)
    }
    for v in xTicks {
      out.append(##"<line x1="\##(X(v))" y1="\##(py)" x2="\##(X(v))" y2="\##(py + h)" stroke="#f0f0f0"/>"##)
      out.append(
        ##"<text x="\##(X(v))" y="\##(py + h + 16)" text-anchor="middle">\##(label(v, percent: false))</text>"##)
    }
    out.append(##"<rect x="\##(px)" y="\##(py)" width="\##(w)" height="\##(h)" fill="none" stroke="#666"/>"##)
    out.append(##"<text x="\##(px + w / 2)" y="\##(py + h + 34)" text-anchor="middle">\##(SVG.escape(xLabel))</text>"##)
    out.append(
      ##"<text transform="translate(\##(x0 + 14),\##(py + h / 2)) rotate(-90)" text-anchor="middle">\##(SVG.escape(yLabel))</text>"##
    )
    for s in series {
      let pts = s.points.filter { $0.y.isFinite }.sorted { $0.x < $1.x }
      let dash = s.dashed ? #" stroke-dasharray="6 4""# : ""
      out.append(
        ##"<polyline fill="none" stroke="\##(s.colour)" stroke-width="2"\##(dash) points="\##(pts.map { "\(X($0.x)),\(Y($0.y))" }.joined(separator: " "))"><title>\##(SVG.escape(s.name))</title></polyline>"##
      )
      for p in pts { out.append(##"<circle cx="\##(X(p.x))" cy="\##(Y(p.y))" r="2.5" fill="\##(s.colour)"/>"##) }
    }
    for (i, s) in series.enumerated() {
      let lx = px + Double(i % 2) * (w / 2), ly = py + h + Self.bottom + Double(i / 2) * Self.legendRow
      let dash = s.dashed ? #" stroke-dasharray="6 4""# : ""
      out.append(
        ##"<line x1="\##(lx)" y1="\##(ly - 4)" x2="\##(lx + 18)" y2="\##(ly - 4)" stroke="\##(s.colour)" stroke-width="2"\##(dash)/>"##
      )
      out.append(##"<text x="\##(lx + 24)" y="\##(ly)">\##(SVG.escape(s.name))</text>"##)
    }
    return out
  }

  /// Round tick values covering lo…hi: steps of 1, 2, 2.5 or 5 times a power of ten, about five.
  static func ticks(_ lo: Double, _ hi: Double, integers: Bool = false) -> [Double] {
    let span = Swift.max(hi - lo, 1e-12)
    let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
    var step = ([1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw }) ?? 10 * magnitude
    if integers { step = Swift.max(1, step.rounded(.up)) }
    let first = floor(lo / step) * step, last = ceil(hi / step) * step
    // Whole multiples of the step, printed and read back at 12 digits: 0.6, not 0.6000000000000001.
    return stride(from: first, through: last + step / 2, by: step).map {
      Double(String(format: "%.12g", ($0 / step).rounded() * step))!
    }
  }

  /// A whole SVG of panels side by side.
  static func document(_ panels: [LineChart], title: String) -> String {
    let width = panels.map(\.size.width).reduce(0, +) + 10, height = (panels.map(\.size.height).max() ?? 0) + 30
    var out = [
      ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(width))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##,
      ##"<rect width="100%" height="100%" fill="white"/>"##,
      ##"<text x="10" y="20" font-size="15">\##(SVG.escape(title))</text>"##
    ]
    var x = 5.0
    for p in panels {
      out += p.svg(at: x, 30)
      x += p.size.width
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}
