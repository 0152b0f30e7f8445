import Central
import Foundation
import Testing
import TestSupport

@testable import portcullis

/// The `central:` section: what it holds, its defaults, and errors that name the field.
@Suite struct CentralSectionTests {
    static let minimal = """
        gateway: {uid: 990}
        clusters: [{name: prod, endpoints: ["10.0.0.10:6443"]}]
        """

    func load(_ central: String) throws -> GatewayConfiguration {
        let directory = try TemporaryDirectory.create(purpose: "central-config")
        defer { directory.remove() }
        return try GatewayConfiguration.load(path: try directory.write(Self.minimal + "\ncentral:\n" + central, to: "portcullis.yaml"))
    }

    func error(_ central: String) -> String {
        do {
            _ = try load(central)
            return "no error"
        } catch let error as ConfigurationError {
            return "\(error.field): \(error.message)"
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func fullSection() throws {
        let c = try #require(try load("""
              host: db.example.com
              port: 6432
              database: fleet
              user: runner-01
              passwordFile: /etc/portcullis/central.password
              caFile: /etc/portcullis/central-ca.crt
              hostName: runner-01
              mode: required
              drainTimeout: 30s
              requiredTimeout: 2s
              pollInterval: 1s
              batchRows: 500
              connections: 6
            """).central)
        #expect(c.host == "db.example.com" && c.port == 6432 && c.database == "fleet" && c.user == "runner-01")
        #expect(c.sslMode == .verifyFull, "verify-full by default")
        #expect(c.mode == .required && c.drainTimeout == .seconds(30) && c.requiredTimeout == .seconds(2) && c.pollInterval == .seconds(1))
        #expect(c.batchRows == 500 && c.connections == 6 && c.hostName == "runner-01")
        #expect(c.endpointDescription == "postgresql://runner-01@db.example.com:6432/fleet")
    }

    @Test func defaults() throws {
        let c = try #require(try load("  host: 10.0.0.5\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n").central)
        #expect(c.mode == .async && c.port == 5432 && c.database == "portcullis")
        #expect(c.hostName == HostNameSpecifiers.currentHostName(), "the machine's host name")
    }

    @Test func withoutTheSectionNothingShips() throws {
        let directory = try TemporaryDirectory.create(purpose: "central-config")
        defer { directory.remove() }
        #expect(try GatewayConfiguration.load(path: try directory.write(Self.minimal, to: "p.yaml")).central == nil)
    }

    @Test func errorsNameTheField() {
        #expect(error("  user: gw\n  passwordFile: /p\n  caFile: /ca\n") == "central: host is required: the PostgreSQL server")
        #expect(error("  host: h\n  user: gw\n  caFile: /ca\n").contains("give passwordFile"))
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n") == "central: caFile is required with sslmode verify-full: the CA that signed the server's certificate")
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n  mode: maybe\n") == "central.mode: expected one of async, required, got 'maybe'")
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n  sslmode: prefer\n")
                == "central.sslmode: expected one of verify-full, verify-ca, require, disable, got 'prefer'")
        #expect(error("  host: h\n  user: gw\n  passwordFile: relative\n  caFile: /ca\n") == "central.passwordFile: expected an absolute path, got 'relative'")
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n  password: hunter2\n").hasPrefix("central.password: unknown field"))
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n  hostName: \"runner 1\"\n").contains("may hold ASCII letters"))
        #expect(error("  host: h\n  user: gw\n  passwordFile: /p\n  caFile: /ca\n  hostName: \"%x\"\n").contains("unknown specifier %x"))
    }

    @Test func hostNameSpecifiers() throws {
        let files = ["/etc/machine-id": "0123abcd\n", "/proc/sys/kernel/random/boot_id": "aa-bb-cc\n"]
        let expand = { (t: String) throws -> String in
            try HostNameSpecifiers.expand(t, hostName: { "runner" }, file: { files[$0] })
        }
        #expect(try expand("%H") == "runner")
        #expect(try expand("%H-%m") == "runner-0123abcd")
        #expect(try expand("ci-%b") == "ci-aabbcc")
        #expect(throws: HostNameSpecifiers.ExpansionError.self) { try expand("a%%b") }
        #expect(throws: HostNameSpecifiers.ExpansionError.self) { try HostNameSpecifiers.expand("%m", hostName: { "x" }, file: { _ in nil }) }
    }

    @Test func aReviewersFileHoldsOnlyTheCentralSection() throws {
        let directory = try TemporaryDirectory.create(purpose: "central-config")
        defer { directory.remove() }
        let path = try directory.write("central:\n  host: h\n  user: alice\n  passwordFile: /p\n  caFile: /ca\n", to: "reviewer.yaml")
        #expect(try CentralSection.load(path: path).user == "alice")
        let none = try directory.write("logging: {level: info}\n", to: "other.yaml")
        #expect(throws: ConfigurationError.self) { try CentralSection.load(path: none) }
    }
}
