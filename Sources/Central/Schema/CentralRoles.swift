import Foundation

/// The SQL `portcullis central roles` prints for an operator to run as a superuser (or a role with
/// CREATEROLE): the two group roles, a login role per gateway (or one shared by many hosts), and
/// reviewers. Idempotent: run it again after adding a host.
///
/// What each choice protects (docs/central.md):
/// - **A login role per host** (`--gateway runner-01`): that host can write rows under its own name
///   only; a compromised runner cannot touch any other host's record, nor pre-empt its future rows.
/// - **One role shared by many hosts** (`--gateway ci-runners=ci-%`): every such host can write
///   rows under any name matching the pattern. Shipped rows still cannot be changed or deleted (no
///   UPDATE or DELETE for anyone but the owner), but a compromised runner could write rows under
///   another matching host's name before that host does; the real host then stops shipping and
///   reports the conflict, and `verify --central` names the foreign rows.
public enum CentralRoles {
    public struct Gateway: Sendable, Hashable {
        public var role: String
        /// A host name, or a LIKE pattern such as `ci-%`.
        public var hostPattern: String

        public init(role: String, hostPattern: String) {
            self.role = role
            self.hostPattern = hostPattern
        }
    }

    public static func sql(gateways: [Gateway], reviewers: [String], database: String) -> String {
        var out = """
            -- Portcullis central store: roles. Run as a superuser (or a role with CREATEROLE) in database \(quoteIdentifier(database)),
            -- after `portcullis central migrate` (which needs the two group roles: if its role may not create them,
            -- run the first block below before it). Set each login role's password with \\password NAME in psql,
            -- or let it authenticate with a client certificate (a hostssl ... cert line in pg_hba.conf).
            BEGIN;
            -- The group roles: \(CentralSchema.gatewayRole) may INSERT rows for its host names and read back their
            -- seq and hash; \(CentralSchema.reviewerRole) reads everything and writes decisions, grants and revocations.
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(CentralSchema.gatewayRole)') THEN CREATE ROLE \(CentralSchema.gatewayRole) NOLOGIN; END IF;
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(CentralSchema.reviewerRole)') THEN CREATE ROLE \(CentralSchema.reviewerRole) NOLOGIN; END IF;
            END $$;

            """
        if gateways.isEmpty && reviewers.isEmpty {
            out += """
                -- Add --gateway ROLE (a login role for one host of the same name), --gateway ROLE=PATTERN (one role for
                -- every host whose name matches the LIKE pattern, e.g. ci-%) and --reviewer ROLE to create login roles.

                """
        }
        for gateway in gateways {
            let kind = gateway.hostPattern == gateway.role ? "host \(gateway.hostPattern)" : "hosts matching \(gateway.hostPattern)"
            out += """
                -- Gateway \(gateway.role): writes the record of \(kind).
                \(loginRole(gateway.role, member: CentralSchema.gatewayRole))
                INSERT INTO \(CentralSchema.name).gateway_hosts (role_name, host_pattern) VALUES (\(quoteLiteral(gateway.role)), \(quoteLiteral(gateway.hostPattern)))
                    ON CONFLICT DO NOTHING;

                """
        }
        for reviewer in reviewers {
            out += """
                -- Reviewer \(reviewer): reads every host's record; approves, denies, grants and revokes.
                \(loginRole(reviewer, member: CentralSchema.reviewerRole))

                """
        }
        return out + "COMMIT;\n"
    }

    static func loginRole(_ name: String, member group: String) -> String {
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(quoteLiteral(name))) THEN CREATE ROLE \(quoteIdentifier(name)) LOGIN; END IF;
        END $$;
        GRANT \(group) TO \(quoteIdentifier(name));
        """
    }

    /// `"runner-01"`, with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'ci-%'`, with embedded quotes doubled.
    public static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
