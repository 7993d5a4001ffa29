import CTorch

/// Native (C++-only) timings, used to isolate the cost of crossing into libtorch from Swift.
public enum NativeBaseline {
  /// Seconds for `iterations` one-element additions done entirely inside the shim.
  public static func addSeconds(iterations: Int) throws -> Double {
    let s = ct_bench_native_add_seconds(Int64(iterations))
    if s < 0 { throw TorchError.last("native add baseline") }
    return s
  }
}
