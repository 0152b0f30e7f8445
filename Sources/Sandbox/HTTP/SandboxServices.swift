import NIOCore

/// What every connection handler shares.
public struct SandboxServices: Sendable {
    public var api: SandboxAPI
    public var authenticator: Authenticator
    public var audit: AuditLog?
    /// How often each container writes a log line.
    public var logInterval: TimeAmount
    /// Largest request body accepted, as kube-apiserver's 3 MiB limit.
    public var maxBodyBytes: Int

    public init(api: SandboxAPI, authenticator: Authenticator, audit: AuditLog?, logInterval: TimeAmount,
                maxBodyBytes: Int = 3 * 1024 * 1024) {
        self.api = api
        self.authenticator = authenticator
        self.audit = audit
        self.logInterval = logInterval
        self.maxBodyBytes = maxBodyBytes
    }
}
