import Foundation

/// A veth pair joining two namespaces, each end up and addressed (test addresses in 198.18.0.0/15).
///
/// Invariants:
/// - The pair is created directly inside the two namespaces (`ip -n A link add ... peer ... netns B`),
///   so it never exists in the host's namespace, and it disappears with either namespace.
/// - Interface names are `pv<pid % 100000><a|b><counter>`: at most 15 characters, unique per process.
/// - Neither namespace has a default route (IPv4 or IPv6): traffic can only go to the other end.
public struct VethLink: Sendable {
    public let first: VethEndpoint
    public let second: VethEndpoint

    /// Interface names for link number `counter` of this process.
    static func interfaceNames(pid: Int32 = getpid(), counter: Int) -> (String, String) {
        let stem = "pv\(pid % 100_000)"
        return (stem + "a\(counter)", stem + "b\(counter)")
    }

    /// Connects `a` (address `addressA`) and `b` (address `addressB`), both in a `/prefixLength` subnet.
    public static func connect(_ a: NetworkNamespace, address addressA: String,
                               to b: NetworkNamespace, address addressB: String,
                               prefixLength: Int = 24) throws -> VethLink {
        let (nameA, nameB) = interfaceNames(counter: NamespaceName.nextCounter())
        try a.ip(["link", "add", nameA, "type", "veth", "peer", "name", nameB, "netns", b.name])
        let link = VethLink(
            first: VethEndpoint(namespace: a.name, interface: nameA, address: addressA, prefixLength: prefixLength),
            second: VethEndpoint(namespace: b.name, interface: nameB, address: addressB, prefixLength: prefixLength))
        for (namespace, end) in [(a, link.first), (b, link.second)] {
            try namespace.ip(["addr", "add", end.cidr, "dev", end.interface])
            try namespace.ip(["link", "set", end.interface, "up"])
        }
        try requireNoDefaultRoute(in: a)
        try requireNoDefaultRoute(in: b)
        return link
    }

    /// Throws if `namespace` has an IPv4 or IPv6 default route (test traffic must stay inside).
    public static func requireNoDefaultRoute(in namespace: NetworkNamespace) throws {
        for family in ["-4", "-6"] {
            let routes = try namespace.ip([family, "route", "show", "default"]).standardOutput
            guard routes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HarnessError("namespace \(namespace.name) has a default route (\(family)): \(routes)")
            }
        }
    }
}
