import Kube

/// One answer of the admin API: a status code and a JSON body.
public struct AdminResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public static func ok(_ body: [UInt8]) -> AdminResponse { AdminResponse(status: 200, body: body) }

    /// `{"error": message}`.
    public static func error(_ status: Int, _ message: String) -> AdminResponse {
        var w = GoJSONObjectWriter()
        w.string("error", message)
        return AdminResponse(status: status, body: w.finish())
    }
}
