import Foundation
import TestSupport
import Torch
import XCTest

/// torch's c10d through the shim: two ranks (threads of this process, on loopback) rendezvous,
/// exchange tensors and run collectives; failures come back as errors naming the rank, address
/// or port, within the timeout.
final class ProcessGroupTests: XCTestCase {
  /// Runs `body(rank)` for ranks 0..<world on their own threads; rethrows their errors.
  private func ranks(_ world: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    guard let errors = onThreads(world, seconds: 60, body) else {
      return XCTFail("the ranks did not finish within 60 s")
    }
    let failed = errors.compactMap { $0 }
    if !failed.isEmpty { throw TorchError(failed.map { "\($0)" }.joined(separator: "; ")) }
  }

  func testSendReceiveAndCollectivesBetweenTwoRanks() throws {
    let port = try freeLoopbackPort()
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
      if r == 0 {
        let x = try Tensor([1.5, -2, 3, 4] as [Float], shape: [2, 2])
        let labels = try Tensor([7, 9] as [Int64])
        try group.sendTensors([x, nil, labels, try Tensor.zeros([0, 3])], to: 1, tag: 3)
        let (source, back) = try group.receiveTensors(from: nil, tag: 4)
        XCTAssertEqual(source, 1)
        XCTAssertEqual(try back[0]!.toArray(Double.self), [42])
      } else {
        let (source, got) = try group.receiveTensors(from: 0, tag: 3)
        XCTAssertEqual(source, 0)
        XCTAssertEqual(got.count, 4)
        XCTAssertEqual(got[0]!.shape, [2, 2])
        XCTAssertEqual(try got[0]!.toArray(Float.self), [1.5, -2, 3, 4])
        XCTAssertNil(got[1])
        XCTAssertEqual(got[2]!.dtype, .int64)
        XCTAssertEqual(try got[2]!.toArray(Int64.self), [7, 9])
        XCTAssertEqual(got[3]!.shape, [0, 3])
        try group.sendTensors([try Tensor([42] as [Double])], to: 0, tag: 4)
      }
      let sum = try Tensor([Double(r + 1), 10])
      try group.allReduceSum(sum)
      XCTAssertEqual(try sum.toArray(Double.self), [3, 20])
      let b = try Tensor([r == 1 ? 5.0 : -1])
      try group.broadcast(b, from: 1)
      XCTAssertEqual(try b.toArray(Double.self), [5])
      try group.barrier()
    }
  }

  func testAReceiveNobodyAnswersTimesOutNamingThePeer() throws {
    let port = try freeLoopbackPort()
    let timedOut = DispatchSemaphore(value: 0)
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 2)
      if r == 0 {
        defer { timedOut.signal() }
        let start = Date()
        XCTAssertThrowsError(try group.receiveTensors(from: 1, tag: 0)) { e in
          XCTAssertTrue("\(e)".contains("from rank 1"), "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
      } else {
        // Rank 1 stays alive and silent until rank 0's receive has ended (by its timeout).
        _ = timedOut.wait(timeout: .now() + 30)
      }
    }
  }

  func testAnUnreachableMasterIsNamedAfterTheTimeout() throws {
    let port = try freeLoopbackPort()  // nobody listens there
    let start = Date()
    XCTAssertThrowsError(
      try ProcessGroup(rank: 1, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 2)
    ) { e in
      XCTAssertTrue("\(e)".contains("127.0.0.1:\(port)"), "\(e)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 30)
  }

  /// A process claiming a rank that is taken, or with another world size, is refused before it
  /// connects to anything; the running job goes on.
  func testAStrayProcessIsRefusedAndTheJobGoesOn() throws {
    let port = try freeLoopbackPort()
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
      try group.barrier()
      if r == 0 {
        XCTAssertThrowsError(
          try ProcessGroup(rank: 1, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 5)
        ) { e in
          XCTAssertTrue("\(e)".contains("rank 1 of the job at 127.0.0.1:\(port) is already taken"), "\(e)")
        }
        XCTAssertThrowsError(
          try ProcessGroup(rank: 2, worldSize: 3, masterAddress: "127.0.0.1", masterPort: port, timeout: 5)
        ) { e in
          XCTAssertTrue("\(e)".contains("has WORLD_SIZE=2, but this process was started with WORLD_SIZE=3"), "\(e)")
        }
      }
      try group.barrier()
      let x = try Tensor([Double(r)])
      try group.allReduceSum(x)
      XCTAssertEqual(try x.toArray(Double.self), [1])
    }
  }

  /// A peer that goes away is an error naming it, never the end of this process: joining a group
  /// ignores SIGPIPE (Gloo writes with `writev`, which raises it on a socket the peer has reset;
  /// by default it kills the process without a word — the likely end of rank 0 in one CI run).
  func testAPeerThatLeavesIsAnErrorAndNeverASignal() throws {
    let port = try freeLoopbackPort()
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 5)
      try group.barrier()
      guard r == 0 else { return }  // rank 1 leaves: its group closes its sockets
      let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
      let ignored = try XCTUnwrap(
        status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }.flatMap {
          UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        })
      XCTAssertNotEqual(ignored & (1 << (UInt64(SIGPIPE) - 1)), 0, "SIGPIPE is not ignored")
      let big = try Tensor.zeros([8 << 20])
      XCTAssertThrowsError(try (0..<50).forEach { _ in _ = try group.send(big, to: 1, tag: 0).wait() }) { e in
        XCTAssertTrue("\(e)".contains("rank 1"), "\(e)")
      }
    }
  }

  /// `abandonReceives` ends a receive under way (from any rank, nobody sending) at once with the
  /// given reason, and every later one; sends still go through.
  func testAbandonedReceivesEndAtOnceWithTheReasonAndSendsStillWork() throws {
    let port = try freeLoopbackPort()
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
      try group.barrier()
      guard r == 0 else {
        let (_, got) = try group.receiveTensors(from: 0, tag: 2)  // after rank 0 gave up receiving
        XCTAssertEqual(try got[0]!.toArray(Double.self), [7])
        return
      }
      let reason = TorchError("rank 0 could not send to rank 1: gone")
      // Abandoned once the receive below is under way (an event, not a guessed delay).
      Thread {
        XCTAssertTrue(group.waitUntilReceiving(seconds: 10), "the receive never began")
        group.abandonReceives(because: reason)
      }.start()
      let start = Date()
      XCTAssertThrowsError(try group.receiveTensors(from: nil, tag: 1)) { XCTAssertEqual("\($0)", "\(reason)") }
      XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the receive waited on after it was abandoned")
      XCTAssertThrowsError(try group.receiveTensors(from: 1, tag: 1)) { XCTAssertEqual("\($0)", "\(reason)") }
      try group.sendTensors([try Tensor([7] as [Double])], to: 1, tag: 2)
    }
  }

  /// Subgroups, as replicas of a pipeline use them: four ranks in a 2 × 2 grid form a group per
  /// row and per column; each all-reduces within its own groups only, a send inside a group uses
  /// the group's numbering, and a rank outside a group's list cannot join it.
  func testSubgroupsReduceAmongTheirMembersOnly() throws {
    let port = try freeLoopbackPort()
    try ranks(4) { r in
      let group = try ProcessGroup(rank: r, worldSize: 4, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
      let (row, column) = (r / 2, r % 2)
      // The column group lists its ranks high to low: rank 2 + column is its rank 0.
      let rowGroup = try group.subgroup("row\(row)", ranks: [2 * row, 2 * row + 1])
      let columnGroup = try group.subgroup("column\(column)", ranks: [2 + column, column])
      XCTAssertEqual(rowGroup.rank, column)
      XCTAssertEqual(columnGroup.rank, 1 - row)
      XCTAssertEqual(columnGroup.worldSize, 2)
      let x = try Tensor([Double(1 << r)])
      try rowGroup.allReduceSum(x)
      XCTAssertEqual(try x.toArray(Double.self), [Double((1 << (2 * row)) * 3)], "rank \(r)'s row")
      let y = try Tensor([Double(1 << r)])
      try columnGroup.allReduceSum(y)
      XCTAssertEqual(try y.toArray(Double.self), [Double((1 << column) * 5)], "rank \(r)'s column")
      if columnGroup.rank == 0 {
        try columnGroup.sendTensors([try Tensor([Double(r)])], to: 1, tag: 3)
      } else {
        let (source, got) = try columnGroup.receiveTensors(from: 0, tag: 3)
        XCTAssertEqual(source, 0)
        XCTAssertEqual(try got[0]!.toArray(Double.self), [Double(2 + column)])
      }
      XCTAssertThrowsError(try group.subgroup("others", ranks: [(r + 1) % 4, (r + 2) % 4])) {
        XCTAssertTrue("\($0)".contains("rank \(r) is not among the ranks"), "\($0)")
      }
      XCTAssertThrowsError(try group.subgroup("twice", ranks: [r, r])) {
        XCTAssertTrue("\($0)".contains("needs distinct ranks"), "\($0)")
      }
      try group.barrier()
    }
  }

  /// A stranger that reaches the job's ports and speaks garbage — random bytes to every port the
  /// job listens on: the store's, and Gloo's where its transport keeps listening once the ranks
  /// are connected (libtorch 2.x's does; 1.13's closes them) — is refused, and the job goes on:
  /// after it, the ranks still exchange tensors and reduce them.
  func testAStrangerSpeakingGarbageToTheJobsPortsLeavesItUnharmed() throws {
    let port = try freeLoopbackPort()
    let joined = DispatchGroup()
    joined.enter()
    joined.enter()
    let strangerDone = DispatchSemaphore(value: 0)
    try ranks(2) { r in
      let group = try ProcessGroup(rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
      joined.leave()
      if r == 0 {
        XCTAssertEqual(joined.wait(timeout: .now() + 30), .success)
        let ports = Array(Set(listeningSockets().map(\.port))).sorted()
        XCTAssertTrue(ports.contains(port), "the store's port \(port) is not among \(ports)")
        // Random bytes, and each of the first 32 command bytes followed by the largest length a
        // field could claim (a server that believed it would try to allocate 16 EiB).
        for p in ports {
          var generator = SystemRandomNumberGenerator()
          Self.speakGarbage((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: p)
          for command in 0..<32 { Self.speakGarbage([UInt8(command)] + Array(repeating: 0xFF, count: 64), to: p) }
        }
        // The store still answers (a stray claim of rank 1 is refused through it)…
        XCTAssertThrowsError(
          try ProcessGroup(rank: 1, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 5)
        ) { e in
          XCTAssertTrue("\(e)".contains("rank 1 of the job at 127.0.0.1:\(port) is already taken"), "\(e)")
        }
        strangerDone.signal()
      } else {
        XCTAssertEqual(strangerDone.wait(timeout: .now() + 30), .success)
      }
      // … and the ranks still talk.
      try group.barrier()
      if r == 0 {
        try group.sendTensors([try Tensor([3, 4] as [Double])], to: 1, tag: 5)
      } else {
        let (_, got) = try group.receiveTensors(from: 0, tag: 5)
        XCTAssertEqual(try got[0]!.toArray(Double.self), [3, 4])
      }
      let x = try Tensor([Double(r + 1)])
      try group.allReduceSum(x)
      XCTAssertEqual(try x.toArray(Double.self), [3])
    }
  }

  /// Connects to 127.0.0.1:`port`, writes `garbage`, and hangs up.
  private static func speakGarbage(_ garbage: [UInt8], to port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return XCTFail("no socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { return XCTFail("could not connect to port \(port)") }
    _ = garbage.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  func testAPortInUseIsNamed() throws {
    let port = try freeLoopbackPort()
    // Events, not sleeps: the second claimant starts once the first holds the port, and the first
    // lets go only after the second has been refused.
    let (bound, refused) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
    try ranks(2) { r in
      if r == 0 {
        let first = try ProcessGroup(rank: 0, worldSize: 1, masterAddress: "127.0.0.1", masterPort: port, timeout: 5)
        bound.signal()
        _ = refused.wait(timeout: .now() + 30)
        _ = first
      } else {
        defer { refused.signal() }
        guard bound.wait(timeout: .now() + 30) == .success else { return XCTFail("rank 0 never held the port") }
        XCTAssertThrowsError(
          try ProcessGroup(rank: 0, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 2)
        ) { e in
          XCTAssertTrue("\(e)".contains("port \(port)"), "\(e)")
        }
      }
    }
  }
}
