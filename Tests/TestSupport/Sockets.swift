import Foundation

/// The TCP sockets process `pid` listens on (default: this one), as (local address, port): its
/// open sockets' inodes looked up in its network namespace's /proc/net/tcp and tcp6, state LISTEN.
/// The address is as the kernel writes it: "127.0.0.1", "0.0.0.0", or an IPv6 address in hex.
public func listeningSockets(ofProcess pid: Int32? = nil) -> [(address: String, port: Int)] {
  let proc = "/proc/\(pid.map(String.init) ?? "self")"
  let fds = (try? FileManager.default.contentsOfDirectory(atPath: "\(proc)/fd")) ?? []
  let inodes = Set(
    fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/fd/\($0)") }
      .filter { $0.hasPrefix("socket:[") }.map { String($0.dropFirst(8).dropLast()) })
  var sockets: [(address: String, port: Int)] = []
  for table in ["\(proc)/net/tcp", "\(proc)/net/tcp6"] {
    let lines = ((try? String(contentsOfFile: table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
    for line in lines {
      let f = line.split(separator: " ")
      guard f.count > 9, f[3] == "0A", inodes.contains(String(f[9])) else { continue }
      let local = f[1].split(separator: ":")
      guard local.count == 2, let port = Int(local[1], radix: 16) else { continue }
      // IPv4 addresses are written as one little-endian 32-bit hex number.
      var address = String(local[0])
      if address.count == 8, let n = UInt32(address, radix: 16) {
        address = (0..<4).map { String((n >> (8 * UInt32($0))) & 0xFF) }.joined(separator: ".")
      }
      sockets.append((address, port))
    }
  }
  return sockets
}
