import Kube

/// Which objects a list, watch or deletecollection covers: a namespace (empty for all) and the
/// request's field and label selectors.
public struct ObjectFilter: Sendable {
    public var namespace: String
    public var fieldSelector: FieldSelector?
    public var labelSelector: LabelSelector?

    public init(namespace: String, fieldSelector: FieldSelector? = nil, labelSelector: LabelSelector? = nil) {
        self.namespace = namespace
        self.fieldSelector = fieldSelector
        self.labelSelector = labelSelector
    }

    /// The fields a field selector may name, as kube-apiserver supports them for every resource
    /// plus the pod fields kubectl uses.
    public static let selectableFields: Set<String> = [
        "metadata.name", "metadata.namespace", "status.phase", "spec.nodeName", "spec.restartPolicy",
        "spec.serviceAccountName", "type",
    ]

    public func matches(_ object: JSONValue) -> Bool {
        if !namespace.isEmpty, object[path: "metadata", "namespace"]?.stringValue != namespace { return false }
        if let fieldSelector, !fieldSelector.matches({ Self.fieldValue(object, $0) }) { return false }
        if let labelSelector {
            var labels: [String: String] = [:]
            for (k, v) in object[path: "metadata", "labels"]?.objectValue ?? [:] { labels[k] = v.stringValue ?? "" }
            if !labelSelector.matches(labels) { return false }
        }
        return true
    }

    static func fieldValue(_ object: JSONValue, _ field: String) -> String? {
        let keys = field.split(separator: ".").map(String.init)
        var current: JSONValue? = object
        for key in keys { current = current?[key] }
        switch current {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        case nil:
            // Unset fields compare as empty strings, as in kube-apiserver's field sets.
            return ""
        default: return nil
        }
    }
}
