import ArgumentParser
import Foundation
import Torch

/// `scpl launch --nproc N -- train …`: the ranks of a one-machine job, as torchrun starts them.
/// Each process is this `scpl` with RANK, LOCAL_RANK, WORLD_SIZE and MASTER_ADDR=127.0.0.1 set
/// (and `--distributed` added to `train` if missing). The ranks meet in a c10d FileStore in a
/// fresh folder only this user can open (SCPL_STORE_FILE), so no rendezvous port is open to
/// anyone; with `--master-port` they meet on that TCP port instead, as torchrun's ranks do.
/// Gloo's connections use MASTER_ADDR's interface (127.0.0.1). Their output comes back
/// line by line with a "[rank k] " prefix. When one exits with an error the others are stopped
/// (SIGTERM, then SIGKILL after a grace period) and its status is launch's.
struct Launch: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a command as N local processes, the ranks of one job (like torchrun on one machine).",
    discussion: """
      Example: scpl launch --nproc 2 -- train --model vgg --method scpl --placement 0,0,1,1
      Rank 0 reads the data and writes the run folder. The ranks meet in a private file, and \
      Gloo connects them over 127.0.0.1; with --master-port, rank 0's store listens on that port \
      on every interface, as torchrun's does (docs/distributed.md). \
      For several machines run `scpl train --distributed` on each (docs/distributed.md).
      """)

  @Option(help: "Number of processes (ranks).") var nproc: Int
  @Option(help: "Meet on this TCP port (rank 0's c10d TCPStore) instead of in a private store file.") var masterPort:
    Int?
  @Option(help: "Seconds the other ranks get to stop after one failed, before they are killed.") var grace: Double = 10
  @Argument(parsing: .captureForPassthrough, help: "The scpl command each rank runs, after --.") var command: [String] =
    []

  func validate() throws {
    guard nproc >= 1 else { throw ValidationError("--nproc must be at least 1") }
    guard !command.isEmpty else {
      throw ValidationError(
        "give the command the ranks run after --, e.g. scpl launch --nproc 2 -- train --placement 0,0,1,1")
    }
  }

  func run() throws {
    // A fresh folder only this user can open holds the store file; it goes when launch ends.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-launch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    defer { try? FileManager.default.removeItem(at: folder) }
    var arguments = command.first == "--" ? Array(command.dropFirst()) : command
    if arguments.first == "train", !arguments.contains("--distributed") { arguments.append("--distributed") }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let output = PrefixedOutput()
    let exits = BlockingExits()
    var ranks: [Process] = []
    for k in 0..<nproc {
      let p = Process()
      p.executableURL = executable
      p.arguments = arguments
      var env = ProcessInfo.processInfo.environment
      env["RANK"] = String(k)
      env["LOCAL_RANK"] = String(k)
      env["WORLD_SIZE"] = String(nproc)
      env["MASTER_ADDR"] = "127.0.0.1"
      if let masterPort {
        env["MASTER_PORT"] = String(masterPort)
        env["SCPL_STORE_FILE"] = nil
      } else {
        env["SCPL_STORE_FILE"] = folder.appendingPathComponent("store").path
      }
      p.environment = env
      p.standardOutput = output.pipe(prefix: "[rank \(k)] ", to: FileHandle.standardOutput)
      p.standardError = output.pipe(prefix: "[rank \(k)] ", to: FileHandle.standardError)
      p.terminationHandler = { exits.record(rank: k, status: Self.status($0)) }
      do {
        try p.run()
      } catch {
        for q in ranks { q.terminate() }
        throw ValidationError("could not start rank \(k) (\(executable.path)): \(error)")
      }
      ranks.append(p)
    }
    let stopping = forwardStops(to: ranks)
    var failure: (rank: Int, status: Int32)?
    for _ in 0..<nproc {
      let (rank, status) = exits.next()
      guard status != 0, failure == nil else { continue }
      failure = (rank, status)
      // A stop that reached every rank (Ctrl-C): a rank that has stopped is not a failure the
      // others must be stopped for; they stop at the step the run agreed on (a replica's leader
      // may end before rank 0 has written the checkpoint, which a second signal would cut short).
      if stopping.withLock({ $0 }), [128 + SIGINT, 128 + SIGTERM].contains(status) { continue }
      FileHandle.standardError.write(
        Data("scpl launch: rank \(rank) exited with status \(status); stopping the other ranks\n".utf8))
      for p in ranks where p.isRunning { p.terminate() }
      let (deadline, started) = (Date().addingTimeInterval(grace), ranks)
      DispatchQueue.global().async {
        while Date() < deadline, started.contains(where: \.isRunning) { Thread.sleep(forTimeInterval: 0.1) }
        for p in started where p.isRunning { kill(p.processIdentifier, SIGKILL) }
      }
    }
    for p in ranks { p.waitUntilExit() }
    output.flush()
    if let failure { throw ExitCode(failure.status) }
  }

  /// Ctrl-C reaches launch and every rank at once: launch lets rank 0 stop the run (it drains the
  /// pipeline and writes a checkpoint; the other ranks wait for it). A SIGTERM sent to launch
  /// alone goes on to rank 0. A second signal kills every rank and exits.
  /// Returns whether a first signal has come.
  private func forwardStops(to ranks: [Process]) -> LockedValue<Bool> {
    let stopping = LockedValue(false)
    StopSignals.handle(
      first: { name in
        stopping.withLock { $0 = true }
        if name == "SIGTERM", let first = ranks.first, first.isRunning { kill(first.processIdentifier, SIGTERM) }
      },
      second: { _ in
        for p in ranks where p.isRunning { kill(p.processIdentifier, SIGKILL) }
      })
    return stopping
  }

  /// A process's exit status as a shell reports it (128 + the signal that killed it).
  static func status(_ p: Process) -> Int32 {
    p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
  }
}

/// Exit statuses as the ranks end, in the order they end.
private final class BlockingExits: @unchecked Sendable {
  private let condition = NSCondition()
  private var exits: [(Int, Int32)] = []

  func record(rank: Int, status: Int32) {
    condition.lock()
    exits.append((rank, status))
    condition.signal()
    condition.unlock()
  }

  func next() -> (Int, Int32) {
    condition.lock()
    defer { condition.unlock() }
    while exits.isEmpty { condition.wait() }
    return exits.removeFirst()
  }
}

/// The ranks' output, each whole line written with its rank's prefix (lines of different ranks
/// never interleave within a line). One reader thread per pipe, with blocking reads — not
/// `FileHandle.readabilityHandler`: on Linux its libdispatch sources crash (SIGSEGV) when several
/// are torn down at once (swift-corelibs-libdispatch#949), which is what ranks ending together do.
private final class PrefixedOutput: @unchecked Sendable {
  private let lock = NSLock()
  private let readers = DispatchGroup()

  func pipe(prefix: String, to target: FileHandle) -> Pipe {
    let pipe = Pipe()
    let handle = pipe.fileHandleForReading
    readers.enter()
    let reader = Thread { [self] in
      defer { readers.leave() }
      var rest = Data()
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      // Until the end of file (the rank exited) or a read error. read(2) returns what the pipe
      // holds now (FileHandle.read(upToCount:) waits until it has them all, or the end: a rank's
      // output then came only when the job ended).
      while true {
        let n = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        rest.append(contentsOf: buffer[0..<n])
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
          write(prefix, rest[rest.startIndex...newline], to: target)
          rest = Data(rest[rest.index(after: newline)...])
        }
      }
      if !rest.isEmpty { write(prefix, rest + Data("\n".utf8), to: target) }
    }
    reader.name = "launch output"
    reader.start()
    return pipe
  }

  private func write(_ prefix: String, _ line: Data, to target: FileHandle) {
    lock.lock()
    defer { lock.unlock() }
    target.write(Data(prefix.utf8) + line)
  }

  /// Waits (at most 5 s) until every pipe reached its end.
  func flush() { _ = readers.wait(timeout: .now() + 5) }
}
