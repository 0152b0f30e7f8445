import Glibc

/// Small, allocation-light readers for procfs: no Foundation on the attribution path.
enum ProcFiles {
    /// The whole file, or nil when it cannot be opened.
    static func read(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            result += chunk[0..<count]
        }
        return result
    }

    /// Where a symbolic link points, or nil.
    static func link(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return readlink(path, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Calls `body` with each entry name (not `.` or `..`) of `directory` until it returns false.
    static func forEachEntry(in directory: String, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let keepGoing = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> Bool in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                let name = UnsafeBufferPointer(rebasing: bytes[0..<length])
                if name.elementsEqual([0x2E]) || name.elementsEqual([0x2E, 0x2E]) { return true }
                return body(name)
            }
            if !keepGoing { return }
        }
    }

    /// Calls `body` with the target of each symbolic link in `directory` (at most `capacity` bytes of
    /// it; a longer target is cut) until it returns false.
    static func forEachLink(in directory: String, capacity: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        let directoryDescriptor = dirfd(stream)
        var target = [UInt8](repeating: 0, count: capacity)
        while let entry = readdir(stream) {
            guard entry.pointee.d_type == UInt8(DT_LNK) || entry.pointee.d_type == UInt8(DT_UNKNOWN) else { continue }
            let keepGoing = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> Bool in
                guard let name = raw.bindMemory(to: CChar.self).baseAddress else { return true }
                return target.withUnsafeMutableBufferPointer { buffer -> Bool in
                    guard let base = buffer.baseAddress else { return false }
                    let count = readlinkat(directoryDescriptor, name, UnsafeMutableRawPointer(base).assumingMemoryBound(to: CChar.self),
                                           buffer.count)
                    guard count > 0 else { return true }
                    return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
                }
            }
            if !keepGoing { return }
        }
    }

    /// A decimal number made only of digits, as a pid; nil for anything else.
    static func number(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !name.isEmpty, name.count <= 10 else { return nil }
        var value: Int64 = 0
        for byte in name {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value <= Int64(Int32.max) ? Int32(value) : nil
    }
}
