import CISAL
import Foundation

/// CRC-32C (Castagnoli), from Intel's ISA-L (`crc32_iscsi`, hardware-accelerated where the CPU has
/// it): the checksum of checkpoint payloads and of TensorBoard's record framing.
public enum CRC32C {
  /// The checksum of `bytes`; with `continuing`, of the bytes that gave that checksum followed by
  /// `bytes` (so a file can be checked piece by piece).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
    // ISA-L takes a mutable pointer but only reads; an empty buffer needs no valid pointer.
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return previous }
    var crc: UInt32 = previous ^ 0xFFFF_FFFF
    var offset = 0
    while offset < bytes.count {  // crc32_iscsi takes an Int32 length: feed large buffers in chunks
      let n = min(bytes.count - offset, 1 << 30)
      crc = crc32_iscsi(
        UnsafeMutablePointer(mutating: base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)), Int32(n), crc)
      offset += n
    }
    return crc ^ 0xFFFF_FFFF
  }

  /// The checksum of any contiguous bytes (an array, `Data`…); with `continuing`, carried on from an earlier one.
  public static func checksum<C: ContiguousBytes>(_ bytes: C, continuing previous: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0, continuing: previous) }
  }
}
