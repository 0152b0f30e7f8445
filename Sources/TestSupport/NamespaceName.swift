import Foundation
import Synchronization

/// The name of a network namespace the harness owns: `pcl-<ownerPID>-<counter>-<role>`.
///
/// The owner pid lets a later test run find namespaces whose owner died without cleaning up (see
/// ``StaleResourceSweep``). The counter makes names unique within one process. The role says what the
/// namespace plays, e.g. `agent` or `cluster`; it is lowercase letters and digits.
public struct NamespaceName: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "pcl"

    public let ownerPID: Int32
    public let counter: Int
    public let role: String

    public init(ownerPID: Int32, counter: Int, role: String) {
        self.ownerPID = ownerPID
        self.counter = counter
        self.role = role
    }

    /// Parses a name made by ``description``; `nil` for anything else (the host's own namespaces).
    public init?(parsing name: String) {
        let parts = name.split(separator: "-", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix,
              let pid = Int32(parts[1]), pid > 0, let counter = Int(parts[2]),
              Self.isValidRole(parts[3]) else { return nil }
        self.init(ownerPID: pid, counter: counter, role: String(parts[3]))
    }

    public var description: String { "\(Self.prefix)-\(ownerPID)-\(counter)-\(role)" }

    /// A fresh name owned by this process.
    public static func next(role: String) throws -> NamespaceName {
        guard isValidRole(role[...]) else {
            throw HarnessError("namespace role \"\(role)\" must be 1 to 20 lowercase letters or digits")
        }
        return NamespaceName(ownerPID: getpid(), counter: nextCounter(), role: role)
    }

    /// A process-wide counter shared by namespace and interface names.
    static func nextCounter() -> Int {
        nameCounter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    static func isValidRole(_ role: Substring) -> Bool {
        (1...20).contains(role.count) && role.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}

private let nameCounter = Atomic<Int>(0)
