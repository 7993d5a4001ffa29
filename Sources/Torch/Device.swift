import CTorch

/// Where a tensor's storage lives.
public enum Device: Hashable, Sendable, CustomStringConvertible {
  case cpu
  case cuda(Int)

  /// True when the linked libtorch was built with CUDA and sees a GPU. Debian's libtorch-dev is a
  /// CPU build, so this is false there; rebuilding CTorch against a CUDA libtorch turns it on.
  public static var isCUDAAvailable: Bool { ct_cuda_is_available() != 0 }
  /// The GPUs the linked libtorch sees (0 on a CPU build). Throws when the CUDA runtime fails to
  /// answer (a driver that does not match the runtime, say), rather than pretending there are none.
  public static var cudaDeviceCount: Int {
    get throws {
      let n = ct_cuda_device_count()
      try check(n < 0 ? -1 : 0, "counting GPUs")
      return Int(n)
    }
  }

  /// Parses "cpu", "cuda" or "cuda:N".
  public init(parsing text: String) throws {
    let t = text.lowercased()
    if t == "cpu" { self = .cpu; return }
    if t == "cuda" { self = .cuda(0); return }
    if t.hasPrefix("cuda:"), let i = Int(t.dropFirst(5)), i >= 0 { self = .cuda(i); return }
    throw TorchError("unknown device '\(text)': expected cpu, cuda or cuda:N")
  }

  var code: (type: Int32, index: Int32) {
    switch self {
    case .cpu: return (CT_CPU_CODE, 0)
    case .cuda(let i): return (CT_CUDA_CODE, Int32(i))
    }
  }

  /// `cpu` or `cuda:N`, the form `init(parsing:)` reads.
  public var description: String {
    switch self {
    case .cpu: return "cpu"
    case .cuda(let i): return "cuda:\(i)"
    }
  }
}

let CT_CPU_CODE: Int32 = 0
let CT_CUDA_CODE: Int32 = 1
