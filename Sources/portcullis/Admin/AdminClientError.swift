/// Why an admin command failed: the gateway could not be reached, or it refused.
enum AdminClientError: Error, CustomStringConvertible {
    case unreachable(socket: String, reason: String)
    case refused(status: Int, message: String)

    var description: String {
        switch self {
        case .unreachable(let socket, let reason): "cannot reach the gateway's admin socket \(socket): \(reason)"
        case .refused(_, let message): message
        }
    }
}
