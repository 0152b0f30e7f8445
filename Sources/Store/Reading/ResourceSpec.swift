import GRDB
import Kube

/// `pods`, `pod`, `pods/exec`, `deployments.apps`, `deployment.apps/scale`.
struct ResourceSpec {
    var name: String
    var group: String?
    var subresource: String?

    init(_ text: String) {
        var rest = Substring(text.lowercased())
        if let slash = rest.firstIndex(of: "/") {
            subresource = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        if let dot = rest.firstIndex(of: ".") {
            group = String(rest[rest.index(after: dot)...])
            rest = rest[..<dot]
        }
        name = String(rest)
    }

    /// The recorded resource names the spec stands for: the name itself, or the plurals whose
    /// singular it is.
    func matchingResources(among known: [String]) -> [String] {
        [name] + known.filter { $0 != name && ResourceNames.singular($0) == name }
    }
}
