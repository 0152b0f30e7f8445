/// An authenticated identity as `authentication.k8s.io/v1` UserInfo carries it.
public struct UserInfo: Sendable, Hashable {
    public var username: String
    public var uid: String
    public var groups: [String]
    public var extra: [String: [String]]

    public init(username: String, uid: String = "", groups: [String] = [], extra: [String: [String]] = [:]) {
        self.username = username
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// JSON with Go's field order, every field omitted when empty.
    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.stringOmitEmpty("username", username)
        w.stringOmitEmpty("uid", uid)
        if !groups.isEmpty { w.stringArray("groups", groups) }
        if !extra.isEmpty {
            w.object("extra") { e in
                for key in extra.keys.sorted(by: GoJSON.keyOrder) { e.stringArray(key, extra[key] ?? []) }
            }
        }
        return w.finish()
    }

    public init(json: JSONValue) {
        username = json["username"]?.stringValue ?? ""
        uid = json["uid"]?.stringValue ?? ""
        groups = (json["groups"]?.arrayValue ?? []).compactMap(\.stringValue)
        var extra: [String: [String]] = [:]
        for (key, values) in json["extra"]?.objectValue ?? [:] {
            extra[key] = (values.arrayValue ?? []).compactMap(\.stringValue)
        }
        self.extra = extra
    }
}
