// libFuzzer target (make fuzz): FuzzEntries.idx on every input.
import FuzzEntries

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzEntries.idx(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
