import Foundation
import Kube

/// Reads an audit log of `audit.k8s.io/v1` Event JSON lines, as the sandbox writes it.
public struct AuditLog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Every complete line, parsed. A last line without its newline (being written) is left out.
    /// Throws with the line number when a line is not an Event.
    public func events() throws -> [AuditEvent] {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return [] }
            throw HarnessError("cannot read audit log \(path): \(error)")
        }
        var events: [AuditEvent] = []
        for (index, line) in TextLines.lines(of: bytes, includeUnterminated: false).enumerated() where !line.isEmpty {
            do {
                events.append(try AuditEvent(jsonLine: Array(line.utf8)))
            } catch {
                throw HarnessError("\(path) line \(index + 1) is not an audit Event (\(error)): \(line)")
            }
        }
        return events
    }

    /// Waits until an event satisfying `predicate` has been written, and returns the first one.
    ///
    /// The sandbox may write an event just after the response reached the client, and there is no
    /// notification for it, so this re-reads the file every `pollInterval`, bounded by `timeout`.
    public func waitForEvent(timeout: Duration = .seconds(10), pollInterval: Duration = .milliseconds(50),
                             where predicate: (AuditEvent) -> Bool) async throws -> AuditEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let events = try events()
            if let event = events.first(where: predicate) { return event }
            guard ContinuousClock.now < deadline else {
                let summary = events.map(Self.summary).joined(separator: "\n")
                throw HarnessError("timed out after \(timeout) waiting for a matching event in \(path); "
                    + "it has \(events.count):\n\(summary)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// One line per event, for messages: stage, user, verb, URI, status code.
    public static func summary(_ event: AuditEvent) -> String {
        let code = event.responseStatus.map { String($0.code) } ?? "-"
        return "\(event.stage.rawValue) \(event.user.username) \(event.verb) \(event.requestURI) \(code)"
    }
}
