import Foundation

/// curves.svg: per epoch, the training loss of each component (left) and the accuracies (right):
/// train and test, and for Early Exit and AL each component head's test accuracy. With several
/// runs (`--times`), each run's lines share their series' colour; later runs are dashed.
public enum Curves {
  /// The SVG text of curves.svg for `records` (one or several runs), with `title` on top.
  public static func svg(records: [EpochRecord], title: String) -> String {
    let runs = Set(records.map(\.run)).sorted()
    let lossNames = Array(Set(records.flatMap(\.losses.keys))).sorted()
    let heads = records.map(\.componentTestAccuracy.count).max() ?? 0
    var losses: [LineChart.Series] = [], accuracies: [LineChart.Series] = []
    for (r, run) in runs.enumerated() {
      let rs = records.filter { $0.run == run }.sorted { $0.epoch < $1.epoch }
      let suffix = runs.count > 1 ? " (run \(run + 1))" : ""
      for (i, name) in lossNames.enumerated() {
        losses.append(
          .init(
            name: name + suffix, colour: LineChart.palette[i % LineChart.palette.count],
            points: rs.compactMap { e in e.losses[name].map { (Double(e.epoch), $0) } }, dashed: r > 0))
      }
      accuracies.append(
        .init(
          name: "test" + suffix, colour: LineChart.palette[0], points: rs.map { (Double($0.epoch), $0.testAccuracy) },
          dashed: r > 0))
      accuracies.append(
        .init(
          name: "train" + suffix, colour: LineChart.palette[1], points: rs.map { (Double($0.epoch), $0.trainAccuracy) },
          dashed: r > 0))
      for k in 0..<heads {
        accuracies.append(
          .init(
            name: "head \(k + 1) test" + suffix, colour: LineChart.palette[(k + 2) % LineChart.palette.count],
            points: rs.compactMap { e in
              e.componentTestAccuracy.indices.contains(k) ? (Double(e.epoch), e.componentTestAccuracy[k]) : nil
            },
            dashed: r > 0))
      }
    }
    return LineChart.document(
      [
        LineChart(title: "training loss", xLabel: "epoch", yLabel: "mean loss", series: losses),
        LineChart(
          title: "accuracy", xLabel: "epoch", yLabel: "accuracy", series: accuracies, yRange: accuracyRange(records),
          yPercent: true)
      ], title: title)
  }

  /// From a round value below the lowest accuracy to 100 %, so differences near the top show.
  static func accuracyRange(_ records: [EpochRecord]) -> ClosedRange<Double> {
    let lowest =
      records.flatMap { [$0.testAccuracy, $0.trainAccuracy] + $0.componentTestAccuracy }.filter(\.isFinite).min() ?? 0
    return (Swift.max(0, floor(lowest * 10) / 10))...1
  }
}

extension Curves {
  /// Several run folders' learning curves in one figure (`scpl report --plot`): per folder, the
  /// test accuracy and the last component's training loss per epoch, averaged over its runs.
  /// `label` names a folder (method · model · data set).
  public static func comparison(_ folders: [(label: String, records: [EpochRecord])], title: String) -> String {
    var accuracy: [LineChart.Series] = [], loss: [LineChart.Series] = []
    for (i, folder) in folders.enumerated() {
      let colour = LineChart.palette[i % LineChart.palette.count]
      let epochs = Set(folder.records.map(\.epoch)).sorted()
      func mean(_ value: (EpochRecord) -> Double?) -> [(x: Double, y: Double)] {
        epochs.compactMap { e in
          let values = folder.records.filter { $0.epoch == e }.compactMap(value)
          return values.isEmpty ? nil : (Double(e), values.reduce(0, +) / Double(values.count))
        }
      }
      accuracy.append(.init(name: folder.label, colour: colour, points: mean { $0.testAccuracy }))
      let last = folder.records.flatMap(\.losses.keys).max()
      loss.append(.init(name: folder.label, colour: colour, points: mean { r in last.flatMap { r.losses[$0] } }))
    }
    return LineChart.document(
      [
        LineChart(
          title: "test accuracy", xLabel: "epoch", yLabel: "accuracy", series: accuracy,
          yRange: accuracyRange(folders.flatMap(\.records)), yPercent: true),
        LineChart(title: "training loss of the last component", xLabel: "epoch", yLabel: "mean loss", series: loss)
      ], title: title)
  }
}
