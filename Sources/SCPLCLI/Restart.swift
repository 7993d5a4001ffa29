import Foundation

/// Settings that must be in the environment before the process starts (libraries read them as
/// they load): when one is missing, `scpl` sets it and restarts itself once, before any work.
enum Restart {
  static func withSettledEnvironment() {
    let changes = OpenBLASKernels.environmentChange().merging(CrashReports.environmentChange()) { a, _ in a }
    guard !changes.isEmpty else { return }
    for (key, value) in changes { setenv(key, value, 1) }
    let args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", args)
    // execv returns only on failure: carry on as we are rather than stop.
  }
}

/// Swift's crash reporter (the backtracer) asks what to do on a terminal — `interactive=tty`,
/// its default on Linux — and waits for an answer. A tool that runs for hours, often under
/// `timeout`, `nohup` or a scheduler in a background process group (where reading the terminal
/// stops the process), must never wait on a crash: it prints the backtrace and exits. Only a
/// process on a terminal needs the setting; elsewhere the reporter is not interactive anyway.
/// A SWIFT_BACKTRACE the user set is left alone.
enum CrashReports {
  static let setting = "interactive=no"

  static func environmentChange() -> [String: String] {
    guard ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil,
      isatty(STDIN_FILENO) == 1 || isatty(STDOUT_FILENO) == 1
    else { return [:] }
    return ["SWIFT_BACKTRACE": setting]
  }
}
