/// How a remote command ended, as sent on the error channel (3) of exec and attach.
public enum ExecResult: Sendable, Hashable {
    case success
    case exitCode(Int, command: [String])
    /// The command could not run at all.
    case failure(message: String)

    /// The Status the kubelet writes: `{"metadata":{},"status":"Success"}`, or a Failure with
    /// reason NonZeroExitCode and the exit code in `details.causes`. No trailing newline.
    public func statusBytes() -> [UInt8] { status.nestedJSONBytes() }

    public var status: Status {
        switch self {
        case .success:
            return Status(status: Status.success, code: 0)
        case .exitCode(let code, let command):
            let message = "command terminated with non-zero exit code: error executing command \(Self.goSlice(command)), exit code \(code)"
            return Status(message: message, reason: "NonZeroExitCode",
                          details: StatusDetails(causes: [StatusCause(reason: "ExitCode", message: String(code))]), code: 0)
        case .failure(let message):
            return Status(message: message, reason: "InternalError", code: 0)
        }
    }

    /// Reads the exit code from an error-channel Status: 0 for Success, the ExitCode cause for
    /// NonZeroExitCode, `nil` for anything else.
    public static func exitCode(from status: Status) -> Int? {
        if status.status == Status.success { return 0 }
        guard status.reason == "NonZeroExitCode" else { return nil }
        return status.details?.causes.first(where: { $0.reason == "ExitCode" })?.message.flatMap { Int($0) }
    }

    private static func goSlice(_ items: [String]) -> String { "[" + items.joined(separator: " ") + "]" }
}

/// A terminal size as the resize channel (4) carries it: `{"Width":80,"Height":24}`.
public struct TerminalSize: Sendable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.int("Width", Int64(width))
        w.int("Height", Int64(height))
        return w.finish()
    }

    /// Decodes a resize message as the kubelet's `json.Decoder` fills `remotecommand.TerminalSize`:
    /// keys match case-insensitively, a missing or null field is 0, unknown fields are ignored, and
    /// anything but an integer in 0...65535 (uint16) fails.
    public init?(json bytes: some Sequence<UInt8>) {
        guard let json = try? JSONParser.parse(bytes), let members = json.objectValue,
              let w = Self.dimension("Width", in: members), let h = Self.dimension("Height", in: members) else { return nil }
        width = w
        height = h
    }

    private static func dimension(_ field: String, in members: [String: JSONValue]) -> Int? {
        let value = members[field] ?? members.first(where: { $0.key.lowercased() == field.lowercased() })?.value
        switch value {
        case nil, .null?: return 0
        case .int(let n)? where (0...65535).contains(n): return Int(n)
        default: return nil
        }
    }
}
