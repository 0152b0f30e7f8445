import Foundation

/// The PostgreSQL 15 programs of Debian's `postgresql` package, called by absolute path: Debian's
/// `/usr/bin/psql` is pg_wrapper, which consults the host's cluster list, and the tests leave the
/// host's clusters alone.
public enum PostgresTools {
    public static let binDirectory = "/usr/lib/postgresql/15/bin"

    /// `BIN/name`, or an error saying how to install it.
    public static func program(_ name: String) throws -> String {
        let path = binDirectory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("missing \(path): install the Debian package postgresql (PostgreSQL 15; scripts/setup.sh does)")
        }
        return path
    }

    public static func initdb() throws -> String { try program("initdb") }
    public static func pgCtl() throws -> String { try program("pg_ctl") }
    public static func psql() throws -> String { try program("psql") }

    /// Debian's `postgres` user, which the test servers run as (initdb and pg_ctl refuse root).
    public static func serverUser() throws -> SystemUser {
        try SystemUser.named("postgres", createdBy: "postgresql")
    }

    /// Throws a ``HarnessError`` listing everything a ``PostgresCluster`` needs that is missing.
    public static func requirePrerequisites() throws {
        var problems: [String] = []
        let checks: [() throws -> Void] = [
            { try Privileges.requireRoot() },
            { _ = try SystemTools.ip() },
            { _ = try SystemTools.setpriv() },
            { _ = try initdb() },
            { _ = try pgCtl() },
            { _ = try psql() },
            { _ = try serverUser() },
            {
                guard FileManager.default.isExecutableFile(atPath: TestCertificateAuthority.openssl) else {
                    throw HarnessError("missing \(TestCertificateAuthority.openssl): install the Debian package openssl (scripts/setup.sh does)")
                }
            },
        ]
        for check in checks {
            do { try check() } catch { problems.append(String(describing: error)) }
        }
        guard problems.isEmpty else {
            throw HarnessError("PostgreSQL test prerequisites missing:\n- " + problems.joined(separator: "\n- "))
        }
    }
}
