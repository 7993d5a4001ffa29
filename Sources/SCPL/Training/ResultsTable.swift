import Foundation

/// The paper's table layout: rows = methods, columns = models, cells = mean ± std of the best
/// test accuracy over runs (in percent), one table per data set.
public enum ResultsTable {
  static let methodOrder = ["bp", "early-exit", "al", "scpl"]
  static let modelOrder = ["convnet", "vgg", "resnet18", "lstm", "transformer"]

  /// One Markdown table per data set of `summaries`; where a cell has several summaries the last one is shown.
  public static func markdown(_ summaries: [RunSummary]) -> String {
    var out: [String] = []
    for dataset in Array(Set(summaries.map(\.dataset))).sorted() {
      let rows = summaries.filter { $0.dataset == dataset }
      let models = modelOrder.filter { m in rows.contains { $0.model == m } }
      let methods = methodOrder.filter { m in rows.contains { $0.method == m } }
      out.append("### \(dataset)\n")
      out.append("| method | " + models.joined(separator: " | ") + " |")
      out.append("|---|" + models.map { _ in "---" }.joined(separator: "|") + "|")
      for method in methods {
        let cells = models.map { model -> String in
          guard let s = rows.last(where: { $0.model == model && $0.method == method }) else { return "–" }
          return String(
            format: "%.2f ± %.2f (n=%d)", 100 * s.bestTestAccuracyMean, 100 * s.bestTestAccuracyStd, s.runs.count)
        }
        out.append("| \(method) | " + cells.joined(separator: " | ") + " |")
      }
      out.append("")
    }
    return out.joined(separator: "\n")
  }
}

/// `scpl summary`: the per-component table of a model.
public enum ModelSummary {
  /// A Markdown table of `m`'s components: parameters, output shape and local-loss features of each.
  public static func markdown(_ m: StagedModel) -> String {
    var lines = [
      "\(m.name): \(m.components.count) components, \(m.parameterCount) parameters, input \(m.sampleShape)", "",
      "| component | parameters | output shape (per sample) | local-loss features |", "|---|---|---|---|"
    ]
    for (k, c) in m.components.enumerated() {
      lines.append(
        "| C\(k + 1) | \(c.parameterCount) | \(m.outputShapes[k].map(String.init).joined(separator: "×")) | \(m.featureDims[k]) |"
      )
    }
    lines.append("| classifier (in C\(m.components.count)) | \(m.classifier.parameterCount) | \(m.classCount) | – |")
    return lines.joined(separator: "\n")
  }
}
