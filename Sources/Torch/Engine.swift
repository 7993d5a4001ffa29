import CTorch
import Foundation

/// Facts about the linked libtorch.
public enum Engine {
  /// The version CTorch was built against ("1.13.0", "2.13.0").
  public static var libtorchVersion: String { String(cString: ct_libtorch_version()) }
  /// Whether matrix products run on MKL (PyTorch's own builds) rather than the system BLAS.
  public static var hasMKL: Bool { ct_has_mkl() != 0 }
  /// Whether CUDA is compiled in (libtorch_cuda linked), whether or not a GPU is present.
  public static var cudaCompiled: Bool { ct_cuda_compiled() != 0 }

  /// Exact float32 on GPUs (no TF32 convolutions or products, deterministic cuDNN algorithms),
  /// or libtorch's defaults again. For comparing GPU results with CPU ones.
  public static func useExactGPUMath(_ exact: Bool) throws {
    try check(ct_set_exact_gpu_math(exact ? 1 : 0), "setting the GPU math mode")
  }
}

extension Engine {
  /// The malloc this process runs on: "tcmalloc" when gperftools' library is loaded (the build
  /// links it in), else "glibc malloc".
  public static var mallocName: String {
    let maps =
      FileHandle(forReadingAtPath: "/proc/self/maps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) }
      ?? ""
    return maps.contains("libtcmalloc") ? "tcmalloc (gperftools)" : "glibc malloc"
  }
}
