import Foundation

/// Reads and writes the gateway CA's PEM files.
///
/// Invariants:
/// - A key is read only from a regular file owned by the effective user whose mode grants nothing to
///   group or others (0600 or stricter). The check is made on the opened descriptor (`fstat`), so the
///   file checked is the file read.
/// - A file is created with its final mode (and owner, when one is given) before any byte is written:
///   it is written under a fresh temporary name (`O_EXCL | O_NOFOLLOW`), synced, then moved into place.
///   Without `overwrite`, the move is a `link(2)`, which fails instead of replacing an existing file.
/// - Nothing read or written here appears in an error message.
enum TLSFiles {
    /// Files larger than this are not PEM files we wrote or expect.
    static let maximumSize = 1 << 20

    /// The UTF-8 text of `path`, which must be a regular file.
    static func readText(_ path: String) throws(TLSCertificateError) -> String {
        let fd = try open(path)
        defer { close(fd) }
        _ = try regularFileStatus(fd, path)
        return try readAll(fd, path)
    }

    /// The text of the key file `path`, after checking that it is owned by the effective user and
    /// that its mode is 0600 or stricter.
    static func readKey(_ path: String) throws(TLSCertificateError) -> String {
        let fd = try open(path)
        defer { close(fd) }
        let status = try regularFileStatus(fd, path)
        let euid = geteuid()
        guard status.st_uid == euid else {
            throw TLSCertificateError(.insecureKeyFile, path: path,
                "the key file is owned by uid \(status.st_uid), not by the gateway's user (uid \(euid)); "
                + "keys must belong to the user that runs the gateway (chown \(euid) \(path))")
        }
        let mode = status.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw TLSCertificateError(.insecureKeyFile, path: path,
                "the key file has mode \(octal(mode)), which lets group or others read it; "
                + "it must be mode 0600 or stricter (chmod 600 \(path))")
        }
        return try readAll(fd, path)
    }

    /// `0640` for 0o640.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func open(_ path: String) throws(TLSCertificateError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw TLSCertificateError(.unreadableFile, path: path, "cannot open: \(errnoText())") }
        return fd
    }

    private static func regularFileStatus(_ fd: Int32, _ path: String) throws(TLSCertificateError) -> stat {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw TLSCertificateError(.unreadableFile, path: path, "cannot stat: \(errnoText())")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TLSCertificateError(.unreadableFile, path: path, "not a regular file")
        }
        guard status.st_size <= maximumSize else {
            throw TLSCertificateError(.unreadableFile, path: path,
                "is \(status.st_size) bytes, too large for a PEM file (limit \(maximumSize))")
        }
        return status
    }

    private static func readAll(_ fd: Int32, _ path: String) throws(TLSCertificateError) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw TLSCertificateError(.unreadableFile, path: path, "cannot read: \(errnoText())") }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= maximumSize else {
                throw TLSCertificateError(.unreadableFile, path: path, "too large for a PEM file (limit \(maximumSize) bytes)")
            }
        }
        // Best effort: clear the read buffer, which may hold key bytes (the returned text cannot be cleared).
        buffer.withUnsafeMutableBytes { if let base = $0.baseAddress { _ = memset(base, 0, $0.count) } }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TLSCertificateError(.unreadableFile, path: path, "is not a text (PEM) file")
        }
        return text
    }

    /// Writes `text` to `path` with `mode` (and `owner`, if given), as the type's invariants say.
    /// Throws `.fileExists` if `path` exists and `overwrite` is false.
    static func write(_ text: String, to path: String, mode: mode_t, overwrite: Bool,
                      owner: (uid: uid_t, gid: gid_t)?) throws(TLSCertificateError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TLSCertificateError(.unreadableFile, path: path, "cannot create: \(errnoText())") }
        do throws(TLSCertificateError) {
            defer { close(fd) }
            try prepare(fd, mode: mode, owner: owner, path: path)
            try writeAll(Array(text.utf8), to: fd, path: path)
            guard fsync(fd) == 0 else { throw TLSCertificateError(.unreadableFile, path: path, "cannot sync: \(errnoText())") }
        } catch {
            unlink(temporary)
            throw error
        }
        do throws(TLSCertificateError) {
            try move(temporary, to: path, overwrite: overwrite)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func prepare(_ fd: Int32, mode: mode_t, owner: (uid: uid_t, gid: gid_t)?,
                                path: String) throws(TLSCertificateError) {
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw TLSCertificateError(.unreadableFile, path: path,
                "cannot give the file to uid \(owner.uid) gid \(owner.gid): \(errnoText())")
        }
        // The umask may have narrowed the mode given to open(2); set it exactly.
        guard fchmod(fd, mode) == 0 else {
            throw TLSCertificateError(.unreadableFile, path: path, "cannot set mode \(octal(mode)): \(errnoText())")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(TLSCertificateError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw TLSCertificateError(.unreadableFile, path: path, "cannot write: \(errnoText())") }
            offset += n
        }
    }

    private static func move(_ temporary: String, to path: String, overwrite: Bool) throws(TLSCertificateError) {
        if overwrite {
            guard rename(temporary, path) == 0 else {
                throw TLSCertificateError(.unreadableFile, path: path, "cannot replace: \(errnoText())")
            }
            return
        }
        if link(temporary, path) == 0 {
            unlink(temporary)
            return
        }
        let linkError = errno
        if linkError == EEXIST {
            throw TLSCertificateError(.fileExists, path: path, "already exists; refusing to overwrite it")
        }
        // File systems without hard links: check, then rename (not atomic against a racing creator).
        guard access(path, F_OK) != 0 else {
            throw TLSCertificateError(.fileExists, path: path, "already exists; refusing to overwrite it")
        }
        guard rename(temporary, path) == 0 else {
            throw TLSCertificateError(.unreadableFile, path: path, "cannot create: \(errnoText())")
        }
    }

    /// Whether something exists at `path` (a dangling symbolic link counts).
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
