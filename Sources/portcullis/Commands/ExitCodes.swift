import ArgumentParser

/// The exit codes scripts can rely on (documented in docs/intercept.md and docs/store.md).
enum PortcullisExit {
    /// Everything is as it should be.
    static let ok = ExitCode(0)
    /// `verify` found drift: the installed rules differ from the configuration.
    static let drift = ExitCode(1)
    /// The configuration file is unreadable or wrong.
    static let configuration = ExitCode(2)
    /// The host could not be changed or read: not root, a tool missing or failing.
    static let system = ExitCode(3)
    /// `verify` of the recording found a row altered, deleted or reordered.
    static let tampered = ExitCode(1)
    /// A reading command was given a bad argument, or an ID the store does not hold.
    static let badArgument = ExitCode(2)
    /// The store could not be opened, read or written (or an output file written).
    static let storeUnavailable = ExitCode(3)
    /// The admin socket refused the caller: neither root nor in the admin group.
    static let notPermitted = ExitCode(4)
}
