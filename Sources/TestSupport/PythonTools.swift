import Foundation

/// The Python side of the tests: the virtual environment scripts/setup.sh creates in `.venv` (with
/// oidc-provider-mock, PyJWT and websocket-client) and the client scripts under `Tests/clients`.
public enum PythonTools {
    /// Why Python-based tests are skipped when the environment is missing.
    public static let missingMessage = "needs the test virtualenv: run scripts/setup.sh as root to create .venv"

    /// `.venv/bin/python` in the package root.
    public static func python() throws -> String {
        let path = try Products.packageRoot() + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("missing \(path): \(missingMessage)")
        }
        return path
    }

    /// Whether ``python()`` exists.
    public static var isAvailable: Bool { (try? python()) != nil }

    /// Whether Python-based suites should run: when the environment exists, or when
    /// `PORTCULLIS_REQUIRE_ROOT_TESTS=1` demands that every test runs (and fails on what is missing).
    public static var shouldRunTests: Bool { isAvailable || Privileges.rootTestsRequired }

    /// `Tests/clients/NAME`.
    public static func clientScript(_ name: String) throws -> String {
        let path = try Products.packageRoot() + "/Tests/clients/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw HarnessError("missing test client \(path)") }
        return path
    }
}
