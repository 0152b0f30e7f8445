import Foundation
import Synchronization

/// A throwaway PostgreSQL 15 server for one test, in a network namespace the test created: the
/// stand-in for the fleet's central database.
///
/// Invariants:
/// - It listens on ``address``:``port`` inside its namespace and nowhere else: TLS only (a test CA
///   made for it, a server certificate for IP:address and DNS:`central.test`), certificate login for
///   members of ``PostgresServerConfiguration/certificateLoginRole``, SCRAM passwords for everyone
///   else, plaintext rejected (see ``PostgresServerConfiguration``).
/// - Everything it has lives in one ``TemporaryDirectory`` (mode 755): data, log, Unix socket,
///   certificates, keys. The host's own cluster (`15 main` on 5432, /var/run/postgresql) is never
///   started, stopped or connected to.
/// - It runs as Debian's `postgres` user (initdb and pg_ctl refuse root).
/// - The superuser password is generated; it reaches initdb in a file that is deleted at once and
///   psql in `PGPASSWORD`, never a command line, and no error message prints it.
/// - It is registered with ``CleanupRegistry/shared`` before initdb runs and until ``remove()``: an
///   interrupted test run stops it and deletes its directory. A run killed too hard for that leaves
///   it in a namespace whose dead owner ``StaleResourceSweep`` finds: the sweep kills every process
///   in it. A namespace is therefore required.
/// - ``start(in:address:port:)`` and ``restart()`` return only once `pg_ctl -w` saw the server ready
///   and psql ran `select 1` over TLS with `sslmode=verify-full`. Nothing sleeps.
///
/// Cost, measured on the project's 2-core machine with other work running beside it: `start` took
/// 1.1 to 2.3 s (nine runs; about 1.5 s typical). Most of it is initdb (about 1 to 1.7 s, even with
/// `--no-sync`); the openssl certificates take about 0.1 s, `pg_ctl start -w` and the first TLS
/// psql a few tenths. While a clean build of the package runs beside it, initdb alone has taken 9 s.
/// ``restart()`` costs `pg_ctl start` (plus crash recovery after an immediate stop) and one psql.
public final class PostgresCluster: Sendable {
    /// The superuser initdb creates.
    public static let superuserName = "postgres"
    /// The database created after start, and the default of ``psql(_:user:password:database:from:connection:timeout:)``.
    public static let defaultDatabase = "portcullis"
    /// The DNS name in the server certificate besides its address.
    public static let serverName = "central.test"

    public let namespace: NetworkNamespace
    public let address: String
    public let port: Int
    /// The test CA (mode 0644 in a mode-755 directory, so every uid can read it).
    public let caCertificatePath: String
    public var superuser: String { Self.superuserName }
    public let superuserPassword: String
    /// `DIR/data`, owned by `postgres`, mode 0700.
    public let dataDirectory: String
    /// `DIR/data/postgres.log`: the server's own log (connections are logged).
    public let logPath: String
    /// The directory of the server's Unix socket (`.s.PGSQL.<port>`), mode 0700: root reaches the
    /// server through it from any namespace (Unix sockets are not bound to a network namespace),
    /// with a SCRAM password, as the in-process tests of the Central module do.
    public var socketDirectory: String { directory.path("socket") }

    private let directory: TemporaryDirectory
    private let authority: TestCertificateAuthority
    private let control: PostgresServerControl
    private let cleanupToken: CleanupToken
    private let fileCounter = Atomic<Int>(0)

    private init(namespace: NetworkNamespace, address: String, port: Int, superuserPassword: String, directory: TemporaryDirectory,
                 authority: TestCertificateAuthority, control: PostgresServerControl, cleanupToken: CleanupToken) {
        self.namespace = namespace
        self.address = address
        self.port = port
        self.superuserPassword = superuserPassword
        self.directory = directory
        self.authority = authority
        self.caCertificatePath = authority.certificatePath
        self.control = control
        self.dataDirectory = control.dataDirectory
        self.logPath = control.logPath
        self.cleanupToken = cleanupToken
    }

    // MARK: Starting

    /// Creates, configures and starts a server in `namespace` on `address:port` (an address of that
    /// namespace), then creates the role ``PostgresServerConfiguration/certificateLoginRole`` and the
    /// database ``defaultDatabase``. On failure, whatever was made is removed.
    public static func start(in namespace: NetworkNamespace, address: String, port: Int = 5432) async throws -> PostgresCluster {
        try PostgresTools.requirePrerequisites()
        let user = try PostgresTools.serverUser()
        let directory = try TemporaryDirectory.create(purpose: "postgres")
        let control = PostgresServerControl(namespace: namespace.name, dataDirectory: directory.path("data"),
                                            logPath: directory.path("data/postgres.log"), user: user)
        let token = CleanupRegistry.shared.register("PostgreSQL server \(directory.path)") {
            control.forceStop()
            directory.remove()
        }
        do {
            guard chmod(directory.path, 0o755) == 0 else { throw HarnessError("cannot open \(directory.path) to other uids") }
            let authority = try TestCertificateAuthority.create(in: directory.path, name: "Portcullis test CA")
            let server = try authority.issueServerCertificate("server", commonName: serverName, ipAddresses: [address],
                                                              dnsNames: [serverName], owner: user.uid, group: user.gid)
            let password = randomPassword()
            try initialize(control, directory: directory, password: password)
            try configure(control, directory: directory, address: address, port: port, server: server, authority: authority)
            let cluster = PostgresCluster(namespace: namespace, address: address, port: port, superuserPassword: password,
                                          directory: directory, authority: authority, control: control, cleanupToken: token)
            try control.start()
            try cluster.requireReady()
            try cluster.superuserScript("""
                CREATE ROLE \(PostgresServerConfiguration.certificateLoginRole) NOLOGIN;
                CREATE DATABASE \(defaultDatabase);
                """, database: "postgres")
            return cluster
        } catch {
            CleanupRegistry.shared.runNow(token)
            throw error
        }
    }

    /// 32 letters and digits from the system's secure generator.
    private static func randomPassword() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    /// `initdb` as the server's user, with the superuser password in a file that is deleted afterwards.
    private static func initialize(_ control: PostgresServerControl, directory: TemporaryDirectory, password: String) throws {
        let user = control.user
        for path in [control.dataDirectory, directory.path("socket")] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            guard chown(path, user.uid, user.gid) == 0, chmod(path, 0o700) == 0 else {
                throw HarnessError("cannot hand \(path) to \(user.name): \(String(cString: strerror(errno)))")
            }
        }
        let passwordFile = try writePrivateFile(directory.path("initdb.password"), password + "\n", owner: user.uid, group: user.gid)
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let arguments = user.setprivArguments + [try PostgresTools.initdb(), "-D", control.dataDirectory, "-U", superuserName,
                                                 "--auth=scram-sha-256", "--pwfile=\(passwordFile)", "-E", "UTF8", "--no-locale", "--no-sync"]
        let result = try HostCommand.run(try SystemTools.setpriv(), arguments, timeout: .seconds(120),
                                         environment: PostgresServerControl.environment)
        guard result.status.isSuccess else {
            throw HarnessError("initdb (\(control.dataDirectory)) failed (\(result.status)): \(result.standardError)\(result.standardOutput)")
        }
    }

    /// Replaces `pg_hba.conf` and appends the listening, socket and TLS settings to `postgresql.conf`.
    private static func configure(_ control: PostgresServerControl, directory: TemporaryDirectory, address: String, port: Int,
                                  server: (certificate: String, key: String), authority: TestCertificateAuthority) throws {
        let data = control.dataDirectory
        try PostgresServerConfiguration.hostBasedAuthentication.write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
        let settings = PostgresServerConfiguration.settings(address: address, port: port, socketDirectory: directory.path("socket"),
                                                            certificate: server.certificate, key: server.key,
                                                            caCertificate: authority.certificatePath)
        guard let handle = FileHandle(forWritingAtPath: data + "/postgresql.conf") else {
            throw HarnessError("cannot open \(data)/postgresql.conf to append the test settings")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
    }

    /// Throws unless the superuser runs `select 1` over TLS with `sslmode=verify-full`.
    private func requireReady() throws {
        let result = try psql("select 1", database: "postgres")
        guard result.status.isSuccess, result.standardOutput == "1\n" else {
            throw HarnessError("PostgreSQL on \(address):\(port) does not answer `select 1` over TLS (\(result.status)): "
                + "\(result.standardError)\(result.standardOutput)\n--- server log ---\n\(control.logTail())")
        }
    }

    /// Runs `sql` as the superuser and throws unless it succeeds.
    private func superuserScript(_ sql: String, database: String) throws {
        let result = try psql(sql, database: database)
        guard result.status.isSuccess else {
            throw HarnessError("setting up PostgreSQL on \(address):\(port) failed (\(result.status)): \(result.standardError)")
        }
    }

    // MARK: Clients

    /// Runs `sql` (read from standard input) with `psql -X -w -v ON_ERROR_STOP=1 -At` against
    /// ``address``:``port`` with `sslmode=verify-full` and the test CA, from `namespace` (the server's
    /// own by default), and returns exit status and output unchanged: psql exits 0 when every
    /// statement succeeded, 3 when one failed (it stops there) and 2 when it could not connect.
    ///
    /// `user` `nil` means the superuser with its password. For another user, `password` (if any)
    /// goes in `PGPASSWORD`, never on the command line. `connection` adds or overrides libpq
    /// parameters, e.g. `sslcert`/`sslkey` for a certificate login, `sslmode`, `sslrootcert` or
    /// `connect_timeout` (10 s unless given). psql runs as root with an empty HOME of its own, so
    /// nothing of root's (`~/.pgpass`, `~/.postgresql`) is used.
    public func psql(_ sql: String, user: String? = nil, password: String? = nil, database: String = defaultDatabase,
                     from namespace: NetworkNamespace? = nil, connection: [String: String] = [:],
                     timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        var parameters = ["host": address, "port": String(port), "user": user ?? superuser, "dbname": database,
                          "sslmode": "verify-full", "sslrootcert": caCertificatePath, "connect_timeout": "10"]
        parameters.merge(connection) { _, new in new }
        let conninfo = parameters.keys.sorted().map { "\($0)=\(Self.conninfoValue(parameters[$0] ?? ""))" }.joined(separator: " ")
        let home = try clientHome()
        var environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": home, "PGPASSFILE": home + "/.pgpass"]
        if let secret = user == nil ? (password ?? superuserPassword) : password { environment["PGPASSWORD"] = secret }
        let arguments = ["netns", "exec", (namespace ?? self.namespace).name, try PostgresTools.psql(),
                         "-X", "-w", "-v", "ON_ERROR_STOP=1", "-At", "-d", conninfo]
        return try HostCommand.run(try SystemTools.ip(), arguments, timeout: timeout, environment: environment,
                                   standardInput: Array(sql.utf8))
    }

    /// A libpq connection-string value, single-quoted with `\` and `'` escaped.
    static func conninfoValue(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// An empty directory used as psql's HOME.
    private func clientHome() throws -> String {
        let home = directory.path("client-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return home
    }

    /// A client certificate for `CN=commonName` signed by the test CA, in this cluster's directory:
    /// the certificate mode 0644, the key mode 0600, both owned by `uid` (group `uid`).
    public func clientCertificate(commonName: String, owner uid: UInt32) throws -> (certificate: String, key: String) {
        try authority.issueClientCertificate("client-\(nextFileNumber())-\(commonName)", commonName: commonName, owner: uid, group: uid)
    }

    /// Writes `password` (and a newline) to a new file of mode 0600 owned by `uid` (group `uid`) in
    /// this cluster's directory, and returns its path: what a gateway's `passwordFile` points at.
    public func writePasswordFile(_ password: String, owner uid: UInt32) throws -> String {
        try Self.writePrivateFile(directory.path("password-\(nextFileNumber())"), password + "\n", owner: uid, group: uid)
    }

    private func nextFileNumber() -> Int {
        fileCounter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Creates `path` mode 0600 (never readable by others, not even for a moment), writes `contents`
    /// and hands it to `uid`:`gid`.
    private static func writePrivateFile(_ path: String, _ contents: String, owner uid: UInt32, group gid: UInt32) throws -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        guard PipeDrain.writeAll(bytes, to: fd), fchmod(fd, 0o600) == 0, fchown(fd, uid, gid) == 0 else {
            throw HarnessError("cannot write \(path) for uid \(uid): \(String(cString: strerror(errno)))")
        }
        return path
    }

    // MARK: Outages

    /// Stops the server: `fast` is a clean shutdown (`pg_ctl -m fast`), otherwise `-m immediate`,
    /// which is like a crash (no checkpoint; the next start recovers from the WAL). A paused server
    /// is resumed first, or it could not stop.
    public func stop(fast: Bool = true) throws {
        control.resume()
        try control.stop(fast: fast)
    }

    /// Starts the server again on the same data (stopping it cleanly first if it runs), with the
    /// same readiness check as ``start(in:address:port:)``.
    public func restart() throws {
        if control.isRunning { try stop(fast: true) }
        try control.start()
        try requireReady()
    }

    /// SIGSTOPs the postmaster and every process below it: the server stays up and keeps every
    /// connection open, but answers nothing; a new connection's TCP handshake still completes (the
    /// kernel does it), then the client waits. ``resume()`` undoes it.
    public func pause() throws {
        try control.pause()
    }

    /// SIGCONTs everything ``pause()`` stopped.
    public func resume() {
        control.resume()
    }

    /// The postmaster's pid and those of the processes below it, postmaster first; empty when stopped.
    public var serverProcessIdentifiers: [Int32] { control.serverPIDs }

    /// The last lines of the server's log, for failure messages.
    public func logTail(lines: Int = 30) -> String { control.logTail(lines: lines) }

    /// Stops the server at once (`-m immediate`, SIGKILL for anything left) and deletes its directory.
    /// Idempotent.
    public func remove() {
        CleanupRegistry.shared.runNow(cleanupToken)
    }
}
