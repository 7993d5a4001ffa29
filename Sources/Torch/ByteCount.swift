/// The bytes an array of `shape` with `elementSize`-byte elements takes, or nil when a dimension is
/// negative or the product overflows. File headers (IDX, safetensors) may claim any sizes; this
/// is how a reader multiplies them without trapping.
public func byteCount(shape: [Int], elementSize: Int) -> Int? {
  shape.reduce(Optional(elementSize)) { n, d in
    guard let n, d >= 0 else { return nil }
    let (p, overflow) = n.multipliedReportingOverflow(by: d)
    return overflow ? nil : p
  }
}
