/// State dictionaries nest by name ("optimizer1.state.0.exp_avg", "component2.module0.weight"):
/// the part of one that belongs to a sub-object is the entries under its prefix.
extension Dictionary where Key == String {
  /// The entries whose key starts with `prefix` ("optimizer1."), keyed without it.
  public func entries(under prefix: String) -> [String: Value] {
    var out: [String: Value] = [:]
    for (key, value) in self where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = value }
    return out
  }
}
