import CISAL
import Foundation

/// CRC-32C (Castagnoli), from Intel's ISA-L (`crc32_iscsi`, hardware-accelerated where the CPU has
/// it): the checksum of checkpoint payloads and of TensorBoard's record framing.
public enum CRC32C {
  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    // ISA-L takes a mutable pointer but only reads; an empty buffer needs no valid pointer.
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
    var crc: UInt32 = 0xFFFF_FFFF
    var offset = 0
    while offset < bytes.count {  // crc32_iscsi takes an Int32 length: feed large buffers in chunks
      let n = min(bytes.count - offset, 1 << 30)
      crc = crc32_iscsi(UnsafeMutablePointer(mutating: base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)), Int32(n), crc)
      offset += n
    }
    return crc ^ 0xFFFF_FFFF
  }

  public static func checksum<C: ContiguousBytes>(_ bytes: C) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0) }
  }
}
