import Foundation

/// curves.svg: training loss per component (left) and test accuracy (right) per epoch.
public enum Curves {
  public static func svg(records: [EpochRecord], title: String) -> String {
    let width = 900.0, height = 340.0, pad = 50.0, panel = (width - 3 * pad) / 2
    let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    let epochs = Swift.max(records.map(\.epoch).max() ?? 1, 2)
    let lossNames = Array(Set(records.flatMap(\.losses.keys))).sorted()
    let maxLoss = Swift.max(records.flatMap { $0.losses.values }.filter(\.isFinite).max() ?? 1, 1e-9)
    func x(_ e: Int, _ left: Double) -> Double { left + panel * Double(e - 1) / Double(epochs - 1) }
    func y(_ v: Double, _ top: Double) -> Double { pad + (height - 2 * pad) * (1 - v / top) }
    var out = [##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(width))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##,
               ##"<rect width="100%" height="100%" fill="white"/>"##,
               ##"<text x="\##(pad)" y="20" font-size="14">\##(escape(title))</text>"##]
    for (left, label) in [(pad, "training loss"), (2 * pad + panel, "test accuracy")] {
      out.append(##"<rect x="\##(left)" y="\##(pad)" width="\##(panel)" height="\##(height - 2 * pad)" fill="none" stroke="#999"/>"##)
      out.append(##"<text x="\##(left)" y="\##(pad - 6)">\##(label)</text>"##)
      out.append(##"<text x="\##(left + panel / 2)" y="\##(height - 15)" text-anchor="middle">epoch (1–\##(epochs))</text>"##)
    }
    out.append(##"<text x="\##(pad - 4)" y="\##(pad + 4)" text-anchor="end">\##(String(format: "%.2f", maxLoss))</text>"##)
    out.append(##"<text x="\##(2 * pad + panel - 4)" y="\##(pad + 4)" text-anchor="end">1.0</text>"##)
    var series = 0
    for run in Set(records.map(\.run)).sorted() {
      let rs = records.filter { $0.run == run }.sorted { $0.epoch < $1.epoch }
      for name in lossNames {
        let pts = rs.compactMap { r in r.losses[name].map { "\(x(r.epoch, pad)),\(y($0, maxLoss))" } }
        out.append(polyline(pts, palette[series % palette.count], label: "run \(run + 1) \(name)"))
        series += 1
      }
      let acc = rs.map { "\(x($0.epoch, 2 * pad + panel)),\(y($0.testAccuracy, 1))" }
      out.append(polyline(acc, palette[run % palette.count], label: "run \(run + 1) test accuracy"))
    }
    for (i, name) in lossNames.enumerated() {
      out.append(##"<text x="\##(pad + 6)" y="\##(pad + 16 + 14 * Double(i))" fill="\##(palette[i % palette.count])">\##(escape(name))</text>"##)
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  static func polyline(_ points: [String], _ colour: String, label: String) -> String {
    ##"<polyline fill="none" stroke="\##(colour)" stroke-width="2" points="\##(points.joined(separator: " "))"><title>\##(escape(label))</title></polyline>"##
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }
}
