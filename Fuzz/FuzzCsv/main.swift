// libFuzzer target (make fuzz): FuzzEntries.csv on every input.
import FuzzEntries

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzEntries.csv(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
