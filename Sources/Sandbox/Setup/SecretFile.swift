import Foundation

/// Writes files that may hold keys or tokens: created with their final mode before any byte is
/// written, and replaced atomically by rename.
enum SecretFile {
    static func write(_ text: String, to path: String, mode: mode_t) throws(SandboxSetupError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SandboxSetupError("cannot write \(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw SandboxSetupError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SandboxSetupError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
