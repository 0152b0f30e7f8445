import Foundation
import Glibc

/// Reads a credential file the way every other credential is read: it must be a regular file of
/// mode 0600 or stricter, owned by the effective uid or by root (root, as an operator, may read the
/// gateway's own). A certificate or CA file, which is public, only has to be readable.
enum CredentialFile {
    static func read(_ path: String) throws(CentralStoreError) -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .credential(path: path, message: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .credential(path: path, message: "not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw .credential(path: path, message: "mode \(String(info.st_mode & 0o7777, radix: 8)) lets others read it; chmod 600 it")
        }
        guard info.st_uid == geteuid() || info.st_uid == 0 || geteuid() == 0 else {
            throw .credential(path: path, message: "owned by uid \(info.st_uid), not by uid \(geteuid()) that reads it")
        }
        return try readPublic(path)
    }

    static func readPublic(_ path: String) throws(CentralStoreError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .credential(path: path, message: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        return data
    }
}
