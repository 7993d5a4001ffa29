// libFuzzer target (make fuzz): FuzzEntries.png on every input.
import FuzzEntries

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzEntries.png(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
