import Foundation

/// An `/etc/hosts` for one namespace: `ip netns exec NAME` bind-mounts `/etc/netns/NAME/hosts` over
/// `/etc/hosts`, so names resolve inside the namespace without touching the host's own file.
///
/// Invariant: the directory `/etc/netns/NAME` is registered for cleanup before it is created and is
/// removed with the test, also on an interrupt.
public enum NamespaceHostsFile {
    /// Writes `entries` (address, names) as the hosts file of `namespace`.
    public static func write(_ entries: [(address: String, names: [String])], for namespace: NetworkNamespace) throws {
        let directory = "/etc/netns/\(namespace.name)"
        _ = CleanupRegistry.shared.register("hosts file of \(namespace.name)") {
            try? FileManager.default.removeItem(atPath: directory)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = (["127.0.0.1 localhost", "::1 localhost"] + entries.map { "\($0.address) \($0.names.joined(separator: " "))" })
            .joined(separator: "\n") + "\n"
        try text.write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
    }
}
