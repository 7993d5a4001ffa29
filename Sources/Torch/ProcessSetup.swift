import Foundation

extension Engine {
  /// Settles what libraries read from the environment as they load, before any tensor work:
  /// call it first thing in `main`. Where a setting is missing it is set and the program
  /// restarts itself once (same executable, same arguments), so it costs nothing when all is
  /// set. What it sets, never overriding a variable the user set:
  /// - `OPENBLAS_CORETYPE`, when OpenBLAS chose its generic kernels on a CPU that has better
  ///   ones (`OpenBLASKernels`): without it matrix products run 2–6× slower, silently.
  /// - `SWIFT_BACKTRACE=interactive=no` on a terminal (`CrashReports`), so a crash prints its
  ///   backtrace and exits instead of waiting for an answer.
  /// `scpl` calls it; so should any program of yours that trains, to run as fast as `scpl`.
  /// Returns only when nothing needed changing (or the restart failed, in which case the
  /// program goes on as it is).
  public static func prepareProcess() {
    let changes = OpenBLASKernels.environmentChange().merging(CrashReports.environmentChange()) { a, _ in a }
    guard !changes.isEmpty else { return }
    for (key, value) in changes { setenv(key, value, 1) }
    let args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", args)
    // execv returns only on failure: carry on as we are rather than stop.
  }
}

/// Swift's crash reporter (the backtracer) asks what to do on a terminal — `interactive=tty`,
/// its default on Linux — and waits for an answer. A program that runs for hours, often under
/// `timeout`, `nohup` or a scheduler in a background process group (where reading the terminal
/// stops the process), must never wait on a crash: it prints the backtrace and exits. Only a
/// process on a terminal needs the setting; elsewhere the reporter is not interactive anyway.
/// A SWIFT_BACKTRACE the user set is left alone.
public enum CrashReports {
  /// The SWIFT_BACKTRACE value given to a process on a terminal.
  public static let setting = "interactive=no"

  static func environmentChange() -> [String: String] {
    guard ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil,
      isatty(STDIN_FILENO) == 1 || isatty(STDOUT_FILENO) == 1
    else { return [:] }
    return ["SWIFT_BACKTRACE": setting]
  }
}
