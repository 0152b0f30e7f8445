import Foundation

extension RequestID {
    /// A stable audit ID for a request the client gave none: a UUID derived from the process
    /// start and the request number.
    var auditID: String {
        RequestID.prefix + String(format: "%012llx", value)
    }

    private static let prefix: String = {
        let uuid = UUID().uuidString.lowercased()
        return String(uuid.prefix(24))
    }()
}
