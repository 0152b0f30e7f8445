import Kube

/// Which policy is in force, and what became of the last attempt to load one.
public struct PolicyStatus: Sendable, Hashable {
    /// The policy file, for messages.
    public var source: String
    /// 1 for the policy loaded at start, then one more for each successful reload.
    public var generation: Int
    public var loadedAt: KubeTime
    /// SHA-256 of the file the policy in force came from, hex.
    public var digest: String
    public var ruleCount: Int
    public var defaultEffect: PolicyEffect
    /// Why the last reload was refused (the previous policy stays in force); nil after a good load.
    public var lastError: String?
    public var lastErrorAt: KubeTime?

    public init(source: String, generation: Int, loadedAt: KubeTime, digest: String, ruleCount: Int, defaultEffect: PolicyEffect,
                lastError: String? = nil, lastErrorAt: KubeTime? = nil) {
        self.source = source
        self.generation = generation
        self.loadedAt = loadedAt
        self.digest = digest
        self.ruleCount = ruleCount
        self.defaultEffect = defaultEffect
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}
