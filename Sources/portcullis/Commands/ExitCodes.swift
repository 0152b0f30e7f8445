import ArgumentParser

/// The exit codes scripts can rely on (documented in docs/intercept.md).
enum PortcullisExit {
    /// Everything is as it should be.
    static let ok = ExitCode(0)
    /// `verify` found drift: the installed rules differ from the configuration.
    static let drift = ExitCode(1)
    /// The configuration file is unreadable or wrong.
    static let configuration = ExitCode(2)
    /// The host could not be changed or read: not root, a tool missing or failing.
    static let system = ExitCode(3)
}
