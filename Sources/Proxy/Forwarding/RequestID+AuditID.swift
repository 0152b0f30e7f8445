import Foundation

extension RequestID {
    /// A stable audit ID for a request the client gave none: a UUID derived from the process
    /// start and the request number.
    var auditID: String {
        let hex = String(value, radix: 16)
        return RequestID.prefix + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    private static let prefix: String = {
        let uuid = UUID().uuidString.lowercased()
        return String(uuid.prefix(24))
    }()
}
