/// A resource qualified by its API group, printed as kube-apiserver prints it: `pods`,
/// `deployments.apps`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String = "", resource: String) {
        self.group = group
        self.resource = resource
    }

    public var isEmpty: Bool { group.isEmpty && resource.isEmpty }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}
