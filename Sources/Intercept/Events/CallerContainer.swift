/// A container a caller runs in: its runtime and its 64-hex-digit id.
public struct CallerContainer: Sendable, Hashable, CustomStringConvertible {
    /// `docker`, `containerd`, `cri-o`, `podman`, `cri` (a kubelet cgroupfs path that does not name
    /// the runtime) or `cni` (a CNI network's address record).
    public var runtime: String
    public var id: String

    public init(runtime: String, id: String) {
        self.runtime = runtime
        self.id = id
    }

    /// `docker:4f3a2b1c9d8e`: the runtime and the id's first 12 digits, as `docker ps` shows it.
    public var description: String { "\(runtime):\(id.prefix(12))" }
}
