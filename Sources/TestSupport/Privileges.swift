import Foundation

/// Whether this process may run the tests that need root, and what to say when it may not.
///
/// The root-only tests create network namespaces and veth pairs. Without root they are skipped,
/// unless `PORTCULLIS_REQUIRE_ROOT_TESTS=1` is set (scripts/test.sh sets it when it runs as root):
/// then they run anyway and fail on the first missing prerequisite, so a misconfigured CI cannot pass
/// by skipping them.
public enum Privileges {
    /// The environment variable that turns a skip into a failure.
    public static let requireRootTestsVariable = "PORTCULLIS_REQUIRE_ROOT_TESTS"

    /// Why the root-only tests are skipped.
    public static let rootRequiredMessage =
        "needs root: creates network namespaces (run scripts/test.sh as root)"

    /// True when the effective user is root.
    public static var isRoot: Bool { geteuid() == 0 }

    /// True when `PORTCULLIS_REQUIRE_ROOT_TESTS=1`: missing prerequisites must fail, not skip.
    public static var rootTestsRequired: Bool {
        ProcessInfo.processInfo.environment[requireRootTestsVariable] == "1"
    }

    /// Whether the root-only suites should be enabled: when root, or when they are required.
    public static var shouldRunRootTests: Bool { isRoot || rootTestsRequired }

    /// Throws ``HarnessError`` unless this process is root.
    public static func requireRoot() throws {
        guard isRoot else {
            throw HarnessError("\(rootRequiredMessage); euid is \(geteuid())"
                + (rootTestsRequired ? " but \(requireRootTestsVariable)=1 requires these tests to run" : ""))
        }
    }
}
