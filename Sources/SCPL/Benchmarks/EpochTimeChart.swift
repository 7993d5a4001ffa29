import Foundation

/// The paper's time-per-epoch figures (5–12) as an SVG bar chart: one group of bars per batch
/// size along x, one bar per method:pipeline in each group, bar height = seconds per epoch.
/// Pure — bars in, SVG text out — so the drawing is tested without timing anything.
public enum EpochTimeChart {
  /// One bar of the chart: a method:pipeline's seconds per epoch at one batch size.
  public struct Bar: Equatable, Sendable {
    /// The legend entry, e.g. "scpl:async".
    public var series: String
    /// The batch size whose group the bar is in.
    public var batchSize: Int
    /// Seconds per epoch, the bar's height.
    public var seconds: Double

    /// A bar for `series` at `batchSize` of height `seconds`.
    public init(series: String, batchSize: Int, seconds: Double) {
      self.series = series
      self.batchSize = batchSize
      self.seconds = seconds
    }
  }

  /// One bar per record: its method:pipeline, batch size and seconds per epoch.
  public static func bars(_ records: [BenchRecord]) -> [Bar] {
    records.map {
      Bar(series: "\($0.method.rawValue):\($0.pipeline.rawValue)", batchSize: $0.batchSize, seconds: $0.epochSeconds)
    }
  }

  /// Tableau's ten colours, reused in order when there are more series.
  static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
  ]

  /// Batch sizes ascending along x; series in the order they first appear. Each bar is a
  /// `<rect class="bar">` carrying data-series, data-batch-size and data-seconds, with a tooltip.
  public static func svg(title: String, bars: [Bar], epochSamples: Int, width: Double = 900) -> String {
    let f = ScheduleSimulator.format, esc = SVG.escape
    let sizes = Array(Set(bars.map(\.batchSize))).sorted()
    var series: [String] = []
    for b in bars where !series.contains(b.series) { series.append(b.series) }

    let left = 80.0, right = 20.0, top = 50.0, plotHeight = 300.0
    let plotWidth = Swift.max(width - left - right, 1)
    let bottom = top + plotHeight
    let highest = bars.map(\.seconds).filter(\.isFinite).max() ?? 0
    let step = ScheduleSimulator.niceStep(Swift.max(highest, 1e-9) / 5)
    let yMax = Swift.max(step, (highest / step).rounded(.up) * step)
    let scale = plotHeight / yMax
    let groupWidth = plotWidth / Double(Swift.max(sizes.count, 1))
    let barWidth = groupWidth * 0.8 / Double(Swift.max(series.count, 1))

    var body = [
      #"<text class="title" x="\#(f(width / 2))" y="24" text-anchor="middle" font-weight="bold" font-size="15">\#(esc(title))</text>"#
    ]
    // Y axis: gridlines and round-numbered ticks from 0 to yMax.
    let gridColour = "#dddddd"
    body.append(#"<g class="y-axis">"#)
    for i in 0...Int((yMax / step).rounded()) {
      let tick = Double(i) * step, y = f(bottom - tick * scale)
      body.append(
        #"<line x1="\#(f(left))" y1="\#(y)" x2="\#(f(left + plotWidth))" y2="\#(y)" stroke="\#(gridColour)"/>"#)
      body.append(
        #"<text x="\#(f(left - 6))" y="\#(y)" text-anchor="end" dominant-baseline="middle">\#(f(tick))</text>"#)
    }
    body.append(#"<line x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(bottom))" stroke="black"/>"#)
    let yLabel = "seconds per epoch (\(epochSamples) samples)"
    body.append(
      #"<text class="axis-label" x="18" y="\#(f(top + plotHeight / 2))" text-anchor="middle" transform="rotate(-90 18 \#(f(top + plotHeight / 2)))">\#(esc(yLabel))</text>"#
    )
    body.append("</g>")
    // Bars, group by group.
    body.append(#"<g class="bars">"#)
    for (g, size) in sizes.enumerated() {
      let groupLeft = left + Double(g) * groupWidth + groupWidth * 0.1
      for (s, name) in series.enumerated() {
        guard let bar = bars.first(where: { $0.batchSize == size && $0.series == name }), bar.seconds.isFinite else {
          continue
        }
        let h = Swift.max(0, bar.seconds) * scale
        let x = groupLeft + Double(s) * barWidth
        let tip = "\(name), batch \(size): \(String(format: "%.2f", bar.seconds)) s per epoch"
        body.append(
          #"<rect class="bar" data-series="\#(esc(name))" data-batch-size="\#(size)" data-seconds="\#(bar.seconds)" x="\#(f(x))" y="\#(f(bottom - h))" width="\#(f(barWidth))" height="\#(f(h))" fill="\#(palette[s % palette.count])"><title>\#(esc(tip))</title></rect>"#
        )
      }
      body.append(
        #"<text class="batch-size" x="\#(f(left + (Double(g) + 0.5) * groupWidth))" y="\#(f(bottom + 18))" text-anchor="middle">\#(size)</text>"#
      )
    }
    body.append("</g>")
    body.append(
      #"<line x1="\#(f(left))" y1="\#(f(bottom))" x2="\#(f(left + plotWidth))" y2="\#(f(bottom))" stroke="black"/>"#)
    body.append(
      #"<text class="axis-label" x="\#(f(left + plotWidth / 2))" y="\#(f(bottom + 40))" text-anchor="middle">batch size</text>"#
    )
    // Legend: rows of swatches under the axis.
    var y = bottom + 62
    var x = left
    let entryWidth = 170.0
    body.append(#"<g class="legend">"#)
    for (s, name) in series.enumerated() {
      if x + entryWidth > width - right + 1e-9 && x > left { x = left; y += 20 }
      body.append(#"<rect x="\#(f(x))" y="\#(f(y))" width="12" height="12" fill="\#(palette[s % palette.count])"/>"#)
      body.append(#"<text x="\#(f(x + 16))" y="\#(f(y + 10))">\#(esc(name))</text>"#)
      x += entryWidth
    }
    body.append("</g>")
    let height = y + 28
    let head =
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif" font-size="12">"#
    return
      ([#"<?xml version="1.0" encoding="UTF-8"?>"#, head, #"<rect width="100%" height="100%" fill="white"/>"#]
      + body + ["</svg>"]).joined(separator: "\n") + "\n"
  }
}
