// libFuzzer target (make fuzz): FuzzEntries.commandLine on every input (an argument vector, NUL-separated).
import FuzzEntries

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzEntries.commandLine(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
