import Foundation

/// A Python program that exited with an error: its status and what it wrote to stderr.
public struct PythonFailure: Error, CustomStringConvertible {
  public let status: Int32
  public let stderr: String
  public var description: String { "python3 exited with status \(status): \(stderr)" }
}

/// Runs python3 (the one on PATH, where scripts/bootstrap.sh installs safetensors, tensorboard
/// and torch) with `arguments` (e.g. ["-c", script] or [path, args…]) and returns its stdout;
/// throws `PythonFailure` on a non-zero exit.
public func runPython(_ arguments: [String]) throws -> String {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3"] + arguments
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  // Read both pipes before waiting: a child that fills one would otherwise block forever.
  final class Box: @unchecked Sendable { var data = Data() }  // written by one thread, read after it signals
  let errors = Box()
  let drained = DispatchSemaphore(value: 0)
  DispatchQueue.global().async {
    errors.data = err.fileHandleForReading.readDataToEndOfFile()
    drained.signal()
  }
  let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  drained.wait()
  p.waitUntilExit()
  guard p.terminationStatus == 0 else {
    throw PythonFailure(status: p.terminationStatus, stderr: String(decoding: errors.data, as: UTF8.self))
  }
  return text
}

/// `runPython(["-c", script])`.
public func runPython(script: String) throws -> String { try runPython(["-c", script]) }
